"""The CyPerf agents: namespace, one Deployment per agent group, each server group's Service."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components import network_attachments, pod_security, secrecy, specs, test_network
from components.settings.agent_groups import AgentGroup
from components.settings.problems import Problems
from components.settings.stack import AgentsSettings
from components.warn import warn


class CyperfAgents(pulumi.ComponentResource):
    deployments: dict[str, k8s.apps.v1.Deployment]
    # Every Deployment of a group: one, or one per NIC of a DPDK inventory.
    group_deployments: dict[str, list[k8s.apps.v1.Deployment]]
    # Keyed by agent group name; server groups with `service: null` have none.
    services: dict[str, k8s.core.v1.Service]
    # For other objects in the agents' namespace (the node-tuning DaemonSets): the checked
    # namespace name and what every agent object depends on.
    namespace: pulumi.Input[str]
    in_namespace_depends_on: list[pulumi.Resource]

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
        namespace: pulumi.Input[str] = agents.namespace
        # A cluster that cannot carry a group's test network stops the run before the namespace.
        checked = network_attachments.cluster_checks(self, name, agents)
        namespace_name: pulumi.Input[str] = (
            checked.apply(lambda _: agents.namespace) if checked is not None else agents.namespace
        )
        if agents.create_namespace:
            # Needs only the API server: it is created while node groups still boot.
            namespace_spec = specs.namespace(agents)
            namespace_deps.append(
                k8s.core.v1.Namespace(
                    f"{name}-namespace",
                    metadata=_named(namespace_spec["metadata"], namespace_name),
                    opts=pulumi.ResourceOptions(parent=self),
                )
            )
        else:
            # Every agent object takes its namespace from this check, so a namespace whose Pod
            # Security level rejects the agents stops the preview before any of them is created.
            existing = k8s.core.v1.Namespace.get(
                f"{name}-namespace-read",
                namespace_name,
                opts=pulumi.ResourceOptions(parent=self),
            )
            namespace = existing.metadata.apply(
                lambda metadata: _admitting(agents.namespace, metadata.labels)
            )
        # Each agent object names the cluster resources it needs (node labels, node groups, CNI)
        # itself: a component's own depends_on is not recorded on its children, and the engine
        # orders deletes by recorded dependencies.
        # Replacing an agent object (a new namespace, a renamed Service, a changed selector)
        # deletes the old one first: under one agent per node a new Deployment's pods have no
        # node while the old ones run, and a Service with fixed node ports cannot exist twice.
        # A renamed group's objects continue those of its previous names (aliases), so a rename
        # is such a replacement too, not a create before a delete.
        self.namespace = namespace
        self.in_namespace_depends_on = [*depends_on, *namespace_deps]
        in_namespace = pulumi.ResourceOptions(
            parent=self, depends_on=self.in_namespace_depends_on, delete_before_replace=True
        )

        self.deployments = {}
        self.group_deployments = {}
        self.services = {}
        for group in agents.groups:
            tolerations = [dict(t) for t in tolerations_by_role.get(group.role, ())]
            attachments = network_attachments.network_attachments(
                name, group, namespace, in_namespace
            )
            expanded = test_network.expand(group, specs.deployment(group, agents, tolerations))
            self.group_deployments[group.name] = [
                self._deployment(name, group, spec, namespace, in_namespace, attachments, agents)
                for spec in expanded
            ]
            self.deployments[group.name] = self.group_deployments[group.name][0]
            if group.service is not None:
                service_spec = specs.service(group, group.service, agents)
                self.services[group.name] = k8s.core.v1.Service(
                    f"{name}-{group.name}-service",
                    metadata=_in_namespace(service_spec["metadata"], namespace),
                    spec=service_spec["spec"],
                    opts=pulumi.ResourceOptions.merge(
                        in_namespace,
                        pulumi.ResourceOptions(
                            aliases=[
                                pulumi.Alias(name=f"{name}-{old}-service")
                                for old in group.previous_names
                            ]
                        ),
                    ),
                )
        self.register_outputs(
            {
                "deployments": {g: d.metadata.name for g, d in self.deployments.items()},
                "services": {g: s.metadata.name for g, s in self.services.items()},
            }
        )

    def _deployment(
        self,
        name: str,
        group: AgentGroup,
        spec: dict[str, Any],
        namespace: pulumi.Input[str],
        in_namespace: pulumi.ResourceOptions,
        attachments: list[pulumi.Resource],
        agents: AgentsSettings,
    ) -> k8s.apps.v1.Deployment:
        for container in spec["spec"]["template"]["spec"]["containers"]:
            container["env"] = secrecy.conceal_env(container["env"], agents.secret_values)
        # A DPDK inventory's Deployments are told apart by their NIC's position.
        nic = spec["metadata"]["labels"].get(test_network.NIC_LABEL)
        suffix = f"-{nic}" if nic is not None else ""
        return k8s.apps.v1.Deployment(
            f"{name}-{group.name}{suffix}",
            metadata=_in_namespace(spec["metadata"], namespace),
            spec=spec["spec"],
            # A pod-template change recreates the Deployment instead of rolling it: measured
            # on the rig, the provider's update await returned before the new pods were
            # ready, so the pod-IP outputs read an empty or partial Endpoints. Its create
            # await waits for every new pod, and the agents restart all at once either way.
            # Its pods need the group's NetworkAttachmentDefinitions (Multus refuses them without).
            opts=pulumi.ResourceOptions.merge(
                in_namespace,
                pulumi.ResourceOptions(
                    replace_on_changes=["spec.template"],
                    aliases=[
                        pulumi.Alias(name=f"{name}-{old}{suffix}") for old in group.previous_names
                    ],
                    depends_on=attachments,
                ),
            ),
        )


def _admitting(namespace: str, labels: Mapping[str, str] | None) -> str:
    problem = pod_security.admission_problem(namespace, labels)
    if problem is not None:
        raise pulumi.RunError(str(Problems([problem])))
    unlabelled = pod_security.unlabelled_warning(namespace, labels)
    warn([unlabelled] if unlabelled is not None else [])
    return namespace


def _named(metadata: Any, name: pulumi.Input[str]) -> Any:
    """Metadata with a name that may wait for the cluster checks."""
    return {**metadata, "name": name}


def _in_namespace(metadata: Any, namespace: pulumi.Input[str]) -> Any:
    """An object's metadata placed in the (possibly checked, so not yet known) namespace."""
    return {**metadata, "namespace": namespace}
