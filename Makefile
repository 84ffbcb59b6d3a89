# keras_seq development tasks. `make demo` and `make test` set up .venv first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The CPU build of torch: an unpinned torch pulls a multi-GB CUDA build.
TORCH_PIN := torch==2.13.0
BACKENDS := tensorflow jax torch
PYTEST_ARGS ?=
# Two pytest workers (pytest-xdist): most of the suite's time is single-
# threaded (XLA compiles, recipe subprocesses), so two workers on the 2-core
# CI machine cut the JAX run from 838 s to 589 s. `make test PYTEST_WORKERS=0`
# runs in one process. Three workers were no faster (JAX pass 740 s against
# 721 s with two, back to back; two keep the cores ~87 % busy). `--dist
# loadgroup` keeps the tests of an `xdist_group` on one worker, so that an
# expensive module fixture (the quick demo, the cross-backend models) is
# built once.
PYTEST_WORKERS ?= 2
# XLA (JAX, and TensorFlow's jit_compile) at its lowest LLVM optimisation
# level in the tests: their models are tiny, so compiling dominates (JAX
# application tests: 114 s -> 76 s). Outside `make test` (benchmarks,
# recipes, the demo) XLA keeps its default.
TEST_XLA_FLAGS ?= --xla_backend_optimization_level=0
# One thread per torch process: two pytest workers, each with PyTorch's
# default two threads, oversubscribe the two cores (the quick demo took
# 741 s in CI's torch run, against 261 s alone on the machine).
TEST_THREADS_torch := OMP_NUM_THREADS=1
# A JAX compilation cache for one test run: JAX compiles the same small
# models again and again (a determinism test trains twice, a recipe runs in
# a subprocess with the models a unit test built), and the cache, shared by
# the pytest workers and their subprocesses, compiles each program once.
# It starts empty on every run. On JAX, numerics_test.py's translator
# tests took 88.5 s without it and 65.5 s with it; the application and
# numerics tests, two workers, 334 s and 296 s; the whole JAX pass, run
# back to back, 852 s and 799 s.
# One directory per backend's pass, so that passes run side by side
# (`make -j`) never empty each other's. Side by side is slower on the 2-core
# CI machine: `make -j3 --output-sync=target test-tensorflow test-jax
# test-torch` (6 workers) took 1,658 s for the torch pass alone, whose quick
# demo then ran past its 1,200 s timeout (337 s in the sequential run).
TEST_JAX_CACHE := $(abspath .jax-test-cache)
TEST_JAX_ENV = JAX_COMPILATION_CACHE_DIR=$(TEST_JAX_CACHE)/$* \
	JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS=0 \
	JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES=0
# The real datasets beside the checkout (see ../shared/data/README.md).
export KERAS_SEQ_DATA_DIR ?= $(abspath ../shared/data)

# Debian's Chromium renders the demo report in a test (headless).
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: setup demo test lint format test-tensorflow test-jax test-torch \
	test-oldest clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH_PIN)"
	$(BIN)/python -m pip install --quiet -e ".[all,dev]" "$(TORCH_PIN)"
	touch $@

demo: setup
	$(BIN)/keras-seq demo --out report

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# A static pattern rule: make never applies plain pattern rules to .PHONY
# targets, which would make these succeed without running anything.
# pytest exits 5 when it collects nothing: make treats any non-zero exit,
# 5 included, as a failure.
$(addprefix test-,$(BACKENDS)): test-%: setup $(CHROMIUM)
	@echo "== pytest on the $* backend"
	rm -rf $(TEST_JAX_CACHE)/$*
	KERAS_BACKEND=$* XLA_FLAGS="$(TEST_XLA_FLAGS)" $(TEST_THREADS_$*) \
		$(TEST_JAX_ENV) $(TEST_ENV) \
		$(BIN)/python -m pytest -q -p no:cacheprovider \
		-n $(PYTEST_WORKERS) --dist loadgroup --durations=5 $(PYTEST_ARGS)

test: lint $(addprefix test-,$(BACKENDS))

# The oldest Keras, KerasHub and JAX that pyproject.toml accepts, laid over
# .venv (installed with `pip --target` into .oldest/, first on PYTHONPATH):
# `make test-oldest` runs the suite with them on every backend. It is not
# part of `make test` (about 20 more minutes on the CI machine).
OLDEST := keras==3.10.0 keras-hub==0.25.1 jax==0.7.0 jaxlib==0.7.0
OLDEST_DIR := $(abspath .oldest)

$(OLDEST_DIR)/.installed: Makefile $(VENV)/.installed
	rm -rf $(OLDEST_DIR)
	$(BIN)/python -m pip install --quiet --no-deps --target $(OLDEST_DIR) \
		$(OLDEST)
	touch $@

test-oldest: $(OLDEST_DIR)/.installed
	$(MAKE) $(addprefix test-,$(BACKENDS)) TEST_ENV=PYTHONPATH=$(OLDEST_DIR)

$(CHROMIUM):
	$(SUDO) apt-get install -y -q chromium \
		|| ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium)

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache \
		$(TEST_JAX_CACHE) $(OLDEST_DIR)
