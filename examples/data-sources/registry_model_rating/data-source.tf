resource "registry_artifact" "bert" {
  type = "model"
  url  = "https://huggingface.co/google-bert/bert-base-uncased"
}

data "registry_model_rating" "bert" {
  id = registry_artifact.bert.id

  # Fails the apply when the model scores too low. (A check block with the
  # same assertion only warns; see examples/trust-gate.)
  lifecycle {
    postcondition {
      condition     = self.net_score >= 0.5
      error_message = "bert-base-uncased scores ${self.net_score}, below 0.5."
    }
  }
}

output "bert_scores" {
  value = {
    net_score    = data.registry_model_rating.bert.net_score
    license      = data.registry_model_rating.bert.license
    raspberry_pi = data.registry_model_rating.bert.size_score.raspberry_pi
  }
}
