"""Conntrack settings: defaults, what is parsed, and every rejection of the models' checks.

Each bad config runs the real program under mocks: it must fail naming the key, the value and
what is allowed, and register nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from components.settings.loading import parse_settings
from tests.support.program import client, config_of, refused, server


def test_defaults_plan_nothing_and_tune_nothing() -> None:
    settings = parse_settings({})
    assert settings.conntrack.node_tuning is False
    assert settings.conntrack.time_wait_seconds is None
    assert settings.conntrack.headroom == 1.25
    assert settings.conntrack.interval_seconds == 30
    assert settings.conntrack.node_vcpus is None
    assert all(g.conntrack is None and g.local_port_range is None for g in settings.agent_groups)


def test_engine_shaped_conntrack_config_is_parsed() -> None:
    settings = parse_settings(
        config_of(
            conntrack={"nodeTuning": True, "timeWaitSeconds": 60, "nodeVcpus": 8},
            agentGroups=[
                client(conntrack={"peakConnectionsPerSecond": 1200}, localPortRange="2000-60000")
            ],
        )
    )
    assert settings.conntrack.node_tuning and settings.conntrack.node_vcpus == 8
    group = settings.agent_groups[0]
    assert group.conntrack is not None and group.conntrack.peak_connections_per_second == 1200
    assert group.local_port_range == "2000-60000"


BAD: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "tuning not a boolean",
        {"conntrack": {"nodeTuning": "maybe"}},
        "conntrack.nodeTuning",
        "must be true or false",
    ),
    (
        "zero TIME_WAIT",
        {"conntrack": {"timeWaitSeconds": 0}},
        "conntrack.timeWaitSeconds",
        "greater than or equal to 1",
    ),
    (
        "TIME_WAIT over an hour",
        {"conntrack": {"timeWaitSeconds": 7200}},
        "conntrack.timeWaitSeconds",
        "less than or equal to 3600",
    ),
    (
        "headroom below one",
        {"conntrack": {"headroom": 0.5}},
        "conntrack.headroom",
        "greater than or equal to 1",
    ),
    (
        "headroom above ten",
        {"conntrack": {"headroom": 11}},
        "conntrack.headroom",
        "less than or equal to 10",
    ),
    (
        "interval too short",
        {"conntrack": {"intervalSeconds": 1}},
        "conntrack.intervalSeconds",
        "greater than or equal to 5",
    ),
    (
        "no vCPUs",
        {"conntrack": {"nodeVcpus": 0}},
        "conntrack.nodeVcpus",
        "greater than or equal to 1",
    ),
    ("typo in the section", {"conntrack": {"nodeTunning": True}}, "conntrack.nodeTunning", "known"),
    (
        "vCPUs on EKS",
        {"cluster": "eks", "conntrack": {"nodeVcpus": 8}},
        "conntrack.nodeVcpus",
        "applies only with cluster 'existing' (cluster is 'eks'); remove it: the stack takes the "
        "vCPUs from eks.nodeGroups.<role>.instanceTypes",
    ),
    (
        "empty group plan",
        {"agentGroups": [client(conntrack={})]},
        "agentGroups[0].conntrack",
        "needs at least one of peakConnectionsPerSecond",
    ),
    (
        "negative rate",
        {"agentGroups": [client(conntrack={"peakConnectionsPerSecond": -1})]},
        "agentGroups[0].conntrack.peakConnectionsPerSecond",
        "greater than or equal to 0",
    ),
    (
        "negative concurrency",
        {"agentGroups": [client(conntrack={"concurrentConnections": -5})]},
        "agentGroups[0].conntrack.concurrentConnections",
        "greater than or equal to 0",
    ),
    (
        "zero table",
        {"agentGroups": [client(conntrack={"tableSize": 0})]},
        "agentGroups[0].conntrack.tableSize",
        "greater than or equal to 1",
    ),
    (
        "table above INT_MAX",
        {"agentGroups": [client(conntrack={"tableSize": 2**31})]},
        "agentGroups[0].conntrack.tableSize",
        "less than or equal to 2147483647",
    ),
    (
        "typo in a group plan",
        {"agentGroups": [client(conntrack={"peakCps": 5})]},
        "agentGroups[0].conntrack.peakCps",
        "known",
    ),
    (
        "port range on a server",
        {"agentGroups": [server(service=None, localPortRange="1024-65535")]},
        "agentGroups[0].localPortRange",
        "applies only with role 'client' (role is 'server'); remove it",
    ),
    (
        "port range in sysctl form",
        {"agentGroups": [client(localPortRange="1024 65535")]},
        "agentGroups[0].localPortRange",
        "'low-high'",
    ),
    (
        "port range into privileged ports",
        {"agentGroups": [client(localPortRange="80-65535")]},
        "agentGroups[0].localPortRange",
        "1024 <= low < high <= 65535",
    ),
    (
        "port range upside down",
        {"agentGroups": [client(localPortRange="60000-2000")]},
        "agentGroups[0].localPortRange",
        "low < high",
    ),
    (
        "port range past 65535",
        {"agentGroups": [client(localPortRange="1024-70000")]},
        "agentGroups[0].localPortRange",
        "high <= 65535",
    ),
]


@pytest.mark.parametrize(
    ("settings", "key", "allowed"), [pytest.param(s, k, a, id=case) for case, s, k, a in BAD]
)
def test_bad_conntrack_config_is_rejected_before_any_resource(
    settings: dict[str, Any], key: str, allowed: str
) -> None:
    refused(settings, key, allowed)
