import {
  to = registry_artifact.bert
  identity = {
    type = "model"
    id   = "3847247294"
  }
}
