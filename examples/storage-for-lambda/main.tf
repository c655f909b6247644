# The registry's S3 storage for its AWS Lambda deployment, in one
# configuration: registry_storage creates and hardens the bucket, and its
# outputs feed the Lambda's IAM policy and environment, replacing steps 1-3
# of the registry's S3 operations guide.
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
  description = "AWS region of the bucket and the Lambda function (the guide uses us-east-1)."
  default     = "us-east-1"
}

variable "lambda_package" {
  type        = string
  description = "Path of the registry's deployment package (zip) built by its CI."
  default     = "build/registry-lambda.zip"
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
  name = "trustworthy-model-registry"
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

# Least privilege on the bucket: Put/Get/DeleteObject on its objects and
# ListBucket on the bucket (the guide's S3AccessPolicy).
resource "aws_iam_role_policy" "registry_s3" {
  name   = "S3AccessPolicy"
  role   = aws_iam_role.registry.id
  policy = registry_storage.artifacts.iam_policy_json
}

resource "aws_lambda_function" "registry" {
  function_name    = "trustworthy-model-registry"
  role             = aws_iam_role.registry.arn
  runtime          = "python3.11"
  handler          = "app.handler"
  filename         = var.lambda_package
  source_code_hash = filebase64sha256(var.lambda_package)
  timeout          = 30

  # USE_S3=1, S3_BUCKET_NAME, USE_SQLITE=0, ENVIRONMENT=production and
  # LOG_LEVEL=INFO; Lambda sets AWS_REGION itself.
  environment {
    variables = registry_storage.artifacts.lambda_environment
  }

  # The role must be able to reach the bucket before the first invocation.
  depends_on = [aws_iam_role_policy.registry_s3]
}

output "bucket" {
  value = registry_storage.artifacts.id
}

output "function_name" {
  value = aws_lambda_function.registry.function_name
}
