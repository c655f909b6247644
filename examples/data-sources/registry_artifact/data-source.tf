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

output "bert" {
  value = {
    url          = data.registry_artifact.by_name.url
    download_url = data.registry_artifact.by_name.download_url
    # null, with bundle_not_stored saying why, when the registry stores no
    # bundle for it.
    sha256     = data.registry_artifact.by_name.sha256
    size_bytes = data.registry_artifact.by_name.size_bytes
  }
}
