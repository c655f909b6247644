data "registry_model_lineage" "classifier" {
  id = "3847247294"
}

# The base models of this model, by name.
output "base_models" {
  value = [
    for e in data.registry_model_lineage.classifier.edges :
    one([for n in data.registry_model_lineage.classifier.nodes : n.name if n.artifact_id == e.from_node_artifact_id])
    if e.relationship == "base_model" && e.to_node_artifact_id == data.registry_model_lineage.classifier.id
  ]
}
