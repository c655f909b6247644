# May the model be fine-tuned with, and served by, the code of this GitHub
# project, license-wise?
data "registry_license_check" "bert" {
  id         = "9078563412"
  github_url = "https://github.com/google-research/bert"
}

output "license_compatible" {
  value = data.registry_license_check.bert.compatible
}
