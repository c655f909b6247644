# Only for a throwaway test registry with a self-signed certificate: the
# registry's certificate is not verified, and every run warns about it.
# Prefer ca_certificate. REGISTRY_INSECURE=true does the same.
provider "registry" {
  endpoint = "https://127.0.0.1:8443"
  insecure = true
}
