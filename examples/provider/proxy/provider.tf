# A proxy for the registry provider only. Without proxy_url, the standard
# HTTPS_PROXY, HTTP_PROXY and NO_PROXY environment variables apply to it
# (as to Terraform itself).
provider "registry" {
  endpoint  = "https://registry.example.com"
  proxy_url = "http://proxy.internal.example.com:3128"
}
