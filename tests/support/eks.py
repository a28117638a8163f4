"""EKS settings as the program parses them, and runs of the EKS path under the shared mocks
(`mocks.aws.EksMocks`: AWS, pulumi-eks)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pytest

from components.cluster_access import ClusterAccess
from components.settings.eks.section import EksSettings
from components.settings.eks.stack import EksStackSettings
from components.settings.loading import parse_settings
from components.settings.problems import PROJECT, Problems
from mocks.aws import EXISTING_SUBNETS, KUBECONFIG, NODE_SECURITY_GROUP, ZONES, EksMocks
from mocks.harness import run_program
from mocks.monitor import RecordingMonitor, Registered, plain
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


@dataclass
class EksRun:
    resources: list[Registered]
    outputs: dict[str, Any]
    access: ClusterAccess
    urns: dict[int, str]
    mocks: EksMocks

    def of_type(self, typ: str) -> list[Registered]:
        return [r for r in self.resources if r.typ == typ]

    def one(self, typ: str, name: str | None = None) -> Registered:
        found = [r for r in self.of_type(typ) if name is None or r.name == name]
        assert len(found) == 1, f"expected one {typ} {name or ''}, got {[r.name for r in found]}"
        return found[0]

    def urn_of(self, resource: pulumi.Resource) -> str:
        return self.urns[id(resource)]


def eks_config(eks: dict[str, Any] | None = None, **settings: Any) -> dict[str, str]:
    values: dict[str, Any] = {"cluster": "eks", "controllerAddress": "10.0.0.5", **settings}
    if eks is not None:
        values["eks"] = eks
    return config_of(**values)


def _keyed_urn(resource: pulumi.Resource) -> pulumi.Output[tuple[int, str]]:
    return resource.urn.apply(lambda urn: (id(resource), urn))


def run_provision(config: dict[str, str], mocks: EksMocks | None = None) -> EksRun:
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
    return EksRun(
        monitor.registered, plain(resolved["outputs"]), holder["access"], resolved["urns"], mocks
    )


def refusal(config: dict[str, str], mocks: EksMocks | None = None) -> str:
    """Run a config the stack must refuse; returns the error text, after checking that nothing
    was registered (the refusal came before any resource)."""
    mocks = mocks or EksMocks()
    with pytest.raises(Exception) as caught:
        run_provision(config, mocks)
    assert isinstance(mocks.monitor, RecordingMonitor)
    assert mocks.monitor.registered == []
    return str(caught.value)


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


def rejected(config: dict[str, str]) -> list[str]:
    """The problem lines of a config the settings refuse."""
    with pytest.raises(Problems) as caught:
        parse_settings(config)
    return caught.value.lines


def one_problem(config: dict[str, str]) -> str:
    problems = rejected(config)
    assert len(problems) == 1, problems
    return problems[0]


def refused_naming(eks: dict[str, Any], key: str, fragment: str) -> None:
    """An `eks` section (with no agents, so no cross-check gets in the way) refused with exactly
    one problem, at `key`, saying `fragment`, showing the value."""
    problem = one_problem(
        eks_config(eks, agentGroups=[{"name": "c", "role": "client", "replicas": 0}])
    )
    assert problem.startswith(f"cyperf-k8s:{key}: "), problem
    assert fragment in problem, problem
    # Unknown keys are named, their values never shown (they may hold credentials).
    assert "(got " in problem or "(value hidden: the values of unknown keys" in problem, problem
