"""Policy inputs built the way the pulumi-policy 1.21.0 analyzer builds them, and a report recorder.

The analyzer turns the engine's protobuf Struct into a dict (numbers become floats), deserializes
it (secret markers are dropped, the value kept) and wraps it in the unknown-checking proxy; then it
calls each validate function with `ResourceValidationArgs` or `StackValidationArgs` and a report
callback. `policy_props` repeats that pipeline; `run_resource_policy`/`run_stack_policy` call a
validate function directly (never through a PolicyPack, whose constructor serves gRPC forever),
collect the violations and check the function really ran: it returned synchronously and read the
props. (Named apart from tests.support.program's `run_stack`, which runs the program.)
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import (  # type: ignore[import-untyped,unused-ignore]
    json_format,
    struct_pb2,
)
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ReportViolation,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import unknown_checking_proxy

# How the engine marks a secret value on the wire (pulumi's resource/properties.go signatures).
SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
# How the engine sends a string it does not know yet (preview).
UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

STACK_URN = "urn:pulumi:test::cyperf-k8s"

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"
K8S_PROVIDER = "pulumi:providers:kubernetes"
EKS_CLUSTER = "eks:index:Cluster"

AGENT_IMAGE = "public.ecr.aws/keysight/cyperf-agent"
AGENT_IMAGE_ARM64 = "public.ecr.aws/keysight/cyperf-agent-aarch64"
DIGEST = "sha256:" + "0123456789abcdef" * 4
# A kubeconfig as pulumi-eks renders it: it authenticates with `aws eks get-token`.
EKS_KUBECONFIG = (
    '{"apiVersion": "v1", "users": [{"user": {"exec": {"command": "aws", '
    '"args": ["eks", "get-token", "--cluster-name", "cyperf"]}}}]}'
)


def secret(value: Any) -> dict[str, Any]:
    """A value as the engine sends a secret to an analyzer."""
    return {SECRET_SIG_KEY: SECRET_SIG, "value": value}


def policy_props(props: Mapping[str, Any]) -> Mapping[str, Any]:
    """`props` as a validate function receives them (the analyzer's own pipeline)."""
    struct = struct_pb2.Struct()
    struct.update(copy.deepcopy(dict(props)))
    as_dict: dict[str, Any] = json_format.MessageToDict(struct)
    return unknown_checking_proxy(deserialize_properties(as_dict))


class ReadSpy(Mapping[str, Any]):
    """Props that remember which top-level keys a validate function read."""

    def __init__(self, inner: Mapping[str, Any]) -> None:
        self._inner = inner
        self.reads: list[str] = []

    def __getitem__(self, key: str) -> Any:
        self.reads.append(key)
        return self._inner[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._inner)

    def __len__(self) -> int:
        return len(self._inner)


@dataclass
class Report:
    """A report_violation callback that keeps every (message, urn) it was given."""

    violations: list[tuple[str, str | None]] = field(default_factory=list)

    def __call__(self, message: str, urn: str | None = None) -> None:
        assert isinstance(message, str) and message
        self.violations.append((message, urn))

    @property
    def messages(self) -> list[str]:
        return [message for message, _ in self.violations]


def options(additional_secret_outputs: list[str] | None = None) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=False,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=additional_secret_outputs or [],
        parent=None,
    )


def urn_of(resource_type: str, name: str) -> str:
    return f"{STACK_URN}::{resource_type}::{name}"


# `object`, not None, so the tests can look at what a validate function returned.
ResourceValidate = Callable[[ResourceValidationArgs, ReportViolation], object]
StackValidate = Callable[[StackValidationArgs, ReportViolation], object]


def run_resource_policy(
    validate: ResourceValidate, resource_type: str, props: Mapping[str, Any], name: str = "res"
) -> list[str]:
    """Run one resource validate function; return the violation messages it reported."""
    spy = ReadSpy(policy_props(props))
    args = ResourceValidationArgs(
        resource_type, spy, urn_of(resource_type, name), name, options(), None, {}, {}
    )
    report = Report()
    result = validate(args, report)
    assert result is None, "validate functions must run synchronously"
    assert spy.reads, "the validate function never read the resource's props"
    assert all(urn is None for _, urn in report.violations)
    return report.messages


@dataclass
class Res:
    """One stack resource for `run_stack_policy`."""

    resource_type: str
    name: str
    props: Mapping[str, Any]
    additional_secret_outputs: list[str] = field(default_factory=list)
    parent: str | None = None  # name of another Res
    dependencies: list[str] = field(default_factory=list)  # names of other Res
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)

    @property
    def urn(self) -> str:
        return urn_of(self.resource_type, self.name)


@dataclass
class StackPolicyRun:
    violations: list[tuple[str, str | None]]
    spies: dict[str, ReadSpy]


def run_stack_policy(validate: StackValidate, resources: list[Res]) -> StackPolicyRun:
    """Run one stack validate function over `resources`; keep the (message, urn) violations."""
    spies = {r.name: ReadSpy(policy_props(r.props)) for r in resources}
    built = {
        r.name: PolicyResource(
            r.resource_type,
            spies[r.name],
            r.urn,
            r.name,
            options(r.additional_secret_outputs),
            None,
            None,
            [],
            {},
        )
        for r in resources
    }
    for r in resources:
        policy_resource = built[r.name]
        policy_resource.parent = built[r.parent] if r.parent else None
        policy_resource.dependencies = [built[d] for d in r.dependencies]
        policy_resource.property_dependencies = {
            key: [built[d] for d in names] for key, names in r.property_dependencies.items()
        }
    report = Report()
    result = validate(StackValidationArgs([built[r.name] for r in resources]), report)
    assert result is None, "validate functions must run synchronously"
    return StackPolicyRun(report.violations, spies)


# --- objects as the stack renders them (the agent contract) ---------------------------------


def agent_container(
    role: str = "client", image: str | None = None, memory: Any = "4Gi"
) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": f"cyperf-agent-{role}",
        "image": image if image is not None else f"{AGENT_IMAGE}:release26.0.0",
        "env": [{"name": "AGENT_TAGS", "value": "K8s-Group=CyPerf-Agent-Client,node-owner=User"}],
        "securityContext": {
            "privileged": False,
            "allowPrivilegeEscalation": False,
            "capabilities": {"add": ["NET_ADMIN", "IPC_LOCK", "NET_RAW"]},
        },
        "resources": {"limits": {"memory": memory}, "requests": {"memory": "2Gi"}},
    }
    return container


def pod_labels(group: str, role: str, one_per_node: bool = False) -> dict[str, str]:
    labels = {"app": "cyperf-agent", "run": f"cyperf-agent-{role}", "cyperf-k8s/agent-group": group}
    if one_per_node:
        labels["cyperf-k8s/one-agent-per-node"] = "true"
    return labels


ONE_AGENT_PER_NODE_AFFINITY: dict[str, Any] = {
    "podAntiAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": [
            {
                "labelSelector": {
                    "matchExpressions": [
                        {"key": "app", "operator": "In", "values": ["cyperf-agent"]}
                    ]
                },
                "topologyKey": "kubernetes.io/hostname",
            }
        ]
    }
}


def agent_deployment(
    group: str = "clients",
    role: str = "client",
    one_per_node: bool = False,
    namespace: str | None = "cyperf",
    container: dict[str, Any] | None = None,
) -> dict[str, Any]:
    labels = pod_labels(group, role, one_per_node)
    selector = {k: v for k, v in labels.items() if k != "cyperf-k8s/one-agent-per-node"}
    pod_spec: dict[str, Any] = {
        "containers": [container if container is not None else agent_container(role)],
        "nodeSelector": {"agenttype": role},
    }
    if one_per_node:
        pod_spec["affinity"] = copy.deepcopy(ONE_AGENT_PER_NODE_AFFINITY)
    metadata: dict[str, Any] = {"name": f"cyperf-agent-{group}-deployment", "labels": selector}
    if namespace is not None:
        metadata["namespace"] = namespace
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata,
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": dict(selector)},
            "template": {"metadata": {"labels": labels}, "spec": pod_spec},
        },
    }


def server_service(
    group: str = "servers", name: str = "cyperf-agent-service", namespace: str = "cyperf"
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "type": "ClusterIP",
            "selector": {"run": "cyperf-agent-server", "cyperf-k8s/agent-group": group},
            "ports": [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": 80}],
        },
    }
