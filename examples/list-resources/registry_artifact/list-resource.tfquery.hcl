# Every artifact of the registry, for `terraform query`. With
# `terraform query -generate-config-out=generated.tf`, Terraform writes a
# registry_artifact block and an import block for each of them; the next
# `terraform apply` imports them all.
list "registry_artifact" "all" {
  provider = registry
  limit    = 1000
}

# The models named bert-base-uncased, with their url and name.
list "registry_artifact" "bert" {
  provider         = registry
  include_resource = true

  config {
    name  = "bert-base-uncased"
    types = ["model"]
  }
}

# The datasets whose name or README matches a regular expression.
list "registry_artifact" "squad_datasets" {
  provider = registry

  config {
    regex = "^squad"
    types = ["dataset"]
  }
}
