# cyperf-k8s developer commands. `make check` is the one test command (CI runs it).
VENV ?= .venv
PY := $(VENV)/bin/python
STACK ?= east-west

include rig/rig.mk

.PHONY: venv check test lint typecheck e2e up preview demo demo-down

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
	@test -z "$$CYPERF_K8S_UPDATE_SNAPSHOTS" || { echo "make test compares the snapshots in \
	tests/snapshots and never rewrites them: unset CYPERF_K8S_UPDATE_SNAPSHOTS" >&2; exit 1; }
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

## demo: start the local rig and `pulumi up` the east-west example there; prints the outputs
DEMO_STACK := rig-demo
demo: venv rig-up
	cp stacks/Pulumi.east-west.yaml stacks/Pulumi.$(DEMO_STACK).yaml
	bash -c 'source rig/env.sh && pulumi stack select --create $(DEMO_STACK) --non-interactive \
	  && pulumi up --yes --skip-preview --non-interactive --stack $(DEMO_STACK) \
	  && pulumi stack output --json --stack $(DEMO_STACK)'

## demo-down: destroy the demo stack and stop the rig
demo-down:
	bash -c 'source rig/env.sh && pulumi destroy --yes --skip-preview --non-interactive \
	  --stack $(DEMO_STACK) && pulumi stack rm --yes --stack $(DEMO_STACK)'
	rm -f stacks/Pulumi.$(DEMO_STACK).yaml
	$(MAKE) rig-down
