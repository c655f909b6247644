# A model from Hugging Face; the registry derives its name
# ("bert-base-uncased") from the URL.
resource "registry_artifact" "bert" {
  type = "model"
  url  = "https://huggingface.co/google-bert/bert-base-uncased"
}

resource "registry_artifact" "bookcorpus" {
  type = "dataset"
  url  = "https://huggingface.co/datasets/bookcorpus/bookcorpus"
}

resource "registry_artifact" "bert_code" {
  type = "code"
  url  = "https://github.com/google-research/bert"
}

# Pinned by content: the registry must store exactly this bundle (the
# sha256 of a vetted apply, or sha256sum of the file from download_url).
resource "registry_artifact" "bert_squad" {
  type            = "model"
  url             = "https://huggingface.co/csarron/bert-base-uncased-squad-v1"
  expected_sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
}

output "bert" {
  value = {
    id           = registry_artifact.bert.id
    name         = registry_artifact.bert.name
    download_url = registry_artifact.bert.download_url
    sha256       = registry_artifact.bert.sha256
    size_bytes   = registry_artifact.bert.size_bytes
  }
}
