# A model whose rating must stay at 0.5 or above: the action runs after the
# model is registered and after every change of its url, and fails the apply
# when the registry rates it lower.
resource "registry_artifact" "bert" {
  type = "model"
  url  = "https://huggingface.co/google-bert/bert-base-uncased"

  lifecycle {
    action_trigger {
      events  = [after_create, after_update]
      actions = [action.registry_rate_model.bert]
    }
  }
}

action "registry_rate_model" "bert" {
  config {
    id            = registry_artifact.bert.id
    min_net_score = 0.5
  }
}

# On demand: terraform apply -invoke=action.registry_rate_model.bert
