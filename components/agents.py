"""The CyPerf agents: namespace, one Deployment per agent group, each server group's Service."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_kubernetes as k8s

from components import specs
from components.settings.stack import AgentsSettings


class CyperfAgents(pulumi.ComponentResource):
    deployments: dict[str, k8s.apps.v1.Deployment]
    # Keyed by agent group name; server groups with `service: null` have none.
    services: dict[str, k8s.core.v1.Service]

    def __init__(
        self,
        name: str,
        agents: AgentsSettings,
        tolerations_by_role: Mapping[str, Sequence[Mapping[str, str]]],
        depends_on: Sequence[pulumi.Resource] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("cyperf-k8s:index:CyperfAgents", name, None, opts)
        namespace_deps: list[pulumi.Resource] = []
        if agents.create_namespace:
            # Needs only the API server: it is created while node groups still boot.
            namespace_spec = specs.namespace(agents)
            namespace_deps.append(
                k8s.core.v1.Namespace(
                    f"{name}-namespace",
                    metadata=namespace_spec["metadata"],
                    opts=pulumi.ResourceOptions(parent=self),
                )
            )
        # Each agent object names the cluster resources it needs (node labels, node groups, CNI)
        # itself: a component's own depends_on is not recorded on its children, and the engine
        # orders deletes by recorded dependencies.
        in_namespace = pulumi.ResourceOptions(
            parent=self, depends_on=[*depends_on, *namespace_deps]
        )

        self.deployments = {}
        self.services = {}
        for group in agents.groups:
            tolerations = [dict(t) for t in tolerations_by_role.get(group.role, ())]
            spec = specs.deployment(group, agents, tolerations)
            self.deployments[group.name] = k8s.apps.v1.Deployment(
                f"{name}-{group.name}",
                metadata=spec["metadata"],
                spec=spec["spec"],
                opts=in_namespace,
            )
            if group.service is not None:
                service_spec = specs.service(group, group.service, agents)
                self.services[group.name] = k8s.core.v1.Service(
                    f"{name}-{group.name}-service",
                    metadata=service_spec["metadata"],
                    spec=service_spec["spec"],
                    opts=in_namespace,
                )
        self.register_outputs(
            {
                "deployments": {g: d.metadata.name for g, d in self.deployments.items()},
                "services": {g: s.metadata.name for g, s in self.services.items()},
            }
        )
