import {
  to = registry_artifact.bert
  id = "model/3847247294"
}
