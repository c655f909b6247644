# A registry whose TLS certificate is issued by a private (company) CA.
# Instead of the argument, REGISTRY_CA_CERTIFICATE can hold the PEM text:
#   export REGISTRY_CA_CERTIFICATE="$(cat registry-ca.pem)"
variable "ca_certificate_file" {
  type        = string
  description = "Path of the PEM file of the CA that issued the registry's certificate."
}

provider "registry" {
  endpoint       = "https://registry.internal.example.com"
  ca_certificate = file(var.ca_certificate_file)
}
