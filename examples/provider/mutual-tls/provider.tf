# A registry that requires a client certificate (mutual TLS). The key is
# best left to the environment, so that it is not in the configuration:
#   export REGISTRY_CLIENT_KEY="$(cat terraform.key)"
# (REGISTRY_CLIENT_CERTIFICATE and REGISTRY_CA_CERTIFICATE work the same way.)
variable "pki_dir" {
  type        = string
  description = "Folder holding ca.pem and terraform.pem."
}

provider "registry" {
  endpoint           = "https://registry.internal.example.com"
  ca_certificate     = file("${var.pki_dir}/ca.pem")
  client_certificate = file("${var.pki_dir}/terraform.pem")
  # client_key from REGISTRY_CLIENT_KEY
}
