import {
  to = registry_artifact.bookcorpus
  identity = {
    type = "dataset"
    id   = "9918273645"
  }
}
