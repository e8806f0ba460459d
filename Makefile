# One command per job. Everything runs from .venv, which `make` builds from the pinned
# requirements (Pulumi uses the same .venv: see Pulumi.yaml).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STACK ?= dev

.PHONY: install test lint unit values check clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

## test: everything CI runs - linters, type check, the whole test suite
test: lint unit

lint: install
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

unit: install
	$(PY) -m pytest

## values: the main job - print the Helm values a stack deploys (STACK=dev|prod)
values: install
	@$(PY) -m up2u_jupyter values --stack $(STACK)

check: install
	@$(PY) -m up2u_jupyter check --stack $(STACK)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
