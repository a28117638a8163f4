"""The fake's session answers parse with the `cyperf` client's models, and its body check
refuses what the client's models refuse."""

from __future__ import annotations

from typing import Any

import pytest

from tests.ops.fake_sessions import check_partial, config_tree, model


def test_the_config_tree_is_an_appsec_config() -> None:
    from cyperf.models.appsec_config import AppsecConfig

    parsed: Any = AppsecConfig.from_dict(config_tree())
    profile = parsed.config.network_profiles[0]
    assert [s.name for s in profile.ip_network_segment] == ["IP Network 1", "IP Network 2"]
    assert profile.dut_network_segment[0].http_health_check.params[0].value == "/"


@pytest.mark.parametrize(
    ("cls", "body", "message"),
    [
        ("ip_network.IPNetwork", {"agentAssignment": {}}, "unknown field"),
        ("ip_network.IPNetwork", {"agentAssignments": {"ByTags": ["x"]}}, "keys the client"),
        ("ip_network.IPNetwork", {"DNSResolver": {"nameServers": [{"name": "dns"}]}}, "name"),
        ("dut_network.DUTNetwork", {"ServerDUTPort": "80"}, "server_dut_port"),
        ("dut_network.DUTNetwork", {"ServerDUTHost": "svc"}, "server_dut_host"),
        ("health_check_config.HealthCheckConfig", {"Enabled": "yes"}, "enabled"),
    ],
)
def test_check_partial_refuses(cls: str, body: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_partial(model(cls), body)


def test_check_partial_accepts_what_the_client_builds() -> None:
    check_partial(
        model("ip_network.IPNetwork"),
        {
            "agentAssignments": {"ByTag": ["cyperf-k8s=s.g"], "ByID": []},
            "DNSResolver": {"nameServers": [{"name": "10.96.0.10"}]},
        },
    )
    check_partial(model("dut_network.DUTNetwork"), {"ServerDUTHost": "a.b.svc.cluster.local"})
