"""From the stack settings to conntrack plans, node-tuning DaemonSets, warnings and outputs (pure).

Decisions (facts and sources in docs/conntrack.md):

- One DaemonSet per agent group whose plan needs it, not per role: each group has its own node
  selector and tolerations, and the DaemonSet must land exactly where that group's agents may
  run. Two groups on the same nodes each get one; the loop only raises the maximum, so they
  converge on the larger plan, and the TIME_WAIT timeout is one stack-wide value.
- Groups without oneAgentPerNode on the same node selector may all land on one node, so each of
  their plans counts the traffic of all of them. An agent under oneAgentPerNode is alone on its
  node (the scheduler honours an existing pod's required anti-affinity too).
- EKS: the vCPUs that give kube-proxy's default come from the node group's instance types through
  a small table (no AWS call at plan time); a type outside the table leaves the vCPUs unknown,
  and the plan assumes kube-proxy's floor and says so.
- The 120-second rule for switching between the ClusterIP and pod IPs is documented
  (docs/conntrack.md), not a warning: the destination is chosen in the controller, and no
  setting of the stack shows it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from components import specs
from components.conntrack import daemonset, planner
from components.conntrack.kernel import KUBE_PROXY_MIN
from components.conntrack.planner import (
    ConntrackPlan,
    RoleTraffic,
    default_local_port_range,
    local_port_range_sysctl,
)
from components.ec2_instances import instance_vcpus
from components.settings.agent_groups import AgentGroup
from components.settings.problems import KeyWarning, Path, Problem, raise_any
from components.settings.stack import StackSettings


def node_vcpus(settings: StackSettings, group: AgentGroup) -> int | None:
    """The smallest agent node's vCPUs: it has the smallest kube-proxy default."""
    types = settings.node_instance_types(group)
    if types is None:
        return settings.conntrack.node_vcpus
    vcpus = [instance_vcpus(t) for t in types]
    if not vcpus or None in vcpus:
        return None
    return min(v for v in vcpus if v is not None)


def _sharing(settings: StackSettings, group: AgentGroup) -> list[AgentGroup]:
    """The groups whose agents may share the busiest node of `group`'s agents (itself first)."""
    if group.one_agent_per_node:
        return [group]
    others = [
        g
        for g in settings.agent_groups
        if g is not group
        and not g.one_agent_per_node
        and g.effective_node_selector == group.effective_node_selector
    ]
    return [group, *others]


def _total(groups: Sequence[AgentGroup], field: str) -> int | None:
    values = [getattr(g.conntrack, field) for g in groups if g.conntrack is not None]
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def traffic(settings: StackSettings, group: AgentGroup) -> RoleTraffic:
    assert group.conntrack is not None
    sharing = _sharing(settings, group)
    return RoleTraffic(
        name=group.name,
        agents=sum(g.replicas for g in sharing),
        max_agents_per_node=1 if group.one_agent_per_node else None,
        peak_connections_per_second=_total(sharing, "peak_connections_per_second"),
        concurrent_connections=_total(sharing, "concurrent_connections"),
        table_size=group.conntrack.table_size,
        time_wait_seconds=settings.conntrack.time_wait_seconds,
        node_vcpus=node_vcpus(settings, group),
        kubernetes_minor=settings.kubernetes_minor,
        headroom=settings.conntrack.headroom,
        on_aws=settings.cluster == "eks",
    )


def plans(settings: StackSettings) -> dict[str, ConntrackPlan]:
    """The plan of every group that declares `conntrack`, by group name; `Problems` for a plan
    the kernel cannot hold or a DaemonSet that would tune every node."""
    found: dict[str, ConntrackPlan] = {}
    problems: list[Problem] = []
    for index, group in enumerate(settings.agent_groups):
        if group.conntrack is None:
            continue
        declared = group.conntrack.model_dump(mode="json", by_alias=True, exclude_none=True)
        try:
            plan = planner.plan(traffic(settings, group))
        except ValueError as err:
            problems.append(Problem(("agentGroups", index, "conntrack"), str(err), declared))
            continue
        if tuned(settings, group, plan) and not group.effective_node_selector:
            problems.append(
                Problem(
                    ("agentGroups", index, "nodeSelector"),
                    "must not be empty with conntrack.nodeTuning on: the node-tuning DaemonSet "
                    "would tune every node of the cluster",
                    {},
                )
            )
        found[group.name] = plan
    raise_any(problems)
    return found


def tuned(settings: StackSettings, group: AgentGroup, plan: ConntrackPlan) -> bool:
    """Whether the group gets a node-tuning DaemonSet."""
    return settings.conntrack.node_tuning and plan.needs_tuning and group.replicas > 0


def tuned_groups(settings: StackSettings, plans: Mapping[str, ConntrackPlan]) -> list[AgentGroup]:
    return [
        g for g in settings.agent_groups if g.name in plans and tuned(settings, g, plans[g.name])
    ]


def group_daemonset(
    settings: StackSettings,
    group: AgentGroup,
    plan: ConntrackPlan,
    cluster_tolerations: Sequence[Mapping[str, str]],
) -> dict[str, Any]:
    """The group's DaemonSet: the agents' node selector and exactly their tolerations."""
    spec = daemonset.node_tuning_daemonset(
        instance=group.name,
        namespace=settings.namespace,
        node_selector=group.effective_node_selector,
        tolerations=specs.tolerations(group, [dict(t) for t in cluster_tolerations]),
        conntrack_max=plan.configured_max,
        time_wait_seconds=plan.time_wait_to_set,
        interval_seconds=settings.conntrack.interval_seconds,
    )
    spec["metadata"]["annotations"] = {specs.AWAIT_TIMEOUT: str(settings.rollout_timeout_seconds)}
    return spec


def warnings(settings: StackSettings, plans: Mapping[str, ConntrackPlan]) -> list[KeyWarning]:
    """What `pulumi preview` and `up` warn about, in group order, at each group's key."""
    found: list[KeyWarning] = []
    for index, group in enumerate(settings.agent_groups):
        plan = plans.get(group.name)
        if plan is not None:
            at: Path = ("agentGroups", index, "conntrack")
            found.extend(KeyWarning(at, m) for m in _plan_warnings(settings, group, plan))
    for index, group in enumerate(settings.agent_groups):
        if group.role != "client" or group.local_port_range is not None:
            continue
        advice = default_local_port_range(group.replicas, group.conntrack)
        if advice is not None and not advice.sufficient:
            found.append(
                KeyWarning(
                    ("agentGroups", index, "conntrack", "peakConnectionsPerSecond"),
                    f"{group.name}: about {advice.ports_needed} local ports per agent are needed "
                    f"at this rate, more than {advice.low}-{advice.high} holds; spread the rate "
                    "over more agents or destinations (if CyPerf uses kernel sockets: see "
                    "docs/conntrack.md)",
                )
            )
    return found


def _plan_warnings(settings: StackSettings, group: AgentGroup, plan: ConntrackPlan) -> list[str]:
    found = [w.message for w in plan.warnings]
    types = settings.node_instance_types(group)
    unknown = sorted({t for t in types or () if instance_vcpus(t) is None})
    if unknown:
        found.append(
            f"{group.name}: the vCPUs of instance types {unknown} are not in the stack's table "
            "(components/ec2_instances.py), so the plan assumes kube-proxy's floor of "
            f"{KUBE_PROXY_MIN} entries per node"
        )
    if "exceeds-kube-proxy-default" not in {w.code for w in plan.warnings}:
        return found
    if not settings.conntrack.node_tuning:
        found.append(
            f"{group.name}: set conntrack.nodeTuning: true to raise the table on the group's "
            f"nodes to {plan.configured_max} entries"
        )
    else:
        found.append(
            f"{group.name}: after a kube-proxy restart a node has kube-proxy's "
            f"{plan.kube_proxy_default} entries for up to {settings.conntrack.interval_seconds} s "
            "until node tuning raises it again"
        )
    return found


def plan_output(plan: ConntrackPlan) -> dict[str, object]:
    """The plan as the controller-setup output shows it (JSON-ready, stable keys)."""
    return {
        "requiredEntriesPerNode": plan.required_entries,
        "headroom": plan.headroom,
        "requiredWithHeadroom": plan.required_with_headroom,
        "kubeProxyDefault": plan.kube_proxy_default,
        "configuredMax": plan.configured_max,
        "timeWaitSeconds": plan.time_wait_seconds,
        "connectionsPerSecondPerNode": plan.connections_per_second_per_node,
        "concurrentConnectionsPerNode": plan.concurrent_connections_per_node,
        "warnings": [w.message for w in plan.warnings],
    }


def controller_setup(settings: StackSettings, plans: Mapping[str, ConntrackPlan]) -> dict[str, Any]:
    """`controllerSetup.conntrack`: per group with a plan, the plan and what the stack applies."""
    groups = {g.name: g for g in settings.agent_groups}
    report: dict[str, Any] = {}
    for name, plan in plans.items():
        group = groups[name]
        report[name] = {
            **plan_output(plan),
            "nodeVcpus": node_vcpus(settings, group),
            "nodeTuningDaemonSet": (
                daemonset.daemonset_name(name) if tuned(settings, group, plan) else None
            ),
            "localPortRange": local_port_range_sysctl(
                group.role, group.replicas, group.conntrack, group.local_port_range
            ),
        }
    return report
