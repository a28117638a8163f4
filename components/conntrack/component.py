"""The node-tuning DaemonSets: one per agent group whose conntrack plan needs the nodes tuned
(`conntrack.nodeTuning: true`), in the agents' namespace, on exactly the group's nodes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.agents import CyperfAgents
from components.conntrack.planner import ConntrackPlan
from components.conntrack.plans import group_daemonset
from components.settings.stack import StackSettings


class NodeTuning(pulumi.ComponentResource):
    """`plans`: the groups to tune (`components.conntrack.plans.tuned_groups`) and their plans."""

    # Keyed by agent group name.
    daemonsets: dict[str, k8s.apps.v1.DaemonSet]

    def __init__(
        self,
        name: str,
        settings: StackSettings,
        plans: Mapping[str, ConntrackPlan],
        agents: CyperfAgents,
        tolerations_by_role: Mapping[str, Sequence[Mapping[str, str]]],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("cyperf-k8s:index:NodeTuning", name, None, opts)
        # The same dependencies as the agent objects (the namespace, node labels, node groups,
        # CNI): created after them, deleted before them.
        in_namespace = pulumi.ResourceOptions(
            parent=self, depends_on=list(agents.in_namespace_depends_on), delete_before_replace=True
        )
        self.daemonsets = {}
        for group in settings.agent_groups:
            plan = plans.get(group.name)
            if plan is None:
                continue
            spec = group_daemonset(settings, group, plan, tolerations_by_role.get(group.role, ()))
            # A plain manifest dict, as the spec functions build them.
            metadata: Any = {**spec["metadata"], "namespace": agents.namespace}
            self.daemonsets[group.name] = k8s.apps.v1.DaemonSet(
                f"{name}-{group.name}",
                metadata=metadata,
                spec=spec["spec"],
                opts=pulumi.ResourceOptions.merge(
                    in_namespace,
                    pulumi.ResourceOptions(
                        aliases=[pulumi.Alias(name=f"{name}-{old}") for old in group.previous_names]
                    ),
                ),
            )
        self.register_outputs(
            {"daemonsets": {g: d.metadata.name for g, d in self.daemonsets.items()}}
        )
