"""`ops verify`'s pure logic: the per-group report from the pods and the controller's agents
(match), the tags it compares, and the summary lines it prints."""

from __future__ import annotations

from ops.pods import AgentPod, agent_pod
from ops.verify import ControllerAgent, match, parse_tags, summary_lines
from tests.ops.conftest import CLIENT_TAGS, SERVER_TAGS
from tests.ops.fake_kube import pod_json

TAGS = {"client": CLIENT_TAGS, "server": SERVER_TAGS}


def agent(
    ip: str | None, tags: str = CLIENT_TAGS, offline: bool = False, id: str = ""
) -> ControllerAgent:
    return ControllerAgent(id or f"agent-{ip}", ip, tuple(parse_tags(tags)), offline, None, None)


def client_pod(name: str, ip: str | None, ready: bool = True) -> AgentPod:
    return agent_pod(pod_json(name, "client", ip, "n1" if ip else None, ready=ready))


def test_registered_missing_offline_mistagged_and_extras_per_group() -> None:
    pods = [
        client_pod("c-ok", "10.0.0.1"),
        client_pod("c-offline", "10.0.0.2"),
        client_pod("c-mistagged", "10.0.0.3"),
        client_pod("c-missing", "10.0.0.4"),
        client_pod("c-pending", None, ready=False),
        agent_pod(pod_json("s-ok", "server", "10.0.1.1", "n2", tags=SERVER_TAGS)),
    ]
    agents = [
        agent("10.0.0.1"),
        agent("10.0.0.2", offline=True),
        agent("10.0.0.3", tags="K8s-Group=CyPerf-Agent-Client"),
        agent("10.0.1.1", tags=SERVER_TAGS),
        agent("10.9.9.9", offline=True, id="stale"),  # a deleted pod's agent, same tags
        agent("10.9.9.8", tags="other=tag", id="unrelated"),
    ]
    report = match(pods, agents, TAGS)
    client, server = report.groups["client"], report.groups["server"]
    assert [r["pod"] for r in client.registered] == ["c-ok"]
    assert [r["pod"] for r in client.offline] == ["c-offline"]
    assert [(r["pod"], r["missingTags"]) for r in client.mistagged] == [
        ("c-mistagged", ["node-owner=User"])
    ]
    assert [(r["pod"], r["reason"]) for r in client.missing] == [
        ("c-missing", "no agent with management IP 10.0.0.4"),
        ("c-pending", "pod has no IP yet (phase Pending)"),
    ]
    assert [e["agentId"] for e in client.extras] == ["stale"]
    assert client.expected_tags == ["K8s-Group=CyPerf-Agent-Client", "node-owner=User"]
    assert [r["pod"] for r in server.registered] == ["s-ok"]
    assert server.problems == 0 and server.extras == []
    assert not report.ok and report.waiting_for == 4
    lines = summary_lines(report)
    assert lines[0].startswith("client: 1/5 registered, 2 missing, 1 offline, 1 mistagged, 1 extra")
    assert "  missing   c-missing: no agent with management IP 10.0.0.4" in lines


def test_a_restarted_pod_with_a_stale_offline_agent_on_the_same_ip_is_registered() -> None:
    pods = [client_pod("c", "10.0.0.1")]
    report = match(
        pods, [agent("10.0.0.1", offline=True, id="old"), agent("10.0.0.1", id="new")], TAGS
    )
    assert report.ok
    assert report.groups["client"].registered[0]["agentId"] == "new"


def test_management_ip_with_prefix_length_matches_the_pod_ip() -> None:
    report = match([client_pod("c", "10.0.0.1")], [agent("10.0.0.1/24")], TAGS)
    assert report.ok


def test_group_without_stack_output_uses_the_pods_agent_tags() -> None:
    pods = [client_pod("c", "10.0.0.1")]
    report = match(pods, [agent("10.0.0.1", tags="K8s-Group=CyPerf-Agent-Client")], {})
    assert report.groups["client"].mistagged[0]["missingTags"] == ["node-owner=User"]


def test_group_filter_and_a_group_without_pods() -> None:
    report = match([], [agent("10.0.0.1")], TAGS, groups=["client"])
    assert list(report.groups) == ["client"]
    assert report.ok  # no pods (replicas 0): nothing to wait for
    assert [e["agentId"] for e in report.groups["client"].extras] == ["agent-10.0.0.1"]


def test_tags_parse_sorted_without_blanks() -> None:
    assert parse_tags(" b=2, a=1,,") == ["a=1", "b=2"]
    assert parse_tags(None) == parse_tags("") == []


def test_summary_lines_name_each_problem_pod_and_extra_agent() -> None:
    pods = [client_pod("c-offline", "10.0.0.2"), client_pod("c-mistagged", "10.0.0.3")]
    agents = [
        agent("10.0.0.2", offline=True),
        agent("10.0.0.3", tags="K8s-Group=CyPerf-Agent-Client"),
        agent("10.9.9.9", id="stale"),
    ]
    report = match(pods, agents, TAGS, groups=["client"])
    assert summary_lines(report) == [
        "client: 0/2 registered, 0 missing, 1 offline, 1 mistagged, 1 extra with the group's tags "
        "(K8s-Group=CyPerf-Agent-Client,node-owner=User)",
        "  offline   c-offline (10.0.0.2): agent agent-10.0.0.2",
        "  mistagged c-mistagged (10.0.0.3): agent agent-10.0.0.3 lacks node-owner=User",
        "  extra     agent stale at 10.9.9.9 (online)",
    ]
    extra = report.groups["client"].as_json()["extras"][0]
    assert (extra["agentId"], extra["offline"], extra["tags"]) == (
        "stale",
        False,
        CLIENT_TAGS.split(","),
    )
