# The registry's S3 bucket, created and hardened as the registry's S3
# operations guide says: versioning, all public access blocked, SSE-S3
# encryption, a lifecycle rule that aborts incomplete multipart uploads of
# artifact bundles after 7 days and an access check are on by default.
resource "registry_storage" "artifacts" {
  bucket_prefix = "trustworthy-registry-artifacts-"

  # Deny every request that does not use TLS.
  enforce_tls = true

  # Keep old versions of artifact metadata for 30 days only.
  noncurrent_version_expiration_days = 30

  tags = {
    team = "ml-platform"
  }
}

# Ready for aws_iam_role_policy.policy and
# aws_lambda_function.environment.variables.
output "iam_policy_json" {
  value = registry_storage.artifacts.iam_policy_json
}

output "lambda_environment" {
  value = registry_storage.artifacts.lambda_environment
}
