# Every target installs what it needs first; `make help` lists them.
.DEFAULT_GOAL := help
SHELL := /bin/bash

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-from-lock
# The lock resolves for Python 3.11; uv finds that interpreter on the machine (it never downloads one).
PYTHON_VERSION := 3.11
ARGS ?=

.PHONY: help install browser run test test-fast test-cluster cluster cluster-stop image bench lint hooks format clean

## Show this help
help:
	@awk '/^## /{doc=substr($$0,4); next} /^[a-zA-Z_-]+:/{if(doc){split($$1,t,":"); printf "  make %-10s %s\n", t[1], doc}; doc=""}' $(MAKEFILE_LIST)

## Create .venv from uv.lock (installs uv with pip first if it is missing)
install: $(STAMP)

$(STAMP): pyproject.toml uv.lock setup.py
	@python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@echo "Installing .venv from uv.lock (once; about 20 s with a fast link to PyPI)"
	python3 -m uv sync --frozen --extra dev --python $(PYTHON_VERSION) --quiet
	@touch $@

## Install Debian's chromium and chromium-driver (the report test renders the HTML report)
browser:
	@command -v chromium >/dev/null || { \
		echo "Installing chromium and chromium-driver (apt, once)"; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; }

## Run the pipeline on the bundled taxi sample into outputs/ (ARGS="--help" for options)
run: install
	$(PY) -m pipeline run $(ARGS)

## Run the whole test suite: unit, data, model, pipeline, end to end, on local Flink and Spark
test: install browser
	$(PY) -m pytest $(ARGS)

## Run the tests without the end-to-end pipeline runs
test-fast: install
	$(PY) -m pytest -m "not e2e and not slow" $(ARGS)

## Start a local Flink cluster for `run --beam-runner flink` (RUNNER=spark for Spark); fetched once
cluster: install
	$(PY) -m cluster start --runner $(or $(RUNNER),flink) $(ARGS)

## Stop the local cluster that `make cluster` started (by its recorded pids)
cluster-stop: install
	$(PY) -m cluster stop --runner $(or $(RUNNER),flink)

## Run only the tests on the local Flink and Spark clusters (they start and stop them)
test-cluster: install
	$(PY) -m pytest -m cluster $(ARGS)

## Build the pipeline image (kubeflow/Dockerfile) with buildah on a debootstrap base; no Docker
image: install
	$(PY) -m kubeflow image $(ARGS)

## Benchmark the pipeline against a plain script at 15k, 100k and 1M rows; writes docs/benchmarks.md
bench: install
	$(PY) -m benchmarks.run $(ARGS)

## Lint and check formatting with ruff, through the pre-commit hooks (.pre-commit-config.yaml)
lint: install
	$(VENV)/bin/pre-commit run --all-files --show-diff-on-failure

## Install the pre-commit hooks, so every commit is linted as CI lints it
hooks: install
	$(VENV)/bin/pre-commit install

## Format the code with ruff
format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## Remove run outputs and caches (keeps .venv)
clean:
	rm -rf outputs .pytest_cache .ruff_cache build *.egg-info
	find . -name __pycache__ -not -path "./$(VENV)/*" -prune -exec rm -rf {} +
