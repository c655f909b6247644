# An artifact is imported by its type and id: <type>/<id>.
terraform import registry_artifact.bert model/3847247294
