# SPIRIT twin: RTL, golden model and cocotb testbenches of a spiking perceptron with RRAM synapses.
#
#   make sim     run real handwritten digits through the RTL, checked against the model
#   make test    the regression (what CI runs)
#   make help    everything else
#
# The first target run creates .venv from requirements.txt; nothing is installed elsewhere.

PYTHON    ?= python3
VENV      ?= .venv
PY        := $(VENV)/bin/python
STAMP     := $(VENV)/.spirit-installed

# make sim settings
DATASET   ?= digits
N         ?=
MNIST_DIR ?= ../shared/data/mnist
WEIGHTS   ?=
WAVES     ?= 0
WAVES_FROM ?=
WAVES_COUNT ?=
WAVES_UNIT ?=
BATCH     ?=
REPORT    ?=
DEVICES   ?= 0
RESET     ?=
VERIFY    ?=
DEVICE_SEED ?=
# make soak settings
MINUTES   ?=
SEED      ?=
# make test settings
JOBS      ?= auto
PYTEST_ARGS ?=

export MNIST_DIR

.PHONY: help sim test train results devices bench lint synth icarus coverage soak clean distclean venv

help:
	@echo "make sim                 whole chip in RTL on scikit-learn's 8x8 digits (64 inputs)"
	@echo "make sim DATASET=mnist   SPIRIT configuration (12x12, 144 inputs) on MNIST test images"
	@echo "    N=1000               how many test images (default: all 599 digits, 1000 MNIST)"
	@echo "    MNIST_DIR=dir        MNIST files (default ../shared/data/mnist)"
	@echo "    WEIGHTS=file         weights file (default weights/<dataset>.json)"
	@echo "    WAVES=1              write a waveform trace of images WAVES_FROM.. (default 0),"
	@echo "                         WAVES_COUNT of them (default 20); WAVES_UNIT=cycle counts cycles"
	@echo "    REPORT=file          JSON report (default build/reports/sim_<dataset>.json)"
	@echo "    BATCH=2000           images per testbench batch"
	@echo "    DEVICES=1            calibrated RRAM devices instead of ideal cells; with them"
	@echo "    RESET=weak VERIFY=2  the weak RESET, program-and-verify rounds; DEVICE_SEED=n"
	@echo "make test                regression: model, block testbenches, whole chip, CLI"
	@echo "    JOBS=auto            parallel workers; PYTEST_ARGS=... more pytest options"
	@echo "make train               retrain the weights files in weights/ (about 3 minutes)"
	@echo "make results             the twin beside the chip: docs/results.md (about 3 minutes)"
	@echo "make devices             RRAM devices: the chip's programming table, sweeps, read-disturb"
	@echo "                         soak: docs/devices.md (about 6 minutes)"
	@echo "make coverage            Verilator line and toggle coverage of rtl/ and functional coverage,"
	@echo "                         merged: build/coverage/report.txt (about 3 minutes)"
	@echo "make soak                random stream through the whole chip, bit-exact, for MINUTES=3;"
	@echo "                         SEED=n replays a seed"
	@echo "make lint                verilator --lint-only -Wall on every RTL module, ruff on Python"
	@echo "make synth               Yosys on every module and the chip (144, 64 inputs): cells, flip-flops"
	@echo "make icarus              Icarus Verilog: elaborate every module, smoke-simulate the chip"
	@echo "make bench               speed: cocotb against a C++ harness and the model; size ladder"
	@echo "make clean               remove build/ (builds, runs, reports, waves)"
	@echo "make distclean           also remove .venv"

venv: $(STAMP)

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "error: $(PYTHON) \
	is Python %d.%d; 3.11 or newer is needed: make ... PYTHON=python3.12" % sys.version_info[:2])'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt
	@touch $@

# make's variables reach the tools through the environment, so no value is parsed by a shell
sim: export SPIRIT_DATASET = $(DATASET)
sim: export SPIRIT_N = $(N)
sim: export SPIRIT_MNIST_DIR = $(MNIST_DIR)
sim: export SPIRIT_WEIGHTS = $(WEIGHTS)
sim: export SPIRIT_WAVES = $(WAVES)
sim: export SPIRIT_WAVES_FROM = $(WAVES_FROM)
sim: export SPIRIT_WAVES_COUNT = $(WAVES_COUNT)
sim: export SPIRIT_WAVES_UNIT = $(WAVES_UNIT)
sim: export SPIRIT_BATCH = $(BATCH)
sim: export SPIRIT_REPORT = $(REPORT)
sim: export SPIRIT_DEVICES = $(DEVICES)
sim: export SPIRIT_RESET = $(RESET)
sim: export SPIRIT_VERIFY = $(VERIFY)
sim: export SPIRIT_DEVICE_SEED = $(DEVICE_SEED)
sim: $(STAMP)
	@$(PY) -m tools.sim

test: $(STAMP)
	$(PY) -m pytest -n $(JOBS) --junitxml=build/junit.xml $(PYTEST_ARGS) tests

train: $(STAMP)
	@$(PY) -m tools.train --all

results: $(STAMP)
	@$(PY) -m tools.results

devices: $(STAMP)
	@$(PY) -m tools.devices

bench: $(STAMP)
	@$(PY) -m tools.bench

synth: $(STAMP)
	@$(PY) -m tools.synth

icarus: $(STAMP)
	@$(PY) -m tools.icarus

coverage: $(STAMP)
	@$(PY) -m tools.coverage

soak: export SPIRIT_SOAK_MINUTES = $(MINUTES)
soak: export SPIRIT_SOAK_SEED = $(SEED)
soak: $(STAMP)
	@$(PY) -m tools.soak

lint: $(STAMP)
	$(PY) -m tools.lint
	$(VENV)/bin/ruff check model tb tools tests

clean:
	rm -rf build

distclean: clean
	rm -rf $(VENV)
