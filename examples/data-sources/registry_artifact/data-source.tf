# One artifact by type and id.
data "registry_artifact" "by_id" {
  type = "model"
  id   = "3847247294"
}

# Or by name, optionally narrowed to a type; a name that matches several
# artifacts is an error that lists their ids.
data "registry_artifact" "by_name" {
  name = "bert-base-uncased"
  type = "model"
}

output "bert_url" {
  value = data.registry_artifact.by_name.url
}
