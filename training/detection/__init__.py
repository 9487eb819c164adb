"""Detection-driven fine-tuning: a frozen differentiable detector, its loss, the bilevel loop."""
