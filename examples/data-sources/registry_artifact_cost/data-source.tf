# The download size of a model alone, in MB.
data "registry_artifact_cost" "model" {
  type = "model"
  id   = "3847247294"
}

# With its dependencies held in the registry (base model, datasets, code):
# total_cost is the sum, and costs has an entry per artifact.
data "registry_artifact_cost" "with_dependencies" {
  type       = "model"
  id         = "3847247294"
  dependency = true
}

output "download_mb" {
  value = {
    alone             = data.registry_artifact_cost.model.total_cost
    with_dependencies = data.registry_artifact_cost.with_dependencies.total_cost
    per_artifact      = { for id, c in data.registry_artifact_cost.with_dependencies.costs : id => c.standalone_cost }
  }
}
