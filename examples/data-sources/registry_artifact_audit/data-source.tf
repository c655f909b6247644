data "registry_artifact_audit" "bert" {
  type = "model"
  id   = "9078563412"
}

# Who last touched the artifact (entries are oldest first).
output "last_action" {
  value = try(data.registry_artifact_audit.bert.entries[length(data.registry_artifact_audit.bert.entries) - 1], null)
}

output "creators" {
  value = distinct([for e in data.registry_artifact_audit.bert.entries : e.user_name if e.action == "CREATE"])
}
