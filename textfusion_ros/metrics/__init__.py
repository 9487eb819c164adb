"""Image-fusion quality metrics, following the conventions of the IR/visible fusion literature."""

from .contrast import standard_deviation
from .correlation import scd
from .evaluate import (
    CONVENTIONS,
    METRIC_NAMES,
    SEED_CONVENTION,
    compute_metrics,
    evaluate_folders,
    mean_metrics,
    read_stem_list,
)
from .gradient import average_gradient, average_gradient_central, spatial_frequency
from .grey import to_grey8
from .information import entropy, mutual_information
from .qabf import qabf
from .structural import ssim_pair, ssim_pair_film, ssim_sum, ssim_sum_film
from .table import format_table
from .vif import vif

__all__ = [
    "CONVENTIONS",
    "METRIC_NAMES",
    "SEED_CONVENTION",
    "average_gradient",
    "average_gradient_central",
    "compute_metrics",
    "entropy",
    "evaluate_folders",
    "format_table",
    "mean_metrics",
    "mutual_information",
    "qabf",
    "read_stem_list",
    "scd",
    "spatial_frequency",
    "ssim_pair",
    "ssim_pair_film",
    "ssim_sum",
    "ssim_sum_film",
    "standard_deviation",
    "to_grey8",
    "vif",
]
