"""Text encoders, prompt validation and the prompt-embedding cache."""

from textfusion_ros.text.cache import PromptCache
from textfusion_ros.text.embedding import TextEmbedding, collate_embeddings
from textfusion_ros.text.validation import PromptRejected, validate_prompt

__all__ = ["PromptCache", "PromptRejected", "TextEmbedding", "collate_embeddings",
           "validate_prompt"]
