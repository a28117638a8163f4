"""Reads back what the tester needs: server pod IPs, Service addresses, the cluster DNS IP."""

from __future__ import annotations

import functools
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components import controller_setup, network_attachments, secrecy, specs, test_network
from components.agents import CyperfAgents
from components.settings.agent_groups import AgentGroup
from components.settings.problems import KeyWarning
from components.settings.stack import AgentsSettings
from components.warn import warn


class DutOutputs(pulumi.ComponentResource):
    server_pod_ips: pulumi.Output[dict[str, list[str]]]
    server_pod_ips_not_ready: pulumi.Output[dict[str, list[str]]]
    # Server groups with a test network: the addresses on it (the DUT-facing ones).
    server_test_ips: pulumi.Output[dict[str, list[str]]]
    server_services: pulumi.Output[dict[str, controller_setup.ServiceReport]]
    cluster_dns_ip: pulumi.Output[str | None]
    controller_setup: pulumi.Output[dict[str, Any]]

    def __init__(
        self,
        name: str,
        agent_settings: AgentsSettings,
        agents: CyperfAgents,
        dns_server_ip: pulumi.Input[str] | None,
        cluster_dns_service: str,
        conntrack: dict[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("cyperf-k8s:index:DutOutputs", name, None, opts)
        addresses: dict[str, pulumi.Output[controller_setup.ServerAddresses]] = {}
        reports: dict[str, pulumi.Output[controller_setup.ServiceReport]] = {}
        test_ips: dict[str, pulumi.Output[list[str]]] = {}
        for group_name, service in sorted(agents.services.items()):
            # The id is an output of the Service: a preview of a not-yet-created Service skips
            # the read instead of failing on an Endpoints object that does not exist yet.
            endpoints = k8s.core.v1.Endpoints.get(
                f"{name}-{group_name}-endpoints",
                service.metadata.apply(lambda m: f"{m.namespace}/{m.name}"),
                opts=pulumi.ResourceOptions(
                    parent=self, depends_on=[service, *agents.group_deployments[group_name]]
                ),
            )
            index, group = next(
                (i, g) for i, g in enumerate(agent_settings.groups) if g.name == group_name
            )
            addresses[group_name] = endpoints.subsets.apply(
                functools.partial(_checked_addresses, index, group)
            )
            if group.test_network is not None:
                test_ips[group_name] = endpoints.subsets.apply(
                    functools.partial(_test_addresses, self, name, index, group)
                )
            reports[group_name] = pulumi.Output.all(
                service.metadata.name, service.spec, service.status
            ).apply(lambda args: controller_setup.service_report(*args))

        if dns_server_ip is None:
            dns = k8s.core.v1.Service.get(
                f"{name}-cluster-dns",
                cluster_dns_service,
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.cluster_dns_ip = dns.spec.cluster_ip
        else:
            self.cluster_dns_ip = pulumi.Output.from_input(dns_server_ip)

        all_addresses = (
            pulumi.Output.all(**addresses) if addresses else pulumi.Output.from_input({})
        )
        self.server_pod_ips = all_addresses.apply(
            lambda by_group: {g: a["ready"] for g, a in sorted(by_group.items())}
        )
        self.server_pod_ips_not_ready = all_addresses.apply(
            lambda by_group: {g: a["notReady"] for g, a in sorted(by_group.items())}
        )
        self.server_test_ips = (
            pulumi.Output.all(**test_ips) if test_ips else pulumi.Output.from_input({})
        )
        self.server_services = (
            pulumi.Output.all(**reports) if reports else pulumi.Output.from_input({})
        )
        self.controller_setup = secrecy.conceal(
            pulumi.Output.all(
                all_addresses, self.server_services, self.cluster_dns_ip, self.server_test_ips
            ).apply(
                lambda args: controller_setup.controller_setup(
                    agent_settings, args[0], args[1], args[2], conntrack, args[3]
                )
            ),
            agent_settings.secret_values,
        )
        registered: dict[str, pulumi.Output[Any]] = {
            "serverPodIps": self.server_pod_ips,
            "serverPodIpsNotReady": self.server_pod_ips_not_ready,
            "serverServices": self.server_services,
            "clusterDnsIp": self.cluster_dns_ip,
            "controllerSetup": self.controller_setup,
        }
        if test_ips:
            registered["serverTestIps"] = self.server_test_ips
        self.register_outputs(registered)


def _checked_addresses(
    index: int, group: AgentGroup, subsets: Any
) -> controller_setup.ServerAddresses:
    """The group's pod addresses; a group that awaited its rollout and still lists fewer than its
    replicas is warned about at its key (`agentGroups[<index>]`)."""
    addresses = controller_setup.endpoint_addresses(subsets)
    if specs.deployment_awaits(group):
        missing = controller_setup.missing_pod_ips_warning(group.name, group.replicas, addresses)
        warn([KeyWarning(("agentGroups", index), missing)] if missing is not None else [])
    return addresses


def _test_addresses(
    parent: pulumi.Resource, name: str, index: int, group: AgentGroup, subsets: Any
) -> pulumi.Output[list[str]]:
    """The group's test-interface addresses; ready pods whose network-status names no address
    (Multus has not written it, or the attachment got none) are warned about at the group."""

    def checked(found: tuple[int, list[str]]) -> list[str]:
        without, addresses = found
        if without:
            warn(
                [
                    KeyWarning(
                        ("agentGroups", index, "testNetwork"),
                        f"serverTestIps[{group.name}]: {without} ready pod(s) have no address "
                        f"on the test network in their {test_network.NETWORK_STATUS_ANNOTATION} "
                        "annotation; check Multus and the IPAM on their nodes "
                        "(docs/test-networks.md#checks-on-real-hardware), then run `pulumi up` "
                        "again",
                    )
                ]
            )
        return addresses

    return network_attachments.read_test_addresses(parent, name, group, subsets).apply(checked)
