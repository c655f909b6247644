terraform {
  required_providers {
    registry = {
      source = "trustworthy-registry/registry"
    }
  }
}

# The endpoint and credentials come from REGISTRY_ENDPOINT,
# REGISTRY_USERNAME and REGISTRY_PASSWORD.
provider "registry" {}

variable "model_url" {
  description = "Source URL of the model to register."
  type        = string
  default     = "https://huggingface.co/google-bert/bert-base-uncased"
}

variable "model_sha256" {
  description = <<-EOT
    SHA-256 of the model's bundle as it was vetted: the sha256 output of an
    apply without a pin, or sha256sum of the file served from download_url.
    null (the default) registers the model without a pin.
  EOT
  type        = string
  default     = null
}

resource "registry_artifact" "model" {
  type = "model"
  url  = var.model_url
  # The registry must store exactly this content: a create with another
  # bundle fails and leaves nothing behind, and a bundle changed later in the
  # registry's storage makes the next plan replace the artifact.
  expected_sha256 = var.model_sha256
}

output "model_download" {
  description = "Where the registry serves the model's bundle (GET with the X-Authorization header), and what it serves."
  value = {
    download_url      = registry_artifact.model.download_url
    sha256            = registry_artifact.model.sha256
    size_bytes        = registry_artifact.model.size_bytes
    bundle_not_stored = registry_artifact.model.bundle_not_stored
  }
}
