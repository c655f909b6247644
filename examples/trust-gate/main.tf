# Seeds models and gates the configuration on how the registry rates them:
# a postcondition on registry_model_rating FAILS the apply when a model's
# net_score is below the threshold, and a check block only WARNS when a
# model's license score is low. Outputs each model's lineage and what
# downloading all of them, with their dependencies, costs.
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

variable "models" {
  type        = map(string)
  description = "Models to register, by a key of your choice => Hugging Face URL."
  default = {
    bert       = "https://huggingface.co/google-bert/bert-base-uncased"
    bert_squad = "https://huggingface.co/csarron/bert-base-uncased-squad-v1"
  }
}

variable "min_net_score" {
  type        = number
  description = "The lowest net_score a model may have; a lower one fails the apply."
  default     = 0.5

  validation {
    condition     = var.min_net_score >= 0 && var.min_net_score <= 1
    error_message = "min_net_score must be in [0, 1]."
  }
}

variable "min_license_score" {
  type        = number
  description = "The lowest license score that passes the check block without a warning."
  default     = 0.5
}

resource "registry_artifact" "model" {
  for_each = var.models

  type = "model"
  url  = each.value
}

# The gate. A failed postcondition is an error: the apply stops, and nothing
# that depends on these ratings (terraform_data.serving below) is created or
# changed. The models themselves were registered before they could be rated;
# a registry with RATING_MODE=sync refuses a disqualified model at
# registration instead (424, "Artifact disqualified by its rating").
data "registry_model_rating" "model" {
  for_each = registry_artifact.model

  id = each.value.id

  lifecycle {
    postcondition {
      condition     = self.net_score >= var.min_net_score
      error_message = "Model ${each.key} (${self.name}) has net_score ${self.net_score}, below the minimum ${var.min_net_score}; it must not be served."
    }
  }
}

# The soft gate. A failed assertion in a check block is only a warning:
# plan and apply go on, and the warning shows on every run until it is met.
check "licenses" {
  assert {
    condition = alltrue([for r in data.registry_model_rating.model : r.license >= var.min_license_score])
    error_message = "License score below ${var.min_license_score}: ${join(", ", [
      for k, r in data.registry_model_rating.model : "${k} (${r.license})" if r.license < var.min_license_score
    ])}."
  }
}

data "registry_model_lineage" "model" {
  for_each = registry_artifact.model

  id = each.value.id
}

data "registry_artifact_cost" "model" {
  for_each = registry_artifact.model

  type       = "model"
  id         = each.value.id
  dependency = true
}

# Stands for whatever serves the models: it is only created once every
# model passed the gate.
resource "terraform_data" "serving" {
  input = { for k, r in data.registry_model_rating.model : k => { id = r.id, net_score = r.net_score } }
}

output "net_scores" {
  description = "Each model's net_score."
  value       = { for k, r in data.registry_model_rating.model : k => r.net_score }
}

output "lineage" {
  description = "Each model's lineage edges as \"<from> -> <to> (<relationship>)\", by artifact name."
  value = {
    for k, l in data.registry_model_lineage.model : k => [
      for e in l.edges : format("%s -> %s (%s)",
        one([for n in l.nodes : n.name if n.artifact_id == e.from_node_artifact_id]),
        one([for n in l.nodes : n.name if n.artifact_id == e.to_node_artifact_id]),
        e.relationship,
      )
    ]
  }
}

output "total_cost_mb" {
  description = "Download size in MB of all models with their dependencies, each artifact counted once."
  value = sum(values(merge([
    for c in data.registry_artifact_cost.model : { for id, e in c.costs : id => e.standalone_cost }
  ]...)))
}
