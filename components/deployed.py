"""What the stack holds now, read from its own state at the start of every run (the engine's
builtin reads, which a StackReference to this stack also makes), before any resource is
registered: components.settings.renames decides from it whether an update can apply.

The resources are read rather than the stack outputs: after a failed `up` the outputs still
describe the last completed one, while the state has every object that `up` created or deleted;
and a stack deployed before this program read anything back is covered on its first `up`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, get_args

import pulumi

from components import specs, test_network
from components.cyperf import Role
from components.settings.renames import Deployed, DeployedGroup, DeployedService

READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs"
READ_STACK_RESOURCES = "pulumi:pulumi:readStackResourceOutputs"
AGENTS_TYPE = "cyperf-k8s:index:CyperfAgents"
DEPLOYMENT_TYPE = "kubernetes:apps/v1:Deployment"
SERVICE_TYPE = "kubernetes:core/v1:Service"
SERVICE_SUFFIX = "-service"


# The reads load the checkpoint the engine is writing during this very update: on the local
# file backend (pulumi pkg/backend/diy, v3.274) a read that meets a write fails with "failed to
# load checkpoint: EOF", seen on the rig at a new stack's first `up`. A short retry gets past one
# write; a read that keeps failing leaves the check out rather than failing the `up`.
READ_ATTEMPTS = 10
READ_RETRY_SECONDS = 0.3


def _read(token: str, args: dict[str, str]) -> dict[str, Any]:
    attempt = 1
    while True:
        try:
            return pulumi.runtime.invoke(token, args).value or {}
        except Exception:
            if attempt == READ_ATTEMPTS:
                raise
        attempt += 1
        time.sleep(READ_RETRY_SECONDS)


def read_deployed(component: str) -> Deployed:
    """The objects of the agents component named `component` that the stack holds now."""
    stack = f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}"
    try:
        # The CLI (v3.274) crashes reading the resources of a stack whose state it never wrote;
        # the outputs read works on any stack, and every completed `up` exports `namespace`. A
        # stack whose first `up` failed is read as empty.
        outputs = _read(READ_STACK_OUTPUTS, {"name": stack})
        if "namespace" not in (outputs.get("outputs") or {}):
            return Deployed()
        resources = _read(READ_STACK_RESOURCES, {"stackName": stack})
    except Exception as err:
        pulumi.log.warn(
            f"the stack's own state could not be read ({err}); this run does not check that "
            "a renamed or removed group's Service name and node ports are free (see "
            "docs/renaming-groups.md)"
        )
        return Deployed()
    return deployed_agents(component, resources.get("outputs") or {})


def deployed_agents(component: str, resources: Mapping[str, Any]) -> Deployed:
    """The agents' Deployments and Services among the stack's resources (URN -> type and
    outputs); the group is the one the object is named after (`<component>-<group>`,
    `<component>-<group>-service`), which is how Pulumi tells the objects apart."""
    groups: list[DeployedGroup] = []
    services = []
    prefix = f"{component}-"
    for urn, resource in sorted(resources.items()):
        # urn:pulumi:<stack>::<project>::<parent types>$<type>::<name>
        parts = urn.split("::", 3)
        if len(parts) != 4 or not parts[3].startswith(prefix):
            continue
        parent_type, _, typ = parts[2].rpartition("$")
        if parent_type != AGENTS_TYPE:
            continue
        named = parts[3].removeprefix(prefix)
        outputs = resource.get("outputs") or {}
        metadata = outputs.get("metadata") or {}
        if typ == DEPLOYMENT_TYPE:
            labels = metadata.get("labels") or {}
            nic = labels.get(test_network.NIC_LABEL)
            # A DPDK group's Deployments are `<component>-<group>-<nic>`: one group.
            if nic is not None:
                named = named.removesuffix(f"-{nic}")
                if any(g.name == named for g in groups):
                    continue
            run = labels.get(specs.RUN_LABEL)
            role = next((r for r in get_args(Role) if specs.run_label(r) == run), "")
            groups.append(DeployedGroup(named, role))
        elif typ == SERVICE_TYPE and named.endswith(SERVICE_SUFFIX):
            ports = (outputs.get("spec") or {}).get("ports") or []
            services.append(
                DeployedService(
                    group=named.removesuffix(SERVICE_SUFFIX),
                    namespace=str(metadata.get("namespace", "")),
                    name=str(metadata.get("name", "")),
                    node_ports=frozenset(int(p["nodePort"]) for p in ports if p.get("nodePort")),
                )
            )
    return Deployed(tuple(groups), tuple(services))


def read_own_stack(consequence: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The stack's outputs after its last completed `up`, and its resources (URN -> type and
    outputs; empty before a first completed `up`, see read_deployed); None, after a warning
    that ends with `consequence`, when they cannot be read."""
    stack = f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}"
    try:
        outputs = _read(READ_STACK_OUTPUTS, {"name": stack}).get("outputs") or {}
        if not outputs:
            return {}, {}
        resources = _read(READ_STACK_RESOURCES, {"stackName": stack}).get("outputs") or {}
    except Exception as err:
        pulumi.log.warn(f"the stack's own state could not be read ({err}); {consequence}")
        return None
    return dict(outputs), dict(resources)
