"""The model: feature blocks, training with grouped cross-validation, the saved bundle, evaluation."""
