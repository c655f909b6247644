# Seeds a registry from a CSV file of source URLs: one registry_artifact per
# row. Adding a row creates an artifact, removing one deletes it, and
# `terraform plan` shows any artifact changed or deleted out of band.
terraform {
  required_version = ">= 1.10"
  required_providers {
    registry = {
      source = "trustworthy-registry/registry"
    }
  }
}

# REGISTRY_ENDPOINT, REGISTRY_USERNAME and REGISTRY_PASSWORD configure it.
provider "registry" {}

variable "artifacts_csv" {
  type        = string
  description = "Path of the CSV file with the columns type and url."
  default     = "artifacts.csv"
}

locals {
  rows = csvdecode(file(var.artifacts_csv))

  # Keyed by "<type>/<name>" with the name the registry derives from the URL,
  # so that addresses read like registry_artifact.seed["model/whisper-tiny"]
  # and stay the same when the rows are reordered.
  artifacts = {
    for row in local.rows :
    "${row.type}/${provider::registry::parse_artifact_url(row.url).name}" => row
  }
}

resource "registry_artifact" "seed" {
  for_each = local.artifacts

  type = each.value.type
  url  = each.value.url
}

output "artifact_ids" {
  description = "Registry id of each seeded artifact, by <type>/<name>."
  value       = { for key, a in registry_artifact.seed : key => a.id }
}
