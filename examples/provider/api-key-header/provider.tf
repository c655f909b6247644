# A registry behind API Gateway with a usage plan, which answers 403 to
# requests without the x-api-key header. Pass the key as a variable, e.g.
#   export TF_VAR_registry_api_key=...
# Header values are never logged or stored in state.
variable "registry_api_key" {
  type      = string
  sensitive = true
}

provider "registry" {
  endpoint = "https://abc123.execute-api.us-east-1.amazonaws.com/prod"
  headers = {
    "x-api-key" = var.registry_api_key
  }
}
