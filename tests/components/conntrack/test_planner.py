"""The conntrack planner: the guide's formula, headroom, kube-proxy's defaults, limits, warnings,
and the client pods' local port range."""

from __future__ import annotations

import pytest

from components.conntrack.kernel import (
    KERNEL_TIME_WAIT_SECONDS,
    KUBE_PROXY_MIN,
    KUBE_PROXY_SCALED_CAP,
    MAX_TABLE_ENTRIES,
)
from components.conntrack.planner import (
    RoleTraffic,
    client_local_port_range,
    kube_proxy_default_max,
    local_port_range_sysctl,
    plan,
)
from components.settings.loading import parse_settings
from tests.support.program import config_of


def codes(traffic: RoleTraffic) -> set[str]:
    return {w.code for w in plan(traffic).warnings}


def test_the_guides_example_overflows_a_128k_table() -> None:
    """1200 connections/s x 120 s = 144000 entries > 131072 (the guide's second scenario)."""
    result = plan(
        RoleTraffic(name="client", agents=1, peak_connections_per_second=1200, headroom=1.0)
    )
    assert result.time_wait_seconds == KERNEL_TIME_WAIT_SECONDS
    assert result.required_entries == 144_000
    assert result.required_entries > KUBE_PROXY_MIN
    assert result.configured_max == 144_000
    assert "exceeds-kube-proxy-default" in {w.code for w in result.warnings}


def test_concurrent_and_rate_add_up() -> None:
    result = plan(
        RoleTraffic(
            name="server",
            agents=1,
            peak_connections_per_second=100,
            concurrent_connections=50_000,
            headroom=1.0,
        )
    )
    assert result.required_entries == 50_000 + 100 * 120


def test_an_explicit_time_wait_replaces_the_kernel_default() -> None:
    result = plan(
        RoleTraffic(name="client", agents=1, peak_connections_per_second=1000, time_wait_seconds=60)
    )
    assert result.required_entries == 60_000
    assert result.time_wait_to_set == 60
    assert plan(RoleTraffic(name="c", agents=1)).time_wait_to_set is None


def test_headroom_multiplies_and_rounds_up() -> None:
    result = plan(
        RoleTraffic(name="client", agents=1, concurrent_connections=200_001, headroom=1.5)
    )
    assert result.required_entries == 200_001
    assert result.required_with_headroom == 300_002  # ceil(300001.5)
    assert result.configured_max == 300_002


def test_the_default_headroom_is_a_quarter() -> None:
    result = plan(RoleTraffic(name="client", agents=1, concurrent_connections=400_000))
    assert result.headroom == 1.25
    assert result.required_with_headroom == 500_000


def test_one_agent_per_node_divides_the_role_total_by_its_agents() -> None:
    result = plan(
        RoleTraffic(
            name="client",
            agents=4,
            max_agents_per_node=1,
            peak_connections_per_second=4001,
            concurrent_connections=400_000,
            headroom=1.0,
        )
    )
    assert result.agents_on_busiest_node == 1
    assert result.connections_per_second_per_node == 1001  # ceil(4001 / 4)
    assert result.concurrent_connections_per_node == 100_000
    assert result.required_entries == 100_000 + 1001 * 120


def test_without_one_agent_per_node_every_agent_may_share_one_node() -> None:
    spread = plan(RoleTraffic(name="c", agents=4, concurrent_connections=400_000, headroom=1.0))
    packed = plan(
        RoleTraffic(
            name="c",
            agents=4,
            max_agents_per_node=None,
            concurrent_connections=400_000,
            headroom=1.0,
        )
    )
    two_per_node = plan(
        RoleTraffic(
            name="c",
            agents=4,
            max_agents_per_node=2,
            concurrent_connections=400_000,
            headroom=1.0,
        )
    )
    assert (spread.required_entries, two_per_node.required_entries) == (100_000, 200_000)
    assert packed.agents_on_busiest_node == 4
    assert packed.required_entries == 400_000


def test_no_agents_or_no_traffic_plans_kube_proxys_default_and_no_tuning() -> None:
    for traffic in (
        RoleTraffic(name="c", agents=0, peak_connections_per_second=5000),
        RoleTraffic(name="c", agents=3),
    ):
        result = plan(traffic)
        assert result.required_entries == 0
        assert result.configured_max == KUBE_PROXY_MIN
        assert not result.needs_tuning
        assert result.warnings == ()


@pytest.mark.parametrize(
    ("vcpus", "minor", "expected"),
    [
        (None, None, KUBE_PROXY_MIN),
        (1, 35, KUBE_PROXY_MIN),
        (4, 35, KUBE_PROXY_MIN),  # 4 x 32768 = 131072, the floor itself
        (8, 35, 262_144),  # c5.2xlarge, Keysight's default node
        (64, 35, 2_097_152),  # before the 1.36 cap
        (64, 36, KUBE_PROXY_SCALED_CAP),
        (64, None, KUBE_PROXY_SCALED_CAP),  # unknown version: the smaller, capped value
        (32, 36, KUBE_PROXY_SCALED_CAP),  # exactly at the cap
    ],
)
def test_kube_proxy_default(vcpus: int | None, minor: int | None, expected: int) -> None:
    assert kube_proxy_default_max(vcpus, minor) == expected


def test_the_plan_never_goes_below_kube_proxys_value() -> None:
    result = plan(
        RoleTraffic(name="c", agents=1, concurrent_connections=1000, node_vcpus=8, headroom=1.0)
    )
    assert result.required_with_headroom == 1000
    assert result.kube_proxy_default == 262_144
    assert result.configured_max == 262_144
    assert not result.needs_tuning
    assert "exceeds-kube-proxy-default" not in {w.code for w in result.warnings}


def test_a_plan_above_the_node_default_needs_tuning() -> None:
    result = plan(RoleTraffic(name="c", agents=1, peak_connections_per_second=3000, node_vcpus=8))
    assert result.required_with_headroom == 450_000
    assert result.configured_max == 450_000
    assert result.needs_tuning
    assert "exceeds-kube-proxy-default" in {w.code for w in result.warnings}


def test_an_explicit_time_wait_alone_needs_tuning() -> None:
    result = plan(RoleTraffic(name="c", agents=1, time_wait_seconds=90))
    assert result.configured_max == KUBE_PROXY_MIN
    assert result.needs_tuning


def test_an_explicit_table_size_wins_over_the_formula() -> None:
    result = plan(RoleTraffic(name="c", agents=1, concurrent_connections=10, table_size=600_000))
    assert result.configured_max == 600_000
    assert "table-below-plan" not in {w.code for w in result.warnings}


def test_an_explicit_table_below_the_plan_warns_and_is_still_used() -> None:
    traffic = RoleTraffic(
        name="c", agents=1, concurrent_connections=500_000, table_size=300_000, headroom=1.0
    )
    result = plan(traffic)
    assert result.configured_max == 300_000
    assert "table-below-plan" in {w.code for w in result.warnings}


def test_an_explicit_table_below_kube_proxy_cannot_lower_the_node() -> None:
    traffic = RoleTraffic(name="c", agents=1, table_size=50_000, node_vcpus=8)
    result = plan(traffic)
    assert result.configured_max == 262_144
    assert "table-below-kube-proxy-default" in {w.code for w in result.warnings}


def test_unknown_vcpus_warn_only_when_the_floor_matters() -> None:
    assert "vcpus-unknown" in codes(RoleTraffic(name="c", agents=1, concurrent_connections=200_000))
    assert "vcpus-unknown" not in codes(
        RoleTraffic(name="c", agents=1, concurrent_connections=200_000, node_vcpus=16)
    )
    assert "vcpus-unknown" not in codes(RoleTraffic(name="c", agents=1, concurrent_connections=10))


def test_a_time_wait_shorter_than_tcps_warns() -> None:
    assert "time-wait-below-tcp" in codes(RoleTraffic(name="c", agents=1, time_wait_seconds=30))
    assert "time-wait-below-tcp" not in codes(RoleTraffic(name="c", agents=1, time_wait_seconds=60))


def test_aws_security_group_tracking_warns_only_on_aws_with_traffic() -> None:
    busy = {"name": "c", "agents": 1, "peak_connections_per_second": 10}
    assert "aws-security-group-tracking" in codes(RoleTraffic(**busy, on_aws=True))  # type: ignore[arg-type]
    assert "aws-security-group-tracking" not in codes(RoleTraffic(**busy))  # type: ignore[arg-type]
    assert "aws-security-group-tracking" not in codes(RoleTraffic(name="c", agents=1, on_aws=True))


def test_warning_messages_name_the_role_and_the_numbers() -> None:
    result = plan(
        RoleTraffic(name="clients-a", agents=1, peak_connections_per_second=1200, node_vcpus=2)
    )
    (message,) = [w.message for w in result.warnings if w.code == "exceeds-kube-proxy-default"]
    assert message.startswith("clients-a: ")
    assert "180000" in message and "131072" in message and "1200/s x 120 s" in message


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"agents": -1}, "agents must be >= 0 (got -1)"),
        ({"peak_connections_per_second": -5}, "peak connections per second must be >= 0"),
        ({"concurrent_connections": -1}, "concurrent connections must be >= 0"),
        ({"max_agents_per_node": 0}, "max agents per node must be >= 1 (got 0)"),
        ({"table_size": 0}, "table size must be 1-2147483647 (got 0)"),
        ({"table_size": MAX_TABLE_ENTRIES + 1}, "table size must be 1-2147483647"),
        ({"time_wait_seconds": 0}, "TIME_WAIT timeout must be >= 1 s (got 0)"),
        ({"headroom": 0.9}, "headroom must be 1.0-10.0 (got 0.9)"),
        ({"headroom": 11.0}, "headroom must be 1.0-10.0 (got 11.0)"),
        ({"node_vcpus": 0}, "node vCPUs must be >= 1 (got 0)"),
    ],
)
def test_bad_input_is_refused_by_name(changes: dict[str, object], fragment: str) -> None:
    fields: dict[str, object] = {"name": "grp", "agents": 1, **changes}
    with pytest.raises(ValueError, match=r"^grp: ") as err:
        plan(RoleTraffic(**fields))  # type: ignore[arg-type]
    assert fragment in str(err.value)


def test_a_plan_beyond_the_kernels_int_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="exceed the kernel's limit of 2147483647"):
        plan(RoleTraffic(name="c", agents=1, peak_connections_per_second=20_000_000))


def test_port_range_stays_the_kernels_below_its_capacity() -> None:
    assert client_local_port_range(0) is None
    assert client_local_port_range(470) is None  # 28200 ports <= 28232


def test_port_range_widens_above_the_kernels_capacity() -> None:
    advice = client_local_port_range(471)  # 28260 ports
    assert advice is not None
    assert advice.sysctl_value == "1024 65535"
    assert advice.ports_needed == 28_260
    assert advice.sufficient


def test_port_range_says_when_even_the_widest_is_not_enough() -> None:
    enough = client_local_port_range(1075)  # 64500 <= 64512
    too_many = client_local_port_range(1076)  # 64560
    assert enough is not None and enough.sufficient
    assert too_many is not None and not too_many.sufficient


def test_kube_proxy_default_refuses_zero_cpus() -> None:
    with pytest.raises(ValueError, match=r"at least 1 \(got 0\)"):
        kube_proxy_default_max(0)


def test_port_range_refuses_a_negative_rate() -> None:
    with pytest.raises(ValueError, match=r"must be >= 0 \(got -1\)"):
        client_local_port_range(-1)


@pytest.mark.parametrize(
    ("role", "replicas", "declared", "configured", "expected"),
    [
        # 1000/s per agent x 60 s = 60000 ports: more than the kernel's 28232.
        ("client", 2, {"peakConnectionsPerSecond": 2000}, None, "1024 65535"),
        # 400/s per agent fits the kernel's range: left alone.
        ("client", 3, {"peakConnectionsPerSecond": 1200}, None, None),
        ("client", 1, {"concurrentConnections": 10**6}, None, None),
        ("client", 0, {"peakConnectionsPerSecond": 10**6}, None, None),
        ("client", 1, None, "2000-60000", "2000 60000"),
        ("client", 1, {"peakConnectionsPerSecond": 10**6}, "2000-60000", "2000 60000"),
        ("server", 1, {"peakConnectionsPerSecond": 10**6}, None, None),
    ],
)
def test_local_port_range_default_and_explicit(
    role: str,
    replicas: int,
    declared: dict[str, int] | None,
    configured: str | None,
    expected: str | None,
) -> None:
    group: dict[str, object] = {"name": role, "role": role, "replicas": replicas}
    if role == "server":
        group["service"] = None
    if declared is not None:
        group["conntrack"] = declared
    if configured is not None:
        group["localPortRange"] = configured
    parsed = parse_settings(config_of(agentGroups=[group])).agent_groups[0]
    assert (
        local_port_range_sysctl(
            parsed.role, parsed.replicas, parsed.conntrack, parsed.local_port_range
        )
        == expected
    )
