"""The whole program: settings in; cluster access, agents and DUT outputs wired; outputs out."""

from __future__ import annotations

from typing import Any

import pulumi

from components import secrecy, specs
from components.agents import CyperfAgents
from components.cluster_access import ClusterAccess
from components.conntrack import plans as conntrack
from components.conntrack.component import NodeTuning
from components.deployed import read_deployed
from components.dut_outputs import DutOutputs
from components.settings import renames
from components.settings.controller_address import controller_address_warning
from components.settings.loading import parse_settings, read_secret_keys, read_stack_config
from components.settings.problems import Problems, raise_any
from components.settings.stack import StackSettings
from components.settings.test_network import network_warnings
from components.warn import conceal_secrets, warn

# The agents component's name: its objects are named after it and their group.
AGENTS = "agents"


def cluster_access(settings: StackSettings) -> ClusterAccess:
    if settings.cluster == "eks":
        # Only this path loads the AWS and EKS SDKs.
        from components.eks import provision
    else:
        from components.existing import provision
    return provision(settings)


def build(settings: StackSettings) -> None:
    conceal_secrets(settings.secret_values)
    try:
        # Before any resource: a plan the kernel cannot hold is a settings error, and so is a
        # change to what the stack holds that one `up` cannot apply.
        plans = conntrack.plans(settings)
        deployed = read_deployed(AGENTS)
        raise_any(renames.claim_problems(settings.agent_groups, settings.namespace, deployed))
    except Problems as err:
        raise pulumi.RunError(str(err)) from None
    address_warning = controller_address_warning(settings.controller_address)
    warn(
        [
            *renames.rename_warnings(settings.agent_groups, deployed),
            *conntrack.warnings(settings, plans),
            *([address_warning] if address_warning else []),
            *network_warnings(
                [(g.role, g.test_network, g.service is not None) for g in settings.agent_groups]
            ),
        ]
    )
    access = cluster_access(settings)
    agents_settings = settings.agents_in(pulumi.get_stack())
    agents = CyperfAgents(
        AGENTS,
        agents_settings,
        access.tolerations_by_role,
        access.agents_depend_on,
        opts=pulumi.ResourceOptions(provider=access.provider),
    )
    tuned = conntrack.tuned_groups(settings, plans)
    if tuned:
        NodeTuning(
            "node-tuning",
            settings,
            {g.name: plans[g.name] for g in tuned},
            agents,
            access.tolerations_by_role,
            opts=pulumi.ResourceOptions(provider=access.provider),
        )
    dut = DutOutputs(
        "dut",
        agents_settings,
        agents,
        access.dns_server_ip,
        settings.cluster_dns_service,
        conntrack.controller_setup(settings, plans),
        opts=pulumi.ResourceOptions(provider=access.provider),
    )
    outputs: dict[str, pulumi.Input[Any]] = {
        **access.outputs,
        "namespace": settings.namespace,
        "controllerAddress": settings.controller_address,
        "agentTags": {
            g.name: specs.render_agent_tags(specs.agent_tags(g, agents_settings.stack))
            for g in settings.agent_groups
        },
        "serverPodIps": dut.server_pod_ips,
        "serverPodIpsNotReady": dut.server_pod_ips_not_ready,
        "serverServices": dut.server_services,
        "clusterDnsIp": dut.cluster_dns_ip,
        "controllerSetup": dut.controller_setup,
    }
    if any(g.test_network is not None for g in settings.agent_groups):
        outputs["serverTestIps"] = dut.server_test_ips
    for key, value in sorted(outputs.items()):
        # Every output that mentions a value set with `--secret` is exported secret.
        pulumi.export(key, secrecy.conceal(value, settings.secret_values))


def main() -> None:
    try:
        config = read_stack_config()
        settings = parse_settings(config, read_secret_keys(config))
    except Problems as err:
        # RunError: the engine prints the message alone, without a Python traceback.
        raise pulumi.RunError(str(err)) from None
    build(settings)
