"""EKS settings as the program parses them, and runs of the EKS path under the shared mocks
(`mocks.aws.EksMocks`: AWS, pulumi-eks)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from components.cluster_access import ClusterAccess
from components.settings.eks.section import EksSettings
from components.settings.eks.stack import EksStackSettings
from components.settings.loading import parse_settings
from components.settings.problems import PROJECT
from mocks.aws import EXISTING_SUBNETS, KUBECONFIG, NODE_SECURITY_GROUP, ZONES, EksMocks
from mocks.harness import run_program
from mocks.monitor import RecordingMonitor, plain
from mocks.stack_state import StackState
from tests.support.program import STACK, StackRun, config_of, run_stack

__all__ = ["EXISTING_SUBNETS", "KUBECONFIG", "NODE_SECURITY_GROUP", "ZONES", "EksMocks"]

# Resource types of the EKS path.
CLUSTER = "eks:index:Cluster"
NODE_GROUP = "eks:index:ManagedNodeGroup"
ADDON = "aws:eks/addon:Addon"
RELEASE = "kubernetes:helm.sh/v3:Release"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
# An existing VPC of the mocks (mocks.aws) with its private and public subnets.
EXISTING_PRIVATE = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"]
EXISTING_NETWORK = {
    "vpcId": "vpc-0123456789abcdef0",
    "publicSubnetIds": ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"],
    "privateSubnetIds": EXISTING_PRIVATE,
}
# A group without agents: an `eks` section is judged alone, no cross-check with the agent
# groups gets in the way.
NO_AGENTS = [{"name": "c", "role": "client", "replicas": 0}]


@dataclass(kw_only=True)
class ProvisionRun(StackRun):
    """A run of `components.eks.provision` alone: `exports` holds the outputs of the ClusterAccess
    it returns (the stack exports them as they are), `access` that ClusterAccess itself."""

    access: ClusterAccess
    # URN of each resource the agents depend on, by id() of the resource object.
    urns: dict[int, str]
    mocks: EksMocks

    def urn_of(self, resource: pulumi.Resource) -> str:
        return self.urns[id(resource)]


def eks_settings(eks: dict[str, Any] | None = None, **settings: Any) -> dict[str, Any]:
    """The settings of an EKS stack: this `eks` section (when given) and these other settings."""
    values: dict[str, Any] = {"cluster": "eks", "controllerAddress": "10.0.0.5", **settings}
    if eks is not None:
        values["eks"] = eks
    return values


def eks_config(eks: dict[str, Any] | None = None, **settings: Any) -> dict[str, str]:
    return config_of(**eks_settings(eks, **settings))


def _keyed_urn(resource: pulumi.Resource) -> pulumi.Output[tuple[int, str]]:
    return resource.urn.apply(lambda urn: (id(resource), urn))


def run_provision(config: dict[str, str], mocks: EksMocks | None = None) -> ProvisionRun:
    """Parse the config and run components.eks.provision under mocks (preview=False); every
    output of the returned ClusterAccess must resolve."""
    from components.eks import provision

    mocks = mocks or EksMocks()
    monitor = RecordingMonitor(mocks)
    resolved: dict[str, Any] = {}
    holder: dict[str, Any] = {}

    def program() -> pulumi.Output[Any]:
        access = provision(parse_settings(config))
        holder["access"] = access
        urns = [_keyed_urn(r) for r in access.agents_depend_on]
        return pulumi.Output.all(
            pulumi.Output.all(**dict(access.outputs)), pulumi.Output.all(*urns)
        ).apply(lambda both: resolved.update(outputs=both[0], urns=dict(both[1])))

    run_program(program, config, mocks, monitor, PROJECT, STACK)
    assert set(resolved) == {"outputs", "urns"}, "the outputs did not resolve"
    return ProvisionRun(
        resources=monitor.registered,
        exports=plain(resolved["outputs"]),
        component_outputs=monitor.outputs,
        access=holder["access"],
        urns=resolved["urns"],
        mocks=mocks,
    )


def deployed_state(run: ProvisionRun) -> StackState:
    """The stack's state after `run` completed as an `up`: its outputs, and its resources with
    the launch templates pulumi-eks created (the engine keeps a component's children too)."""
    state = StackState.after(run.resources, run.exports)
    for child in run.mocks.remote_children:
        state.resources[child["urn"]] = {"type": child["type"], "outputs": child["inputs"]}
    return state


def updating(state: StackState, **mocks: Any) -> EksMocks:
    """The mocks of an `up` of a stack that holds `state`."""
    updated = EksMocks(**mocks)
    updated.stack_state = state
    return updated


def run_eks_stack(config: dict[str, str], mocks: EksMocks | None = None) -> StackRun:
    """Run the whole program (components.stack.main) under mocks with cluster 'eks'."""
    return run_stack(config, mocks=mocks or EksMocks())


def parse_eks(config: dict[str, str]) -> EksStackSettings:
    """The settings of an EKS stack config (`parse_settings` returns `EksStackSettings` there)."""
    settings = parse_settings(config)
    assert isinstance(settings, EksStackSettings), type(settings)
    return settings


def eks_of(eks: dict[str, Any] | None = None, **settings: Any) -> EksSettings:
    """The parsed `eks` section of a config with this section and these other settings."""
    return parse_eks(eks_config(eks, **settings)).eks
