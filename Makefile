# Two commands set up a fresh machine: `make demo` (main job) and `make test` (test suite).
# Both bootstrap .venv idempotently; torch is pinned by constraints.txt for every install.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.textfusion-deps
ROSENV := ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST

.PHONY: venv demo test lint bench gpu-check train validate test-report clean

ROSTOOLS := ../shared/ros-tools/install.sh

venv: $(STAMP)
	textfusion_interfaces/install_into_venv.sh $(VENV)
	scripts/ament_prefix_into_venv.sh $(VENV)
	@# The ros2 CLI and launch (a test tool, not a dependency), when present beside the checkout.
	if [ -x $(ROSTOOLS) ]; then $(ROSTOOLS) $(VENV); \
	else echo "ros-tools: $(ROSTOOLS) not found; the ros2 CLI and launch tests will skip"; fi

$(STAMP): requirements.txt constraints.txt setup.py
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt -r requirements.txt
	$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt --no-deps -e .
	@# `training` is not an installed package (no top-level name in a shared install): this
	@# checkout's venv imports it from the source tree, so `textfusion train` works here.
	$(PY) -c 'import pathlib, sysconfig; pathlib.Path(sysconfig.get_path("purelib"), "textfusion_source_checkout.pth").write_text("$(CURDIR)\n")'
	touch $(STAMP)

demo: venv
	$(ROSENV) ROS_DOMAIN_ID=$${ROS_DOMAIN_ID:-42} $(VENV)/bin/textfusion ros-demo --out out/demo

test: venv
	$(ROSENV) $(PY) -m pytest -q test

lint: venv
	$(VENV)/bin/ruff check .

bench: venv
	$(VENV)/bin/textfusion bench --backend all

# For an offline machine with an NVIDIA GPU: GPU-marked tests + every backend at 640x512 and
# 1280x1024 -> out/gpu-check.json. Uses .venv when present, else GPU_PYTHON (a Python with
# PyTorch-CUDA and this project's requirements); installs nothing.
GPU_PYTHON ?= $(if $(wildcard $(PY)),$(PY),python3)
gpu-check:
	$(ROSENV) PYTHONPATH=$(CURDIR) $(GPU_PYTHON) -m textfusion_ros.cli gpu-check --out out/gpu-check.json

train: venv
	$(VENV)/bin/textfusion train --config config/train_roadscene.yaml

validate: venv
	$(VENV)/bin/textfusion validate --config config/train_roadscene.yaml \
		--model models/textfusion_minilm.safetensors --json models/validation.json --card models/MODEL_CARD.md \
		--test-json models/test_report.json

# Once per shipped model, after choosing it: the untouched test split, then the card with it.
test-report: venv
	$(VENV)/bin/textfusion validate --config config/train_roadscene.yaml \
		--model models/textfusion_minilm.safetensors --split test --json models/test_report.json
	$(MAKE) validate

clean:
	rm -rf build out runs
