# The second half of the deployment: the registry provider pointed at the
# API that ../ created (read from its state) seeds the registry from a CSV
# file of source URLs, as examples/seeding does for any registry.
terraform {
  required_version = ">= 1.10"
  required_providers {
    registry = {
      source = "trustworthy-registry/registry"
    }
  }
}

variable "deployment_state" {
  type        = string
  description = "Path of the deployment's state file (the configuration in the folder above)."
  default     = "../terraform.tfstate"
}

variable "admin_password" {
  type        = string
  description = "The admin_password the deployment was applied with."
  sensitive   = true
}

variable "artifacts_csv" {
  type        = string
  description = "Path of the CSV file with the columns type and url."
  default     = "../../seeding/artifacts.csv"
}

data "terraform_remote_state" "deployment" {
  backend = "local"
  config = {
    path = var.deployment_state
  }
}

provider "registry" {
  endpoint = data.terraform_remote_state.deployment.outputs.api_url
  username = "ece30861defaultadminuser"
  password = var.admin_password
  # A cold start of the function makes the first request slower.
  request_timeout = "30s"
}

locals {
  artifacts = {
    for row in csvdecode(file(var.artifacts_csv)) :
    "${row.type}/${provider::registry::parse_artifact_url(row.url).name}" => row
  }
}

resource "registry_artifact" "seed" {
  for_each = local.artifacts

  type = each.value.type
  url  = each.value.url
}

# The registry as deployed answers queries: every seeded artifact, read back
# through the API.
data "registry_artifacts" "all" {
  depends_on = [registry_artifact.seed]
}

output "artifact_ids" {
  description = "Registry id of each seeded artifact, by <type>/<name>."
  value       = { for key, a in registry_artifact.seed : key => a.id }
}

output "download_urls" {
  description = "download_url of each seeded artifact: on the API's host."
  value       = { for key, a in registry_artifact.seed : key => a.download_url }
}

output "registry_holds" {
  description = "Number of artifacts the registry lists."
  value       = length(data.registry_artifacts.all.artifacts)
}
