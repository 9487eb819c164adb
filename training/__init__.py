"""Training tools for the text-guided fusion network: datasets, prompts and the training loop."""
