# A bucket is imported by its name.
terraform import registry_storage.artifacts trustworthy-registry-artifacts-20261127093015a1b2c3d4e5f6
