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

output "bert" {
  value = {
    id           = registry_artifact.bert.id
    name         = registry_artifact.bert.name
    download_url = registry_artifact.bert.download_url
  }
}
