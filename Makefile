# cyperf-k8s developer commands. `make check` is the one test command (CI runs it).
# `make` alone prints the targets: every `## <target>: <what>` line below (continued by `## ` lines).
.DEFAULT_GOAL := help
MAKEFILE := $(lastword $(MAKEFILE_LIST))
VENV ?= .venv
PY := $(VENV)/bin/python
# The operations CLI (ops/) has its own virtualenv: Keysight's `cyperf` client pins urllib3 below
# what the Pulumi program's packages install (see requirements-ops.txt).
OPS_VENV ?= .venv-ops
OPS_PY := $(OPS_VENV)/bin/python
# Its tests run with its interpreter; the program's pytest run skips them (pyproject addopts).
# (the filters: deprecation noise of the two clients' own code, not ours)
OPS_PYTEST := $(OPS_PY) -m pytest -o addopts= -p no:cacheprovider \
  -W 'ignore::DeprecationWarning:cyperf.dynamic_model_meta' \
  -W 'ignore::DeprecationWarning:kubernetes.client.rest' \
  -W 'ignore::DeprecationWarning:kubernetes.client.exceptions'
# Named one by one: pyproject's mypy `exclude` (for the program's run) skips them in folders.
OPS_SOURCES = $(sort $(wildcard ops/*.py ops/*/*.py tests/ops/*.py tests/ops/*/*.py \
  tests/e2e/test_ops*.py bench/ops_verify.py bench/ops_child.py))
STACK ?= east-west

include rig/rig.mk

.PHONY: help venv ops-venv check test lint typecheck e2e up preview demo demo-down logs verify docs \
  status doctor prune run

## help: list these targets (what `make` without a target does; it builds nothing)
help:
	@awk '/^## [a-z0-9-]+: / { sub(/^## /, ""); target = substr($$1, 1, length($$1) - 1); \
	  sub(/^[^:]*: /, ""); printf "make %-10s %s\n", target, $$0; next } \
	  /^## / { sub(/^## /, ""); printf "%16s%s\n", "", $$0 }' $(MAKEFILE)

# The same virtualenv Pulumi.yaml names, so `pulumi up` reuses it.
$(VENV)/installed.stamp: requirements.txt requirements-dev.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(VENV)/installed.stamp

$(OPS_VENV)/installed.stamp: requirements-ops.txt requirements-ops-dev.txt
	python3 -m venv $(OPS_VENV)
	$(OPS_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-ops-dev.txt
	touch $@

ops-venv: $(OPS_VENV)/installed.stamp

## check: lint, types, unit tests, then end-to-end tests on the local rig (built if missing)
check: lint typecheck test e2e

## test: unit tests (Pulumi mocks, no cluster), a few seconds
test: venv ops-venv
	@test -z "$$CYPERF_K8S_UPDATE_SNAPSHOTS" || { echo "make test compares the snapshots in \
	tests/snapshots and never rewrites them: unset CYPERF_K8S_UPDATE_SNAPSHOTS" >&2; exit 1; }
	$(PY) -m pytest
	$(OPS_PYTEST) -m 'not e2e' tests/ops

## lint: ruff check and ruff format --check
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

## typecheck: mypy --strict of the program and of the operations CLI
typecheck: venv ops-venv
	$(VENV)/bin/mypy .
	$(OPS_VENV)/bin/mypy $(OPS_SOURCES)

## e2e: the real Pulumi engine against the local KWOK control plane
e2e: venv ops-venv rig
	$(PY) -m pytest -m e2e -p no:cacheprovider tests/e2e
	$(OPS_PYTEST) -m e2e tests/e2e/test_ops.py tests/e2e/test_ops_status.py tests/e2e/test_ops_run.py

## up: deploy stack $(STACK) (stacks/Pulumi.$(STACK).yaml) with the Pulumi CLI on your PATH, then
## wait up to UP_WAIT seconds (300; 0 skips) for its agents and print `make status`
UP_WAIT ?= 300
up: venv ops-venv
	pulumi stack select --create $(STACK)
	pulumi up --stack $(STACK)
	@test "$(UP_WAIT)" = 0 || $(OPS_PY) -m ops status --stack $(STACK) --wait $(UP_WAIT) || { \
	  echo "make up: stack $(STACK) is deployed, but not every agent is ready and registered" \
	  "(table above); make doctor STACK=$(STACK) checks why" >&2; exit 1; }

## preview: pulumi preview of stack $(STACK), the plan `make up` would apply
preview: venv
	pulumi stack select --create $(STACK)
	pulumi preview --stack $(STACK)

## docs: regenerate docs/configuration.md from the settings models
docs: venv
	$(PY) -m components.settings.reference --write docs/configuration.md

## logs: log bundle cyperf-logs-<stack>-<UTC time>.tar.gz of stack $(STACK); more options in ARGS,
## e.g. make logs STACK=east-west ARGS="--since 1h --group client"
logs: ops-venv
	$(OPS_PY) -m ops logs --stack $(STACK) $(ARGS)

## verify: every agent pod of stack $(STACK) registered with the controller (exit 1 if not);
## credentials from CYPERF_OFFLINE_TOKEN or secret stack config, e.g. ARGS="--ca-cert ctl.pem"
verify: ops-venv
	$(OPS_PY) -m ops verify --stack $(STACK) $(ARGS)

## status: one row per agent pod of stack $(STACK): ready, restarts, node, IP, agent, registration;
## ARGS="--watch" reprints it, ARGS="--json" for scripts (schemaVersion 1)
status: ops-venv
	$(OPS_PY) -m ops status --stack $(STACK) $(ARGS)

## doctor: PASS/WARN/FAIL checks of stack $(STACK), each with its fix (exit 1 on a FAIL); starts
## and removes one short-lived probe pod per agent group
doctor: ops-venv
	$(OPS_PY) -m ops doctor --stack $(STACK) $(ARGS)

## prune: list the stale agent registrations of stack $(STACK) on the controller; ARGS=--yes
## removes them
prune: ops-venv
	$(OPS_PY) -m ops prune --stack $(STACK) $(ARGS)

## run: run the CyPerf test of definition $(TEST) against stack $(STACK), results in runs/
## (docs/running-tests.md; make reports any failure as 2, the command's own codes are there), e.g.
## make run STACK=east-west TEST=test-definitions/east-west-http.yaml ARGS="--destroy-after"
run: ops-venv
	$(OPS_PY) -m ops run --stack $(STACK) --test $(TEST) $(ARGS)

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

# The rig's own targets, defined in rig/rig.mk (included above):
## rig: build every binary of the local rig, cached (cold about 40 min, warm seconds)
## rig-up: start the local rig; then `source rig/env.sh` points pulumi and kubectl at it
## rig-down: delete the rig's cluster and state
