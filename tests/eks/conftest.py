"""Pulumi mocks for the EKS path: answers like AWS and pulumi-eks would.

Remote components (eks.Cluster, eks.ManagedNodeGroup) reach `new_resource` once with no children,
so the mock returns what the program reads from them: `kubeconfigJson`, `nodeSecurityGroupId`, and
for a node group its `nodeGroup` as a resource reference to an aws.eks.NodeGroup the mock monitor
knows (the engine does the same: the SDK rehydrates the reference through `getResource`).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc

from components.cluster_access import ClusterAccess
from components.settings.eks.stack import EksStackSettings
from components.settings.loading import parse_settings
from components.settings.problems import PROJECT
from tests.conftest import (
    STACK,
    ClusterMocks,
    RecordingMonitor,
    Registered,
    StackRun,
    _plain,
    config_of,
    default_cluster_state,
    run_stack,
)

ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"]
EXISTING_VPC_CIDR = "172.31.0.0/16"
EXISTING_SUBNETS = {
    "subnet-0aaaaaaaaaaaaaaa1": "172.31.0.0/20",
    "subnet-0aaaaaaaaaaaaaaa2": "172.31.16.0/20",
    "subnet-0bbbbbbbbbbbbbbb1": "172.31.32.0/20",
    "subnet-0bbbbbbbbbbbbbbb2": "172.31.48.0/20",
}
NODE_SECURITY_GROUP = "sg-0eks0cluster0sg1"
KUBECONFIG = {
    "apiVersion": "v1",
    "kind": "Config",
    "clusters": [{"name": "kubernetes", "cluster": {"server": "https://eks.example"}}],
    "users": [{"name": "aws", "user": {"exec": {"command": "aws"}}}],
}


class EksMocks(ClusterMocks):
    def __init__(self, vpc_cidrs: list[str] | None = None) -> None:
        # The agents' Service has one ready server pod (a Calico overlay address).
        super().__init__(
            default_cluster_state(
                endpoints={
                    "cyperf-agent-service": {
                        "subsets": [{"addresses": [{"ip": "192.168.7.4"}], "ports": [{"port": 80}]}]
                    }
                }
            )
        )
        self.vpc_cidrs = vpc_cidrs or [EXISTING_VPC_CIDR]
        self.next_eip = 1
        self.invokes: list[str] = []

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        # Resource references (a node group's `cluster`) stay as they are: only data is copied.
        outputs = {
            key: value if isinstance(value, pulumi.Resource) else copy.deepcopy(value)
            for key, value in args.inputs.items()
        }
        if args.typ == "eks:index:Cluster":
            outputs["kubeconfigJson"] = json.dumps(KUBECONFIG)
            outputs["kubeconfig"] = KUBECONFIG
            outputs["nodeSecurityGroupId"] = NODE_SECURITY_GROUP
            outputs["clusterSecurityGroupId"] = NODE_SECURITY_GROUP
        elif args.typ == "eks:index:ManagedNodeGroup":
            outputs["nodeGroup"] = self._node_group_reference(args.name)
        elif args.typ == "aws:ec2/eip:Eip":
            outputs["publicIp"] = f"203.0.113.{self.next_eip}"
            outputs["allocationId"] = f"eipalloc-{self.next_eip:017d}"
            self.next_eip += 1
        elif args.typ == "aws:iam/role:Role":
            outputs["arn"] = f"arn:aws:iam::123456789012:role/{args.name}"
            outputs["name"] = args.name
        elif args.typ.startswith("kubernetes:"):
            return super().new_resource(args)
        return f"{args.name}-id", outputs

    def _node_group_reference(self, name: str) -> dict[str, Any]:
        """A resource reference to the aws.eks.NodeGroup child pulumi-eks would create."""
        assert self.monitor is not None
        typ = "aws:eks/nodeGroup:NodeGroup"
        urn = (
            f"urn:pulumi:{STACK}::{PROJECT}::cyperf-k8s:eks:NodeGroups$"
            f"eks:index:ManagedNodeGroup${typ}::{name}"
        )
        self.monitor.resources[urn] = pulumi_mocks.MockMonitor.ResourceRegistration(
            urn, f"{name}-ng-id", {"nodeGroupName": f"{name}-20260101000000000000000001"}
        )
        return {
            rpc._special_sig_key: rpc._special_resource_sig,
            "urn": urn,
            "id": f"{name}-ng-id",
        }

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[str, Any], list[Any]]:
        self.invokes.append(args.token)
        if args.token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            return {"id": "us-east-1", "names": ZONES, "zoneIds": ["use1-az1", "use1-az2"]}, []
        if args.token == "aws:index/getPartition:getPartition":
            return {
                "id": "aws",
                "partition": "aws",
                "dnsSuffix": "amazonaws.com",
                "reverseDnsPrefix": "com.amazonaws",
            }, []
        if args.token == "aws:ec2/getVpc:getVpc":
            return {
                "id": args.args["id"],
                "cidrBlock": self.vpc_cidrs[0],
                "cidrBlockAssociations": [
                    {"associationId": f"assoc-{i}", "cidrBlock": c, "state": "associated"}
                    for i, c in enumerate(self.vpc_cidrs)
                ],
            }, []
        if args.token == "aws:ec2/getSubnet:getSubnet":
            return {"id": args.args["id"], "cidrBlock": EXISTING_SUBNETS[args.args["id"]]}, []
        raise AssertionError(f"unexpected invoke {args.token}")


def _refs_to_urns(struct: Any) -> None:
    """Replace resource references in a protobuf Struct by their URN (in place)."""
    for key in list(struct.fields):
        value = struct.fields[key]
        kind = value.WhichOneof("kind")
        if kind == "struct_value":
            inner = value.struct_value
            sig = inner.fields.get(rpc._special_sig_key)
            if sig is not None and sig.string_value == rpc._special_resource_sig:
                struct.fields[key].string_value = inner.fields["urn"].string_value
            else:
                _refs_to_urns(inner)
        elif kind == "list_value":
            for item in value.list_value.values:
                if item.WhichOneof("kind") == "struct_value":
                    _refs_to_urns(item.struct_value)


class EksRecordingMonitor(RecordingMonitor):
    """The mock monitor deserializes inputs on its worker thread; a resource reference there
    (a node group's `cluster`) would rehydrate the resource on the wrong event loop. Inputs keep
    the referenced URN instead, which is also what the assertions compare."""

    def RegisterResource(self, request: Any) -> Any:
        copied = type(request)()
        copied.CopyFrom(request)
        _refs_to_urns(copied.object)
        return super().RegisterResource(copied)


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
    monitor = EksRecordingMonitor(mocks)
    mocks.monitor = monitor
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=STACK, preview=False, monitor=monitor)
    pulumi.runtime.set_all_config(config)
    resolved: dict[str, Any] = {}
    holder: dict[str, Any] = {}

    @pulumi.runtime.test
    def program() -> pulumi.Output[Any]:
        access = provision(parse_settings(config))
        holder["access"] = access
        urns = [_keyed_urn(r) for r in access.agents_depend_on]
        return pulumi.Output.all(
            pulumi.Output.all(**dict(access.outputs)), pulumi.Output.all(*urns)
        ).apply(lambda both: resolved.update(outputs=both[0], urns=dict(both[1])))

    try:
        program()
    finally:
        pulumi.runtime.set_all_config({})
    assert set(resolved) == {"outputs", "urns"}, "the outputs did not resolve"
    return EksRun(
        monitor.registered, _plain(resolved["outputs"]), holder["access"], resolved["urns"], mocks
    )


def run_eks_stack(config: dict[str, str], mocks: EksMocks | None = None) -> StackRun:
    """Run the whole program (components.stack.main) under mocks with cluster 'eks'."""
    return run_stack(config, mocks=mocks or EksMocks(), monitor_class=EksRecordingMonitor)


def parse_eks(config: dict[str, str]) -> EksStackSettings:
    """The settings of an EKS stack config (`parse_settings` returns `EksStackSettings` there)."""
    settings = parse_settings(config)
    assert isinstance(settings, EksStackSettings), type(settings)
    return settings
