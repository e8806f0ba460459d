# One command per job. Everything runs from .venv (Pulumi uses the same .venv: see Pulumi.yaml).
# Three requirement sets, each a hash-pinned lock that `make lock` makes from its .in file, and
# each installed only by the targets that need it, hash-checked (--require-hashes):
#   requirements.txt          runtime: `pulumi up`, values, check, diff, health  (make install)
#   requirements-preview.txt  the local preview                                  (make preview)
#   requirements-dev.txt      tests and linters: the other two and the tools     (make dev)
# uv installs them (pip took 30 s for the preview set, uv 3 s; both from a warm cache), itself
# installed by pip from requirements-lock.txt. Bytecode is compiled at install, as pip did.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STACK ?= dev
UV := $(VENV)/bin/uv
UV_INSTALL = $(UV) pip install --quiet --python $(PY) --require-hashes --compile-bytecode

.PHONY: install dev test ci lint unit values check reference diff values-diff health policy-venv \
	image-matrix hadolint preview preview-deps preview-python theme-wheel bench-preview \
	authenticator-catalogue chart lock clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-uv: requirements-lock.txt | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-lock.txt
	touch $@

## install: the runtime set (what `pulumi up` needs) into .venv
install: $(VENV)/.installed-runtime

$(VENV)/.installed-runtime: requirements.txt | $(VENV)/.installed-uv
	$(UV_INSTALL) -r requirements.txt
	touch $@

## preview-python: the preview's set (JupyterHub, JupyterLab, the theme's build tools) into .venv
preview-python: $(VENV)/.installed-preview

$(VENV)/.installed-preview: requirements-preview.txt | $(VENV)/.installed-uv
	$(UV_INSTALL) -r requirements-preview.txt
	touch $@

## dev: the dev set into .venv; it holds the other two sets at the same versions
dev: $(VENV)/.installed-dev

$(VENV)/.installed-dev: requirements-dev.txt | $(VENV)/.installed-uv
	$(UV_INSTALL) -r requirements-dev.txt
	touch $@ $(VENV)/.installed-runtime $(VENV)/.installed-preview

## test: everything CI runs - linters, type check, the whole test suite (browser tests too)
test: chart lint unit

## chart: the chart's values.schema.json and values.yaml for chart.VERSION: ../shared/z2jh/<version>/
## when there (UP2U_SHARED_DIR names another folder), else fetched once from the chart
## repository's archive, sha256-checked, into ~/.cache/up2u-jupyter/chart/<version>/
## (up2u_jupyter/chart/files.py). Under CI=true a chart that cannot be had is an error; elsewhere
## a warning, and the tests that need it skip.
chart: | $(PY)
	@$(PY) -m up2u_jupyter.chart.files

## ci: what CI runs on a fresh machine: .ci/run installs the system packages, then make test
ci:
	bash .ci/run

## preview: the main job - run a stack's hub on http://127.0.0.1:PORT (STACK=dev, PORT=8000)
PORT ?= 8000
preview: preview-deps
	$(PY) -m up2u_jupyter preview --stack $(STACK) --port $(PORT)

## preview-deps: the proxy from npm and the Up2U JupyterLab theme, installed into .venv
preview-deps: preview-python node_modules/.installed $(VENV)/.theme-installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

THEME_SOURCES := $(wildcard theme/src/*.ts theme/style/*.css) theme/package.json \
	theme/package-lock.json theme/pyproject.toml theme/overrides.json theme/tsconfig.json \
	theme/up2u_jupyterlab_theme/__init__.py
THEME_WHEEL := theme/dist/up2u_jupyterlab_theme-1.0.0-py3-none-any.whl

## theme-wheel: build the JupyterLab theme (npm + @jupyterlab/builder) into a wheel. A wheel
## built from the same sources is reused from the project's cache (up2u_jupyter/chart/files.py:
## cache_root), so another clone or a clean checkout skips the ~25 s build.
THEME_KEY := $(shell cat $(sort $(THEME_SOURCES)) theme/install.json | sha256sum | cut -c1-16)
CACHE_ROOT := $(shell $(PYTHON) -c 'from up2u_jupyter.chart.files import cache_root; print(cache_root())')
THEME_CACHED := $(CACHE_ROOT)/theme/$(THEME_KEY)/$(notdir $(THEME_WHEEL))

THEME_STAMP := theme/dist/.sources-$(THEME_KEY)
theme-wheel: $(THEME_STAMP)

# the cached wheel's folder is its sources' hash: it is current whenever it exists
$(THEME_STAMP): | $(THEME_CACHED)
	rm -rf theme/dist
	mkdir -p theme/dist
	cp $(THEME_CACHED) $(THEME_WHEEL)
	touch $@

$(THEME_CACHED): | preview-python
	cd theme && npm ci --no-audit --no-fund
	rm -rf theme/up2u_jupyterlab_theme/labextension theme/lib theme/tsconfig.tsbuildinfo
	cd theme && PATH="$(CURDIR)/$(VENV)/bin:$$PATH" npm run build:prod
	rm -rf theme/dist
	$(PY) -m build --wheel --no-isolation --outdir theme/dist theme
	mkdir -p $(dir $@)
	cp $(THEME_WHEEL) $@.tmp && mv $@.tmp $@

$(VENV)/.theme-installed: $(THEME_STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps $(THEME_WHEEL)
	touch $@

lint: dev hadolint
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-actions .github/actions/*/action.yml
	$(VENV)/bin/zizmor --offline .
	$(VENV)/bin/pre-commit validate-config .pre-commit-config.yaml

## hadolint: every Dockerfile under images/
hadolint: dev
	@files=$$(find images -name Dockerfile 2>/dev/null | sort); \
	if [ -n "$$files" ]; then $(VENV)/bin/hadolint $$files; else echo "hadolint: no Dockerfile yet"; fi

## unit: the whole test suite, one worker per core (pytest-xdist: pyproject.toml). Bytecode is
## written even where the shell sets PYTHONDONTWRITEBYTECODE (this machine kind's does): pytest
## otherwise rewrites every test module's assertions again in each worker (~3 s of each run)
unit: dev preview-deps chart
	PYTHONDONTWRITEBYTECODE= $(PY) -m pytest

## values: the main job - print the Helm values a stack deploys (STACK=dev|prod)
values: install chart
	@$(PY) -m up2u_jupyter values --stack $(STACK)

check: install chart
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
	policy/venv/bin/pip install --quiet --disable-pip-version-check --require-hashes \
		-r policy/requirements.txt
	touch $@

## image-matrix: the images under images/ as a JSON list (the images workflow builds each)
image-matrix:
	@$(PYTHON) -c 'import json, pathlib; print(json.dumps(sorted(p.parent.name for p in pathlib.Path("images").glob("*/Dockerfile"))))'

## authenticator-catalogue: rewrite up2u_jupyter/data/authenticators-$(CHART).json from the
## hub image's pins (a throwaway virtualenv under /tmp gets exactly those packages from PyPI)
CHART ?= $(shell sed -n 's/^VERSION = "\(.*\)"$$/\1/p' up2u_jupyter/chart/__init__.py)
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

## lock: resolve every .in file into its hash-pinned lock (run after editing an .in file, and
## after merging a branch that did). Versions already locked are kept; LOCK_FLAGS=--upgrade
## moves every unpinned dependency to its newest release. The dev set is resolved first and the
## others within its versions, so a package has one version in every lock.
LOCK_FLAGS ?=
UV_COMPILE = $(UV) pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command "make lock" $(LOCK_FLAGS)
lock: $(VENV)/.installed-uv
	$(UV_COMPILE) requirements-dev.in -o requirements-dev.txt
	$(UV_COMPILE) -c requirements-dev.txt requirements.in -o requirements.txt
	$(UV_COMPILE) -c requirements-dev.txt requirements-preview.in -o requirements-preview.txt
	$(UV_COMPILE) -c requirements-dev.txt policy/requirements.in -o policy/requirements.txt
	$(UV_COMPILE) requirements-lock.in -o requirements-lock.txt

clean:
	rm -rf $(VENV) policy/venv .pytest_cache .mypy_cache .ruff_cache
