# Seeds a registry with one artifact of each type, reads them back, and reads
# the model's rating.
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

# The registry's rating of the model, computed by its trust pipeline on this
# first read (the quickstart's server reads recorded Hugging Face and GitHub
# answers when offline).
data "registry_model_rating" "model" {
  id = registry_artifact.model.id
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

output "model_rating" {
  value = {
    name         = data.registry_model_rating.model.name
    net_score    = data.registry_model_rating.model.net_score
    license      = data.registry_model_rating.model.license
    ramp_up_time = data.registry_model_rating.model.ramp_up_time
    bus_factor   = data.registry_model_rating.model.bus_factor
  }
}
