import {
  to = registry_storage.imported
  identity = {
    bucket = "trustworthy-registry-artifacts-20261127093015a1b2c3d4e5f6"
  }
}
