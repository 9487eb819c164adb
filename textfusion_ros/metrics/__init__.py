"""Image-fusion quality metrics, following the conventions of the IR/visible fusion literature."""

from .contrast import standard_deviation
from .correlation import scd
from .evaluate import METRIC_NAMES, compute_metrics, evaluate_folders, mean_metrics
from .gradient import average_gradient, spatial_frequency
from .grey import to_grey8
from .information import entropy, mutual_information
from .qabf import qabf
from .structural import ssim_pair, ssim_sum
from .table import format_table
from .vif import vif

__all__ = [
    "METRIC_NAMES",
    "average_gradient",
    "compute_metrics",
    "entropy",
    "evaluate_folders",
    "format_table",
    "mean_metrics",
    "mutual_information",
    "qabf",
    "scd",
    "spatial_frequency",
    "ssim_pair",
    "ssim_sum",
    "standard_deviation",
    "to_grey8",
    "vif",
]
