# Seeds a registry with one artifact of each type and reads them back.
# scripts/quickstart.sh (make quickstart) runs this against a local registry
# server; REGISTRY_ENDPOINT, REGISTRY_USERNAME and REGISTRY_PASSWORD configure
# the provider.
terraform {
  required_version = ">= 1.10"
  required_providers {
    registry = {
      source = "trustworthy-registry/registry"
    }
  }
}

provider "registry" {}

resource "registry_artifact" "model" {
  type = "model"
  url  = "https://huggingface.co/google-bert/bert-base-uncased"
}

resource "registry_artifact" "dataset" {
  type = "dataset"
  url  = "https://huggingface.co/datasets/bookcorpus/bookcorpus"
}

resource "registry_artifact" "code" {
  type = "code"
  url  = "https://github.com/google-research/bert"
}

# Read back through the API: one by id, and everything the registry holds.
data "registry_artifact" "model" {
  type = registry_artifact.model.type
  id   = registry_artifact.model.id
}

data "registry_artifacts" "all" {
  depends_on = [
    registry_artifact.model,
    registry_artifact.dataset,
    registry_artifact.code,
  ]
}

output "model" {
  value = {
    id           = data.registry_artifact.model.id
    name         = data.registry_artifact.model.name
    download_url = registry_artifact.model.download_url
  }
}

output "dataset_id" {
  value = registry_artifact.dataset.id
}

output "code_id" {
  value = registry_artifact.code.id
}

output "registry_contents" {
  value = [for a in data.registry_artifacts.all.artifacts : "${a.type}/${a.id} ${a.name}"]
}
