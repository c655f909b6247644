# A registry token obtained with the provider's credentials. It is never
# written to a plan or state file (Terraform 1.10 or newer).
ephemeral "registry_token" "this" {}

resource "registry_artifact" "bert" {
  type = "model"
  url  = "https://huggingface.co/google-bert/bert-base-uncased"
}

# Hand the token to a script through a provisioner's environment: here it
# saves the model's rating next to the configuration. The provisioner's
# output is hidden because the token is sensitive. The token can also
# configure another provider (e.g. a REST API provider's headers) or be
# passed to a module's ephemeral variable.
resource "terraform_data" "bert_rating" {
  triggers_replace = [registry_artifact.bert.id]

  provisioner "local-exec" {
    command = "curl -fsS -H \"X-Authorization: $REGISTRY_TOKEN\" \"$REGISTRY_ENDPOINT/artifact/model/$MODEL_ID/rate\" > bert-rating.json"
    environment = {
      REGISTRY_ENDPOINT = "https://registry.example.com"
      REGISTRY_TOKEN    = ephemeral.registry_token.this.token
      MODEL_ID          = registry_artifact.bert.id
    }
  }
}
