# cyperf-k8s developer commands. `make check` is the one test command (CI runs it).
VENV ?= .venv
PY := $(VENV)/bin/python
STACK ?= east-west

include rig/rig.mk

.PHONY: venv check test lint typecheck e2e up preview demo bench

# The same virtualenv Pulumi.yaml names, so `pulumi up` reuses it.
$(VENV)/installed.stamp: requirements.txt requirements-dev.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(VENV)/installed.stamp

## check: lint, types, unit tests, then end-to-end tests on the local rig (built if missing)
check: lint typecheck test e2e

## test: unit tests (Pulumi mocks, no cluster), a few seconds
test: venv
	$(PY) -m pytest

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: venv
	$(VENV)/bin/mypy .

## e2e: the real Pulumi engine against the local KWOK control plane
e2e: venv rig
	$(PY) -m pytest -m e2e -p no:cacheprovider tests/e2e

## up: deploy stack $(STACK) (stacks/Pulumi.$(STACK).yaml) with the Pulumi CLI on your PATH
up: venv
	pulumi stack select --create $(STACK)
	pulumi up --stack $(STACK)

preview: venv
	pulumi stack select --create $(STACK)
	pulumi preview --stack $(STACK)
