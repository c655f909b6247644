terraform {
  required_version = ">= 1.10"
  required_providers {
    registry = {
      source = "trustworthy-registry/registry"
    }
  }
}

# Credentials are best left to the environment: REGISTRY_ENDPOINT,
# REGISTRY_USERNAME and REGISTRY_PASSWORD (or REGISTRY_TOKEN).
provider "registry" {
  endpoint = "https://registry.example.com"
  username = "ece30861defaultadminuser"

  # Only needed for registry_storage; credentials come from the AWS SDK's
  # default chain (environment, shared files, instance or task roles).
  s3 {
    region = "us-east-1"
  }
}
