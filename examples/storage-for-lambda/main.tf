# The registry as its operations guide deploys it, in one configuration:
# registry_storage creates and hardens the S3 bucket, its outputs give the
# Lambda's IAM policy and environment, the registry server runs as a Lambda
# function (provided.al2023, the release's registry-server-lambda zip), and
# an API Gateway HTTP API sends every request to it. seed/ then points the
# registry provider at the API and seeds artifacts.
terraform {
  required_version = ">= 1.10"
  required_providers {
    registry = {
      source = "trustworthy-registry/registry"
    }
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

variable "region" {
  type        = string
  description = "AWS region of the bucket, the function and the API (the guide uses us-east-1)."
  default     = "us-east-1"
}

variable "name" {
  type        = string
  description = "Name of the function, its role, its log group and the API."
  default     = "trustworthy-model-registry"
}

variable "lambda_package" {
  type        = string
  description = "Path of the registry server's Lambda zip (bootstrap at its root): a release's registry-server-lambda_<version>_linux_<arch>.zip, or one built as the README shows."
  default     = "registry-server-lambda.zip"
}

variable "architecture" {
  type        = string
  description = "Architecture of the zip: arm64 (cheaper per GB-second) or x86_64."
  default     = "arm64"
  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be arm64 or x86_64, matching the zip (linux_arm64 or linux_amd64)."
  }
}

variable "token_secret" {
  type        = string
  description = "Secret that signs the registry's tokens (TOKEN_SECRET). Every instance of the function must share it; at least 32 random characters, e.g. from `openssl rand -hex 32`."
  sensitive   = true
  validation {
    condition     = length(var.token_secret) >= 32
    error_message = "token_secret must be at least 32 characters (try: openssl rand -hex 32)."
  }
}

variable "admin_password" {
  type        = string
  description = "Password of the registry's default admin (REGISTRY_ADMIN_PASSWORD). Without it the admin keeps the API spec's published example password, which anyone can read."
  sensitive   = true
  validation {
    condition     = length(var.admin_password) >= 12
    error_message = "admin_password must be at least 12 characters."
  }
}

provider "aws" {
  region = var.region
}

# Only registry_storage is used here, so the provider needs no registry
# endpoint; S3 credentials come from the AWS SDK's default chain.
provider "registry" {
  s3 {
    region = var.region
  }
}

resource "registry_storage" "artifacts" {
  bucket_prefix                      = "trustworthy-registry-artifacts-"
  enforce_tls                        = true
  noncurrent_version_expiration_days = 90
}

resource "aws_iam_role" "registry" {
  name = var.name
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "logs" {
  role       = aws_iam_role.registry.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}

# Least privilege on the bucket: Put/Get/DeleteObject and
# AbortMultipartUpload (bundles are uploaded in parts) on its objects and
# ListBucket on the bucket (the guide's S3AccessPolicy).
resource "aws_iam_role_policy" "registry_s3" {
  name   = "S3AccessPolicy"
  role   = aws_iam_role.registry.id
  policy = registry_storage.artifacts.iam_policy_json
}

# The server logs JSON lines to stderr; Lambda sends them here. A retention
# keeps the log bill bounded.
resource "aws_cloudwatch_log_group" "registry" {
  name              = "/aws/lambda/${var.name}"
  retention_in_days = 14
}

resource "aws_lambda_function" "registry" {
  function_name    = var.name
  role             = aws_iam_role.registry.arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = [var.architecture]
  filename         = var.lambda_package
  source_code_hash = filebase64sha256(var.lambda_package)
  # Start-up hashes the users' passwords (bcrypt); 512 MB gives it enough
  # CPU for a cold start well under a second.
  memory_size = 512
  timeout     = 29 # the HTTP API waits at most 30 s

  # USE_S3=1, S3_BUCKET_NAME, USE_SQLITE=0, ENVIRONMENT=production and
  # LOG_LEVEL=INFO from registry_storage; Lambda sets AWS_REGION itself.
  # The server refuses to start in Lambda without TOKEN_SECRET.
  environment {
    variables = merge(registry_storage.artifacts.lambda_environment, {
      TOKEN_SECRET            = var.token_secret
      REGISTRY_ADMIN_PASSWORD = var.admin_password
    })
  }

  # The role must reach the bucket and the logs before the first event.
  depends_on = [
    aws_iam_role_policy.registry_s3,
    aws_iam_role_policy_attachment.logs,
    aws_cloudwatch_log_group.registry,
  ]
}

resource "aws_apigatewayv2_api" "registry" {
  name          = var.name
  protocol_type = "HTTP"
}

resource "aws_apigatewayv2_integration" "registry" {
  api_id                 = aws_apigatewayv2_api.registry.id
  integration_type       = "AWS_PROXY"
  integration_uri        = aws_lambda_function.registry.invoke_arn
  payload_format_version = "2.0"
}

# Every request goes to the function. Names are a route of their own: the
# HTTP API hands the function the path decoded, and the name as a path
# parameter lets it keep a name's "/" apart from the path's (the tests'
# lambda-gateway declares the same route).
resource "aws_apigatewayv2_route" "routes" {
  for_each = toset(["$default", "ANY /artifact/byName/{name}"])

  api_id    = aws_apigatewayv2_api.registry.id
  route_key = each.value
  target    = "integrations/${aws_apigatewayv2_integration.registry.id}"
}

# $default stage: no stage name in the URL, so download_url
# (https://<api host>/download/<id>) is right as the server builds it.
resource "aws_apigatewayv2_stage" "default" {
  api_id      = aws_apigatewayv2_api.registry.id
  name        = "$default"
  auto_deploy = true
}

resource "aws_lambda_permission" "api" {
  statement_id  = "AllowHTTPAPIInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.registry.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.registry.execution_arn}/*/*"
}

output "api_url" {
  description = "The registry's endpoint: the registry provider's endpoint (seed/ reads it from this state)."
  value       = aws_apigatewayv2_stage.default.invoke_url
}

output "bucket" {
  value = registry_storage.artifacts.id
}

output "function_name" {
  value = aws_lambda_function.registry.function_name
}
