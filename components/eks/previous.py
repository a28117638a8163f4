"""What the EKS path deployed last, read back from the stack's own state before any resource is
registered (the same builtin reads as components.deployed): whether the EKS cluster exists, the
created VPC's subnets, the admins' access entries and the controller rules by address.

The state holds the children pulumi-eks registers (the engine records a packaged component's
children like any other), so the EKS cluster itself is the `aws:eks/cluster:Cluster` child and
an access entry the `aws:eks/accessEntry:AccessEntry` child (pulumi-eks
`nodejs/eks/cluster/cluster.ts`, `authenticationMode.ts` createAccessEntries, v4.3.0 and main).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

EKS_CLUSTER_TYPE = "aws:eks/cluster:Cluster"
ACCESS_ENTRY_TYPE = "aws:eks/accessEntry:AccessEntry"
POLICY_ASSOCIATION_TYPE = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
SUBNET_TYPE = "aws:ec2/subnet:Subnet"
INGRESS_RULE_TYPE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


@dataclass(frozen=True)
class StateResource:
    urn: str
    type: str
    name: str
    outputs: Mapping[str, Any]


@dataclass(frozen=True)
class PreviousEks:
    resources: tuple[StateResource, ...] = field(default_factory=tuple)

    def of_type(self, typ: str) -> list[StateResource]:
        return [r for r in self.resources if r.type == typ]

    def cluster_exists(self, physical_name: str) -> bool:
        """Whether the EKS cluster of this name is in the state (a new name is a new cluster)."""
        return any(r.outputs.get("name") == physical_name for r in self.of_type(EKS_CLUSTER_TYPE))

    def subnets(self, prefix: str) -> dict[str, tuple[str, str]]:
        """The created VPC's subnets: plan name (`public-0`) -> (CIDR, zone name)."""
        return {
            r.name.removeprefix(prefix): (
                str(r.outputs.get("cidrBlock", "")),
                str(r.outputs.get("availabilityZone", "")),
            )
            for r in self.of_type(SUBNET_TYPE)
            if r.name.startswith(prefix)
        }


def previous_of(resources: Mapping[str, Any]) -> PreviousEks:
    """The state's resources (URN -> type and outputs, as readStackResourceOutputs answers)."""
    found = []
    for urn, resource in sorted(resources.items()):
        # urn:pulumi:<stack>::<project>::<parent types>$<type>::<name>
        parts = urn.split("::", 3)
        if len(parts) != 4:
            continue
        typ = parts[2].rpartition("$")[2]
        found.append(StateResource(urn, typ, parts[3], resource.get("outputs") or {}))
    return PreviousEks(tuple(found))
