# One command per job. Everything runs from .venv, which `make` builds from the pinned
# requirements (Pulumi uses the same .venv: see Pulumi.yaml).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STACK ?= dev

.PHONY: install test ci lint unit values check reference diff values-diff health policy-venv image-matrix hadolint \
	preview preview-deps theme-wheel bench-preview authenticator-catalogue clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

## test: everything CI runs - linters, type check, the whole test suite (browser tests too)
test: lint unit

## ci: what CI runs on a fresh machine: .ci/run installs the system packages, then make test
ci:
	bash .ci/run

## preview: the main job - run a stack's hub on http://127.0.0.1:PORT (STACK=dev, PORT=8000)
PORT ?= 8000
preview: preview-deps
	$(PY) -m up2u_jupyter preview --stack $(STACK) --port $(PORT)

## preview-deps: the proxy from npm and the Up2U JupyterLab theme, installed into .venv
preview-deps: install node_modules/.installed $(VENV)/.theme-installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

THEME_SOURCES := $(wildcard theme/src/*.ts theme/style/*.css) theme/package.json \
	theme/package-lock.json theme/pyproject.toml theme/overrides.json theme/tsconfig.json \
	theme/up2u_jupyterlab_theme/__init__.py
THEME_WHEEL := theme/dist/up2u_jupyterlab_theme-1.0.0-py3-none-any.whl

## theme-wheel: build the JupyterLab theme (npm + @jupyterlab/builder) into a wheel
theme-wheel: $(THEME_WHEEL)

$(THEME_WHEEL): $(THEME_SOURCES) | install
	cd theme && npm ci --no-audit --no-fund
	rm -rf theme/up2u_jupyterlab_theme/labextension theme/lib theme/tsconfig.tsbuildinfo
	cd theme && PATH="$(CURDIR)/$(VENV)/bin:$$PATH" npm run build:prod
	rm -rf theme/dist
	$(PY) -m build --wheel --no-isolation --outdir theme/dist theme

$(VENV)/.theme-installed: $(THEME_WHEEL)
	$(PY) -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps $(THEME_WHEEL)
	touch $@

lint: install hadolint
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-actions .github/actions/*/action.yml
	$(VENV)/bin/zizmor --offline .
	$(VENV)/bin/pre-commit validate-config .pre-commit-config.yaml

## hadolint: every Dockerfile under images/
hadolint: install
	@files=$$(find images -name Dockerfile 2>/dev/null | sort); \
	if [ -n "$$files" ]; then $(VENV)/bin/hadolint $$files; else echo "hadolint: no Dockerfile yet"; fi

unit: install preview-deps
	$(PY) -m pytest

## values: the main job - print the Helm values a stack deploys (STACK=dev|prod)
values: install
	@$(PY) -m up2u_jupyter values --stack $(STACK)

check: install
	@$(PY) -m up2u_jupyter check --stack $(STACK)

## reference: rewrite docs/reference.md's config reference from the models' field docstrings
reference: install
	$(PY) -m up2u_jupyter.reference

## diff: what a stack's values change since BASE (default origin/main)
BASE ?= origin/main
diff: install
	@$(PY) -m up2u_jupyter diff --stack $(STACK) --base $(BASE)

## health: the post-deploy check of a deployed STACK (Pulumi CLI logged in to its backend)
health: install
	@UP2U_HEALTH_TOKEN="$$(pulumi stack output healthCheckToken --show-secrets --stack $(STACK))" \
		$(PY) -m up2u_jupyter health --url "$$(pulumi stack output publicUrl --stack $(STACK))"

## values-diff: the same as a pull-request comment (the preview workflow posts it)
values-diff: install
	@$(PY) -m up2u_jupyter diff --stack $(STACK) --base $(BASE) --markdown

## policy-venv: the policy pack's own environment (pulumi preview --policy-pack policy)
policy-venv: policy/venv/.installed

policy/venv/.installed: policy/requirements.txt
	$(PYTHON) -m venv policy/venv
	policy/venv/bin/pip install --quiet --disable-pip-version-check -r policy/requirements.txt
	touch $@

## image-matrix: the images under images/ as a JSON list (the images workflow builds each)
image-matrix:
	@$(PYTHON) -c 'import json, pathlib; print(json.dumps(sorted(p.parent.name for p in pathlib.Path("images").glob("*/Dockerfile"))))'

## authenticator-catalogue: rewrite up2u_jupyter/data/authenticators-$(CHART).json from the
## hub image's pins (a throwaway virtualenv under /tmp gets exactly those packages from PyPI)
CHART ?= $(shell sed -n 's/^VERSION = "\(.*\)"$$/\1/p' up2u_jupyter/chart.py)
CHART_REFERENCE ?= ../shared/z2jh/$(CHART)
CATALOGUE_VENV := /tmp/up2u-authenticator-catalogue-$(CHART)
CATALOGUE_OUT ?= $(CURDIR)/up2u_jupyter/data
authenticator-catalogue:
	rm -rf $(CATALOGUE_VENV)
	$(PYTHON) -m venv $(CATALOGUE_VENV)
	$(CATALOGUE_VENV)/bin/pip install --quiet --disable-pip-version-check \
		-r $(CHART_REFERENCE)/hub-image-requirements.txt
	cd /tmp && PYTHONPATH=$(CURDIR) $(CATALOGUE_VENV)/bin/python -W ignore \
		-m up2u_jupyter.authenticators_catalogue --chart $(CHART) \
		--pins $(abspath $(CHART_REFERENCE))/hub-image-requirements.txt \
		--out $(CATALOGUE_OUT)/authenticators-$(CHART).json
	rm -rf $(CATALOGUE_VENV)

clean:
	rm -rf $(VENV) policy/venv .pytest_cache .mypy_cache .ruff_cache
