locals {
  # The source is "huggingface", the type "model", the owner "google-bert"
  # and the name "bert-base-uncased".
  bert = provider::registry::parse_artifact_url("https://huggingface.co/google-bert/bert-base-uncased/tree/main")
}

output "bert" {
  value = local.bert
}

# The name the registry will give the artifact, known at plan time, e.g. to
# look it up before it is created: "whisper".
output "whisper_name" {
  value = provider::registry::parse_artifact_url("https://github.com/openai/whisper.git").name
}
