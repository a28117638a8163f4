"""What the stack holds now, read from its own state at the start of every run (the engine's
builtin reads, which a StackReference to this stack also makes), before any resource is
registered: components.settings.renames decides from it whether an update can apply.

The resources are read rather than the stack outputs: after a failed `up` the outputs still
describe the last completed one, while the state has every object that `up` created or deleted;
and a stack deployed before this program read anything back is covered on its first `up`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, get_args

import pulumi

from components import specs
from components.cyperf import Role
from components.settings.renames import Deployed, DeployedGroup, DeployedService

READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs"
READ_STACK_RESOURCES = "pulumi:pulumi:readStackResourceOutputs"
AGENTS_TYPE = "cyperf-k8s:index:CyperfAgents"
DEPLOYMENT_TYPE = "kubernetes:apps/v1:Deployment"
SERVICE_TYPE = "kubernetes:core/v1:Service"
SERVICE_SUFFIX = "-service"


def read_deployed(component: str) -> Deployed:
    """The objects of the agents component named `component` that the stack holds now."""
    stack = f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}"
    # The CLI (v3.274) crashes reading the resources of a stack whose state it never wrote;
    # the outputs read works on any stack, and every completed `up` exports `namespace`. A
    # stack whose first `up` failed is read as empty.
    outputs = pulumi.runtime.invoke(READ_STACK_OUTPUTS, {"name": stack}).value or {}
    if "namespace" not in (outputs.get("outputs") or {}):
        return Deployed()
    resources = pulumi.runtime.invoke(READ_STACK_RESOURCES, {"stackName": stack}).value or {}
    return deployed_agents(component, resources.get("outputs") or {})


def deployed_agents(component: str, resources: Mapping[str, Any]) -> Deployed:
    """The agents' Deployments and Services among the stack's resources (URN -> type and
    outputs); the group is the one the object is named after (`<component>-<group>`,
    `<component>-<group>-service`), which is how Pulumi tells the objects apart."""
    groups = []
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
            run = (metadata.get("labels") or {}).get(specs.RUN_LABEL)
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
