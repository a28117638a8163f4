"""Pulumi mocks for the benchmarks: a cluster (and AWS / pulumi-eks) that answers like
tests/conftest.py and tests/eks/conftest.py do, without importing the project's `components`
package, so the same mocks serve the real program and the bare-SDK floor (whose child must not
pay for the project's imports).

`Monitor` is the mock monitor of every timed run: it only turns resource references in inputs
into URNs before the mock deserializes them (see tests/eks/conftest.py). `RecordingMonitor` (the
untimed record run) also keeps every registration, read, invoke and component output.
"""

from __future__ import annotations

import copy
import json
from dataclasses import asdict, dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc

PROJECT = "cyperf-k8s"
STACK = "bench"
CLUSTER_DNS_IP = "10.96.0.10"
# A resource reference inside recorded inputs: {REF: urn}.
REF = "__bench_ref__"

ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"]
NODE_SECURITY_GROUP = "sg-0eks0cluster0sg1"
KUBECONFIG = {
    "apiVersion": "v1",
    "kind": "Config",
    "clusters": [{"name": "kubernetes", "cluster": {"server": "https://eks.example"}}],
    "users": [{"name": "aws", "user": {"exec": {"command": "aws"}}}],
}
EXISTING_VPC_CIDR = "172.31.0.0/16"


class BenchMocks(pulumi.runtime.Mocks):
    """The API server assigns ClusterIPs and node ports; the DNS Service and every Endpoints
    object can be read (one ready address per Service); AWS and pulumi-eks answer like
    tests/eks/conftest.py's EksMocks."""

    def __init__(self) -> None:
        self.monitor: pulumi_mocks.MockMonitor | None = None
        self.next_ip = 1
        self.next_node_port = 31000
        self.next_eip = 1
        self.next_pod = 1

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.resource_id:
            return args.resource_id, self._read(args.typ, args.resource_id)
        outputs: dict[str, Any] = {
            key: value if isinstance(value, pulumi.Resource) else copy.deepcopy(value)
            for key, value in args.inputs.items()
        }
        if args.typ == "kubernetes:core/v1:Service":
            spec = outputs.setdefault("spec", {})
            spec["clusterIP"] = f"10.96.1.{self.next_ip % 250 + 1}"
            self.next_ip += 1
            for port in spec.get("ports", []):
                if spec.get("type") in ("NodePort", "LoadBalancer") and "nodePort" not in port:
                    port["nodePort"] = self.next_node_port
                    self.next_node_port += 1
            outputs["status"] = {"loadBalancer": {}}
        elif args.typ == "eks:index:Cluster":
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
        return f"{args.name}-id", outputs

    def _read(self, typ: str, resource_id: str) -> dict[str, Any]:
        namespace, _, name = resource_id.partition("/")
        if typ == "kubernetes:core/v1:Service":
            return {
                "metadata": {"name": name, "namespace": namespace},
                "spec": {"clusterIP": CLUSTER_DNS_IP, "type": "ClusterIP"},
            }
        if typ == "kubernetes:core/v1:Endpoints":
            ip = f"10.244.{self.next_pod // 250}.{self.next_pod % 250 + 1}"
            self.next_pod += 1
            return {
                "metadata": {"name": name, "namespace": namespace},
                "subsets": [{"addresses": [{"ip": ip}], "ports": [{"port": 80}]}],
            }
        raise RuntimeError(f"mock cluster has no {typ} {resource_id}")

    def _node_group_reference(self, name: str) -> dict[str, Any]:
        """A reference to the aws.eks.NodeGroup child pulumi-eks would create (the SDK rehydrates
        it through `getResource`, which the mock monitor answers from its table)."""
        assert self.monitor is not None
        typ = "aws:eks/nodeGroup:NodeGroup"
        urn = (
            f"urn:pulumi:{STACK}::{PROJECT}::cyperf-k8s:eks:NodeGroups$"
            f"eks:index:ManagedNodeGroup${typ}::{name}"
        )
        self.monitor.resources[urn] = pulumi_mocks.MockMonitor.ResourceRegistration(
            urn, f"{name}-ng-id", {"nodeGroupName": f"{name}-20260101000000000000000001"}
        )
        return {rpc._special_sig_key: rpc._special_resource_sig, "urn": urn, "id": f"{name}-ng-id"}

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[str, Any], list[Any]]:
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
                "cidrBlock": EXISTING_VPC_CIDR,
                "cidrBlockAssociations": [
                    {"associationId": "assoc-0", "cidrBlock": EXISTING_VPC_CIDR}
                ],
            }, []
        if args.token == "aws:ec2/getSubnet:getSubnet":
            return {"id": args.args["id"], "cidrBlock": "172.31.0.0/20"}, []
        raise RuntimeError(f"unexpected invoke {args.token}")


def _refs_to_markers(struct: Any) -> None:
    """Replace resource references in a protobuf Struct by {REF: urn} (in place)."""
    for key in list(struct.fields):
        value = struct.fields[key]
        kind = value.WhichOneof("kind")
        if kind == "struct_value":
            inner = value.struct_value
            sig = inner.fields.get(rpc._special_sig_key)
            if sig is not None and sig.string_value == rpc._special_resource_sig:
                urn = inner.fields["urn"].string_value
                inner.Clear()
                inner.fields[REF].string_value = urn
            else:
                _refs_to_markers(inner)
        elif kind == "list_value":
            for item in value.list_value.values:
                if item.WhichOneof("kind") == "struct_value":
                    _refs_to_markers(item.struct_value)


class Monitor(pulumi_mocks.MockMonitor):
    """The mock monitor deserializes inputs on its worker thread, where a resource reference
    (a node group's `cluster`) would rehydrate on the wrong event loop: inputs carry the
    referenced URN instead."""

    def RegisterResource(self, request: Any) -> Any:
        copied = type(request)()
        copied.CopyFrom(request)
        _refs_to_markers(copied.object)
        return super().RegisterResource(copied)  # type: ignore[no-untyped-call]


@dataclass
class Recorded:
    typ: str
    name: str
    urn: str
    inputs: dict[str, Any]
    parent: str = ""
    provider: str = ""
    dependencies: list[str] = field(default_factory=list)
    # Per input property, the resources its value came from (data dependencies); dependencies
    # not listed here are ordering only (depends_on, inherited from the parent).
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    read_id: str | None = None
    custom: bool = True
    remote: bool = False
    secret_inputs: list[str] = field(default_factory=list)
    additional_secret_outputs: list[str] = field(default_factory=list)
    alias_types: list[str] = field(default_factory=list)
    version: str = ""

    @property
    def is_provider(self) -> bool:
        return self.typ.startswith("pulumi:providers:")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Invoked:
    token: str
    args: dict[str, Any]


class RecordingMonitor(Monitor):
    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.registered: list[Recorded] = []
        self.outputs: dict[str, Any] = {}
        self.invokes: list[Invoked] = []

    def _record(self, request: Any, urn: str, read_id: str | None) -> None:
        struct = type(request.object if read_id is None else request.properties)()
        struct.CopyFrom(request.object if read_id is None else request.properties)
        _refs_to_markers(struct)
        inputs = rpc.deserialize_properties(struct)
        custom = True if read_id is not None else bool(request.custom)
        self.registered.append(
            Recorded(
                typ=request.type,
                name=request.name,
                urn=urn,
                inputs=plain(inputs),
                parent=request.parent,
                provider=request.provider,
                dependencies=list(request.dependencies),
                property_dependencies=(
                    {}
                    if read_id is not None
                    else {k: list(v.urns) for k, v in request.propertyDependencies.items()}
                ),
                read_id=read_id,
                custom=custom,
                remote=False if read_id is not None else bool(request.remote),
                secret_inputs=sorted(k for k, v in inputs.items() if is_secret(v)),
                additional_secret_outputs=(
                    [] if read_id is not None else list(request.additionalSecretOutputs)
                ),
                alias_types=(
                    []
                    if read_id is not None
                    else sorted({a.spec.type for a in request.aliases if a.spec.type})
                ),
                version=request.version,
            )
        )

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self._record(request, response.urn, None)
        return response

    def ReadResource(self, request: Any) -> Any:
        response = super().ReadResource(request)  # type: ignore[no-untyped-call]
        self._record(request, response.urn, request.id)
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:
        self.outputs[request.urn] = plain(rpc.deserialize_properties(request.outputs))
        return super().RegisterResourceOutputs(request)  # type: ignore[no-untyped-call]

    def Invoke(self, request: Any) -> Any:
        if request.tok != "pulumi:pulumi:getResource":
            self.invokes.append(
                Invoked(request.tok, plain(rpc.deserialize_properties(request.args)))
            )
        return super().Invoke(request)  # type: ignore[no-untyped-call]


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(rpc._special_sig_key) == rpc._special_secret_sig


def plain(value: Any) -> Any:
    """JSON-like data: secrets unwrapped, numbers as the engine sends them."""
    if is_secret(value):
        return plain(value.get("value"))
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    return str(value)
