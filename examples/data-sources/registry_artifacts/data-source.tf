# Everything the registry holds (name defaults to "*").
data "registry_artifacts" "all" {}

# Models and datasets named "bert-base-uncased".
data "registry_artifacts" "bert" {
  name  = "bert-base-uncased"
  types = ["model", "dataset"]
}

# Artifacts whose name matches a regular expression.
data "registry_artifacts" "whisper" {
  regex = "^whisper-.*"
}

output "all" {
  value = [for a in data.registry_artifacts.all.artifacts : "${a.type}/${a.id} ${a.name}"]
}
