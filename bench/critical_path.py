"""Part 4: the EKS stacks' critical path, from the dependency graph the program registers.

Each EKS example stack runs once under the mocks (bench.child `record`); the graph is what the
engine would see: a resource starts when every resource it depends on (recorded dependencies,
its provider and, through its parent, the parent's dependencies) is done. Creation times are
TYPICAL PUBLIC FIGURES (see DURATIONS), not measurements; with them the longest chain is an
estimate of `pulumi up`, assuming the engine runs independent steps in parallel (it does).
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass, field
from typing import Any

from bench.common import (
    Scratch,
    engine_config,
    example_stacks,
    is_eks,
    run_child,
    stack_config,
    table,
)


@dataclass(frozen=True)
class Typical:
    pattern: str  # fnmatch on the type token
    seconds: float
    what: str
    source: str


# Typical creation times, longest match first. Public figures and stated assumptions, never
# measurements of this benchmark.
DURATIONS = (
    Typical(
        "eks:index:Cluster",
        600,
        "EKS control plane (pulumi-eks Cluster: IAM role, aws.eks.Cluster, kube-proxy/vpc-cni "
        "add-ons, kubeconfig)",
        "AWS EKS CreateCluster API reference: creating a cluster takes several minutes; "
        "aws/containers-roadmap#1227 gave ~15 min on average before AWS's speed-ups; ~10 min is "
        "the commonly quoted figure today",
    ),
    Typical(
        "eks:index:ManagedNodeGroup",
        240,
        "managed node group (EC2 instances boot and join; CREATING -> ACTIVE)",
        "AWS EKS managed node groups: CreateNodegroup is asynchronous, ACTIVE after a few "
        "minutes; ~3-5 min typical",
    ),
    Typical(
        "aws:ec2/natGateway:NatGateway",
        90,
        "NAT gateway (pending -> available)",
        "AWS VPC NAT gateway states: `pending` until `available`; ~1-2 min typical",
    ),
    Typical(
        "aws:eks/addon:Addon",
        60,
        "EKS add-on (CoreDNS: CREATING -> ACTIVE, needs nodes)",
        "AWS EKS add-ons: ~1 min typical once nodes exist",
    ),
    Typical(
        "kubernetes:helm.sh/v3:Release",
        30,
        "Helm release tigera-operator (chart fetch + install, skipAwait)",
        "assumption: a chart install without waiting for readiness, tens of seconds",
    ),
    Typical(
        "kubernetes:apps/v1:Deployment",
        120,
        "agent rollout (image pull of the CyPerf agent on a fresh node, agent start)",
        "assumption: a multi-hundred-MB image pulled over NAT; seconds on a warm node",
    ),
    Typical(
        "kubernetes:core/v1:Service",
        120,
        "Service await (first ready endpoint = the same pods' rollout; an NLB address comes "
        "sooner)",
        "same pods as the Deployment; Pulumi's Service await waits for a ready endpoint",
    ),
    Typical("kubernetes:core/v1:Namespace", 1, "Namespace", "one API call"),
    Typical("kubernetes:*", 0, "read", "a read"),
    Typical("pulumi:providers:*", 0, "provider", "no cloud call"),
    Typical(
        "aws:*",
        5,
        "VPC, subnet, route table, association, internet gateway, EIP, IAM role or policy "
        "attachment, security group rule",
        "a single create API call each, seconds",
    ),
)


def typical(typ: str) -> Typical:
    return next(t for t in DURATIONS if fnmatch.fnmatchcase(typ, t.pattern))


# Why an ordering-only edge (depends_on, or inherited from the parent component) exists, by
# (dependent type, dependency type) patterns; judged by hand from components/eks and
# components/agents, and the what-if saving tells whether it costs time.
EDGE_REASONS = (
    (
        "eks:index:ManagedNodeGroup",
        "kubernetes:helm.sh/v3:Release",
        "needed: nodes without the CNI stay NotReady (Calico goes in first)",
    ),
    (
        "eks:index:ManagedNodeGroup",
        "aws:iam/rolePolicyAttachment:*",
        "needed: the node role must carry its policies before nodes join",
    ),
    (
        "eks:index:ManagedNodeGroup",
        "aws:ec2/*",
        "needed for private nodes (NAT route to pull images); the rest comes with depends_on "
        "the whole network component and is done long before the cluster",
    ),
    (
        "eks:index:ManagedNodeGroup",
        "eks:index:Cluster",
        "needed (also a data dependency)",
    ),
    (
        "aws:eks/addon:Addon",
        "eks:index:ManagedNodeGroup",
        "needed: CoreDNS with no node is DEGRADED",
    ),
    (
        "kubernetes:helm.sh/v3:Release",
        "eks:index:Cluster",
        "implied by its provider (the cluster's kubeconfig); no cost",
    ),
    (
        "kubernetes:core/v1:Namespace",
        "*",
        "not needed: a Namespace needs only the API server (inherited from the agents "
        "component's depends_on); costs only its own ~1 s, the Deployments wait for nodes anyway",
    ),
    (
        "kubernetes:*",
        "aws:eks/addon:Addon",
        "optional: agents need cluster DNS only when controllerAddress is a DNS name; images "
        "could pull while CoreDNS installs",
    ),
    (
        "kubernetes:*",
        "eks:index:ManagedNodeGroup",
        "needed: the rollout await (and its timeout) should start when nodes exist",
    ),
    (
        "kubernetes:*",
        "kubernetes:helm.sh/v3:Release",
        "implied by the node groups (which wait for it); no cost",
    ),
    (
        "kubernetes:*",
        "kubernetes:core/v1:Namespace",
        "needed: objects live in the namespace",
    ),
    (
        "kubernetes:*",
        "aws:vpc/securityGroupIngressRule:*",
        "needed: agents register with the controller as soon as they start",
    ),
    ("aws:ec2/natGateway:NatGateway", "aws:ec2/internetGateway:*", "needed: AWS requires it"),
    ("kubernetes:core/v1:Endpoints", "*", "needed: read after the rollout"),
    ("*", "*", "not classified"),
)


OTHER_ROLE = (
    "not needed: agents of one role need only their own role's node group; no cost while both "
    "groups take equally long"
)
# Judgements that mark an edge as avoidable.
AVOIDABLE = ("not needed", "optional")


def edge_reason(dependent: str, dependency: str) -> str:
    return next(
        reason
        for a, b, reason in EDGE_REASONS
        if fnmatch.fnmatchcase(dependent, a) and fnmatch.fnmatchcase(dependency, b)
    )


@dataclass
class Node:
    urn: str
    typ: str
    name: str
    seconds: float
    component: bool
    # Agent role of a Deployment/Service (its `run` label) or node group (`agenttype` label).
    role: str | None = None
    # dependency URN -> True for a data dependency (an input's value came from it)
    deps: dict[str, bool] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.typ.rsplit(':', 1)[-1]} `{self.name}`"


def _role(inputs: dict[str, Any]) -> str | None:
    labels = inputs.get("labels") or {}
    if "agenttype" in labels:
        return str(labels["agenttype"])
    spec = inputs.get("spec") or {}
    run = (spec.get("selector") or {}).get("run") or (
        ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    ).get("run")
    return str(run).removeprefix("cyperf-agent-") if run else None


def graph(recording: dict[str, Any]) -> dict[str, Node]:
    nodes: dict[str, Node] = {}
    for rec in recording["resources"]:
        component = not rec["custom"] and not rec["remote"]
        data = {u for urns in rec["property_dependencies"].values() for u in urns}
        # Resource references (a node group's `cluster`): data dependencies the SDK does not list
        # under propertyDependencies.
        data |= set(rec["references"])
        node = Node(
            rec["urn"],
            rec["typ"],
            rec["name"],
            0.0 if component else typical(rec["typ"]).seconds,
            component,
        )
        node.role = _role(rec["inputs"])
        for dep in rec["dependencies"]:
            node.deps[dep] = node.deps.get(dep, False) or dep in data
        if rec["provider"]:
            node.deps[rec["provider"].rsplit("::", 1)[0]] = True
        if rec["parent"]:
            node.deps.setdefault(rec["parent"], False)
        nodes[rec["urn"]] = node
    for node in nodes.values():  # the root stack and references to children of remote components
        node.deps = {u: d for u, d in node.deps.items() if u in nodes}
    return nodes


def schedule(
    nodes: dict[str, Node], without: set[tuple[str, str]] | None = None
) -> dict[str, tuple[float, float]]:
    """Earliest (start, finish) of every node, optionally without some edges (dependent, dep)."""
    dropped = without or set()
    times: dict[str, tuple[float, float]] = {}

    def visit(urn: str) -> float:
        if urn not in times:
            node = nodes[urn]
            start = max(
                (visit(d) for d in node.deps if (urn, d) not in dropped),
                default=0.0,
            )
            times[urn] = (start, start + node.seconds)
        return times[urn][1]

    for urn in nodes:
        visit(urn)
    return times


def critical_chain(nodes: dict[str, Node], times: dict[str, tuple[float, float]]) -> list[str]:
    # Ties (twin node groups, subnets done at the same moment) go to the first name, so the
    # report does not depend on the order the RPCs happened to arrive in.
    end = min(times, key=lambda u: (-times[u][1], nodes[u].component, nodes[u].name))
    chain = [end]
    while True:
        node = nodes[chain[-1]]
        start = times[chain[-1]][0]
        binding = [d for d in node.deps if abs(times[d][1] - start) < 1e-9]
        if not binding or start == 0:
            break
        # Prefer a real resource over a zero-length component on ties.
        chain.append(
            min(binding, key=lambda d: (nodes[d].component, -nodes[d].seconds, nodes[d].name))
        )
    return [u for u in reversed(chain) if not nodes[u].component]


def minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.0f} s"


def stack_report(name: str, recording: dict[str, Any]) -> str:
    nodes = graph(recording)
    times = schedule(nodes)
    makespan = max(f for _, f in times.values())
    chain = critical_chain(nodes, times)
    on_chain = set(chain)
    chain_rows = [
        [
            i + 1,
            nodes[u].label,
            minutes(times[u][0]),
            minutes(nodes[u].seconds),
            minutes(times[u][1]),
        ]
        for i, u in enumerate(chain)
    ]
    # Latest finish that does not delay the end: slack per resource off the chain.
    latest: dict[str, float] = {}
    for urn in sorted(nodes, key=lambda u: -times[u][1]):
        dependents = [n for n in nodes.values() if urn in n.deps]
        latest[urn] = min(
            (latest[d.urn] - d.seconds for d in dependents if d.urn in latest), default=makespan
        )
    off = sorted(
        (u for u in nodes if u not in on_chain and not nodes[u].component and nodes[u].seconds),
        key=lambda u: (round(latest[u] - times[u][1], 6), nodes[u].typ, nodes[u].name),
    )
    off_rows = [
        [nodes[u].label, minutes(times[u][1]), minutes(latest[u] - times[u][1])] for u in off
    ]
    # Ordering-only edges (not data, not the provider), grouped by resource and judgement, and
    # what dropping each group would save.
    edge_rows = []
    avoidable: set[tuple[str, str]] = set()
    for node in sorted(nodes.values(), key=lambda n: (times[n.urn][0], n.typ, n.name)):
        if node.component:
            continue
        groups: dict[str, list[str]] = {}
        for dep, data in node.deps.items():
            if not data and not nodes[dep].component:
                other = nodes[dep]
                reason = (
                    OTHER_ROLE
                    if node.role and other.role and node.role != other.role
                    else edge_reason(node.typ, other.typ)
                )
                groups.setdefault(reason, []).append(dep)
                if reason.startswith(AVOIDABLE):
                    avoidable.add((node.urn, dep))
        for reason, deps in sorted(groups.items()):
            dropped = schedule(nodes, without={(node.urn, d) for d in deps})
            saved = makespan - max(f for _, f in dropped.values())
            names = sorted(nodes[d].label for d in deps)
            shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
            edge_rows.append([node.label, shown, minutes(saved) if saved > 1e-9 else "0", reason])
    without_avoidable = max(f for _, f in schedule(nodes, without=avoidable).values())
    return "\n".join(
        [
            f"#### `{name}`: estimated `pulumi up` {minutes(makespan)} "
            f"({len([n for n in nodes.values() if not n.component])} resources)",
            "",
            "Critical path (each step starts when its last dependency is done):",
            "",
            table(["#", "resource", "starts at", "takes (typical)", "done at"], chain_rows),
            "",
            "Off the critical path, sorted by slack (how much later each could finish without "
            "delaying the end; 0 s: tied with the path, e.g. the twin node group):",
            "",
            table(["resource", "done at", "slack"], off_rows),
            "",
            "Ordering-only edges (depends_on, or inherited from the parent component; data "
            "dependencies and providers excluded), per resource and judgement, and what dropping "
            "that group of edges would save:",
            "",
            table(["resource", "waits for", "saving if dropped", "judgement"], edge_rows),
            "",
            f"All {len(avoidable)} edges judged avoidable (`not needed`, `optional`) dropped "
            f"together: estimated `pulumi up` {minutes(without_avoidable)}, saving "
            f"{minutes(makespan - without_avoidable) if makespan > without_avoidable else '0'}.",
        ]
    )


def report(scratch: Scratch) -> str:
    sections = [
        "### 4. EKS critical path (estimate from typical public figures, not measured)",
        "",
        "Typical creation times used (public figures and stated assumptions):",
        "",
        table(
            ["type", "typical", "what", "source"],
            [[f"`{t.pattern}`", minutes(t.seconds), t.what, t.source] for t in DURATIONS],
        ),
    ]
    for name in example_stacks():
        if not is_eks(name):
            continue
        recording = scratch.file(f"critical-{name}")
        config = scratch.json(f"critical-{name}", {"config": engine_config(stack_config(name))})
        run_child("record", config, recording)
        sections += ["", stack_report(name, json.loads(recording.read_text()))]
    return "\n".join(sections)
