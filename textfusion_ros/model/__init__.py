"""The text-guided fusion network, its checkpoint format and compute accounting."""

from textfusion_ros.model.config import ModelConfig
from textfusion_ros.model.network import TextFusionNet

__all__ = ["ModelConfig", "TextFusionNet"]
