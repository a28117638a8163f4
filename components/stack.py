"""The whole program: settings in; cluster access, agents and DUT outputs wired; outputs out."""

from __future__ import annotations

import pulumi

from components import specs
from components.agents import CyperfAgents
from components.cluster_access import ClusterAccess
from components.dut_outputs import DutOutputs
from components.settings import StackSettings, parse_settings, read_stack_config
from components.validators import SettingsError


def cluster_access(settings: StackSettings) -> ClusterAccess:
    if settings.cluster == "eks":
        # Only this path loads the AWS and EKS SDKs.
        from components.eks import provision

        return provision(settings)

    from components.existing_cluster import ExistingCluster
    from components.node_labels import NodeLabels

    cluster = ExistingCluster("cluster", settings)
    labels: list[pulumi.Resource] = []
    if settings.node_labels:
        labels.append(
            NodeLabels(
                "node-labels",
                dict(settings.node_labels),
                opts=pulumi.ResourceOptions(provider=cluster.provider),
            )
        )
    return ClusterAccess(provider=cluster.provider, agents_depend_on=labels)


def build(settings: StackSettings) -> None:
    if settings.controller_address is None:
        pulumi.log.warn(
            "cyperf-k8s:controllerAddress is not set: agents are deployed without "
            "AGENT_CONTROLLER and register nowhere until it is set with the agent CLI "
            "(or set the key and run `pulumi up` again)."
        )
    access = cluster_access(settings)
    agents = CyperfAgents(
        "agents",
        settings,
        access.tolerations_by_role,
        access.agents_depend_on,
        opts=pulumi.ResourceOptions(provider=access.provider),
    )
    dut = DutOutputs(
        "dut",
        settings,
        agents,
        access.dns_server_ip,
        opts=pulumi.ResourceOptions(provider=access.provider),
    )
    for key, value in sorted(access.outputs.items()):
        pulumi.export(key, value)
    pulumi.export("namespace", settings.namespace)
    pulumi.export("controllerAddress", settings.controller_address)
    pulumi.export(
        "agentTags",
        {g.name: specs.render_agent_tags(specs.agent_tags(g)) for g in settings.agent_groups},
    )
    pulumi.export("serverPodIps", dut.server_pod_ips)
    pulumi.export("serverPodIpsNotReady", dut.server_pod_ips_not_ready)
    pulumi.export("serverServices", dut.server_services)
    pulumi.export("clusterDnsIp", dut.cluster_dns_ip)
    pulumi.export("controllerSetup", dut.controller_setup)


def main() -> None:
    try:
        settings = parse_settings(read_stack_config())
    except SettingsError as err:
        # RunError: the engine prints the message alone, without a Python traceback.
        raise pulumi.RunError(str(err)) from None
    build(settings)
