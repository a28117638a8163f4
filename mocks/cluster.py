"""A Kubernetes API server's answers: ClusterIPs and node ports for new Services, and reads of
existing objects (Endpoints, the DNS Service, a Namespace) from a table of cluster objects."""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks

from mocks.monitor import plain
from mocks.stack_state import READS as STACK_READS
from mocks.stack_state import StackState

CLUSTER_DNS_IP = "10.96.0.10"
KUBERNETES_SERVICE_IP = "10.96.0.1"
# (type token, "namespace/name") -> the object a read returns.
ClusterState = dict[tuple[str, str], dict[str, Any]]


@dataclass
class Invoked:
    token: str
    args: dict[str, Any]


class ClusterMocks(pulumi.runtime.Mocks):
    """Answers like a cluster would: the API server assigns ClusterIPs and node ports; reads
    return the objects in `cluster_state`, and a read of anything else fails, unless
    `answer_every_read` (the benchmarks, whose growth runs read one Endpoints per group): then
    a Service read returns one with the cluster DNS address, an Endpoints read one ready pod.
    Invokes are recorded; a cluster answers none, the engine its reads of the stack's own
    state (`stack_state`)."""

    def __init__(
        self, cluster_state: ClusterState | None = None, answer_every_read: bool = False
    ) -> None:
        self.cluster_state = cluster_state if cluster_state is not None else default_cluster_state()
        self.answer_every_read = answer_every_read
        # The monitor running these mocks (set by `mocks.harness.run_program`), for answers
        # that stand for resources a remote component creates.
        self.monitor: pulumi_mocks.MockMonitor | None = None
        self.invokes: list[Invoked] = []
        # What the program reads back of its own stack: none by default (a first `up`).
        self.stack_state = StackState()
        self.next_node_port = 31000
        self.reads = 0

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.resource_id:
            return args.resource_id, self.read(args.typ, args.resource_id)
        # Resource references (a node group's `cluster`) stay as they are: only data is copied.
        outputs: dict[str, Any] = {
            key: value if isinstance(value, pulumi.Resource) else copy.deepcopy(value)
            for key, value in args.inputs.items()
        }
        if args.typ == "kubernetes:core/v1:Service":
            spec = outputs.setdefault("spec", {})
            metadata = outputs.get("metadata") or {}
            spec["clusterIP"] = cluster_ip(
                metadata.get("namespace") or "default", metadata.get("name") or args.name
            )
            for port in spec.get("ports", []):
                if spec.get("type") in ("NodePort", "LoadBalancer") and "nodePort" not in port:
                    port["nodePort"] = self.next_node_port
                    self.next_node_port += 1
            outputs["status"] = {"loadBalancer": {}}
        return f"{args.name}-id", outputs

    def read(self, typ: str, resource_id: str) -> dict[str, Any]:
        state = self.cluster_state.get((typ, resource_id))
        if state is not None:
            return copy.deepcopy(state)
        if self.answer_every_read:
            namespace, _, name = resource_id.partition("/")
            self.reads += 1
            if typ == "kubernetes:core/v1:Service":
                return service(namespace, name, CLUSTER_DNS_IP)
            if typ == "kubernetes:core/v1:Namespace":
                labels = {"pod-security.kubernetes.io/enforce": "privileged"}
                return {"metadata": {"name": resource_id, "labels": labels}}
            if typ == "kubernetes:core/v1:Endpoints":
                ip = f"10.244.{self.reads // 250}.{self.reads % 250 + 1}"
                return {
                    "metadata": {"name": name, "namespace": namespace},
                    "subsets": [{"addresses": [{"ip": ip}], "ports": [{"port": 80}]}],
                }
        raise RuntimeError(f"mock cluster has no {typ} {resource_id}")

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[str, Any], list[Any]]:
        self.invokes.append(Invoked(args.token, plain(args.args)))
        if args.token in STACK_READS:
            return self.stack_state.answer(args.token, plain(args.args)), []
        return self.answer(args)

    def answer(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[str, Any], list[Any]]:
        raise AssertionError(f"unexpected invoke {args.token}")


def cluster_ip(namespace: str, name: str) -> str:
    """A Service's ClusterIP, from its namespace and name only: Services register in whatever
    order the program's reads resolve, so an address handed out in order would differ run to
    run."""
    digest = hashlib.sha256(f"{namespace}/{name}".encode()).digest()
    return f"10.96.{1 + digest[0] % 250}.{1 + digest[1] % 250}"


def service(namespace: str, name: str, cluster_ip: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"clusterIP": cluster_ip, "type": "ClusterIP"},
    }


def default_cluster_state(
    namespace: str = "cyperf",
    endpoints: dict[str, dict[str, Any]] | None = None,
    namespace_labels: dict[str, str] | None = None,
) -> ClusterState:
    """The kube-dns and default/kubernetes Services, the agents' namespace (already there for
    stacks with `createNamespace: false`; admitting the agents unless `namespace_labels` say
    otherwise), plus Endpoints objects in `namespace`: service name -> the object's fields
    besides metadata (e.g.
    `subsets`)."""
    if namespace_labels is None:
        namespace_labels = {"pod-security.kubernetes.io/enforce": "privileged"}
    state: ClusterState = {
        ("kubernetes:core/v1:Service", "kube-system/kube-dns"): service(
            "kube-system", "kube-dns", CLUSTER_DNS_IP
        ),
        ("kubernetes:core/v1:Service", "default/kubernetes"): service(
            "default", "kubernetes", KUBERNETES_SERVICE_IP
        ),
        ("kubernetes:core/v1:Namespace", namespace): {
            "metadata": {"name": namespace, "labels": namespace_labels},
        },
    }
    for name, fields in (endpoints or {}).items():
        state[("kubernetes:core/v1:Endpoints", f"{namespace}/{name}")] = {
            "metadata": {"name": name, "namespace": namespace},
            **fields,
        }
    return state
