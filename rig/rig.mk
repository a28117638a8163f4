# Local rig targets; the top-level Makefile does `include rig/rig.mk`.
# rig:      build/cache every binary (cold: long, see rig/README.md; warm: seconds)
# rig-up:   start the KWOK control plane, fake nodes and the Pulumi environment
# rig-down: delete the cluster, end its processes and remove the rig state
# Then, in a shell: source rig/env.sh
RIG_MK_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))

.PHONY: rig rig-up rig-down
rig:
	bash $(RIG_MK_DIR)/build.sh

rig-up: rig
	bash $(RIG_MK_DIR)/start.sh

rig-down:
	bash $(RIG_MK_DIR)/stop.sh
