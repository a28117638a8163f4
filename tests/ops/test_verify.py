"""`ops verify`'s pure logic: the per-group report from the pods and the controller's agents
(match), the tags it compares, and the summary lines it prints."""

from __future__ import annotations

from typing import Any

from ops.pods import AgentPod, agent_pod
from ops.verify import ControllerAgent, match, parse_tags, stack_tag, summary_lines
from tests.ops.conftest import CLIENT_TAGS, SERVER_TAGS
from tests.ops.fake_kube import pod_json

TAGS = {"client": CLIENT_TAGS, "server": SERVER_TAGS}


def agent(
    ip: str | None, tags: str = CLIENT_TAGS, offline: bool = False, id: str = "", **extra: Any
) -> ControllerAgent:
    return ControllerAgent(
        id or f"agent-{ip}",
        ip,
        tuple(parse_tags(tags)),
        offline,
        None,
        extra.pop("host", None),
        **extra,
    )


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
        ("c-missing", "no agent with management IP 10.0.0.4 or hostname c-missing"),
        ("c-pending", "pod has no IP yet (phase Pending)"),
    ]
    assert [e["agentId"] for e in client.extras] == ["stale"]
    assert client.expected_tags == ["K8s-Group=CyPerf-Agent-Client", "node-owner=User"]
    assert [r["pod"] for r in server.registered] == ["s-ok"]
    assert server.problems == 0 and server.extras == []
    # a mistagged agent stays mistagged: only the 2 missing and the offline one are waited for
    assert not report.ok and report.waiting_for == 3
    lines = summary_lines(report)
    assert lines[0].startswith(
        "client: 1/5 registered, 2 missing, 1 offline, 1 mistagged, 0 blocked, 1 extra"
    )
    assert (
        "  missing   c-missing: no agent with management IP 10.0.0.4 or hostname c-missing"
    ) in lines


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
        "client: 0/2 registered, 0 missing, 1 offline, 1 mistagged, 0 blocked, 1 extra with the "
        "group's tags (K8s-Group=CyPerf-Agent-Client,node-owner=User)",
        "  offline   c-offline (10.0.0.2): agent agent-10.0.0.2",
        "  mistagged c-mistagged (10.0.0.3): agent agent-10.0.0.3 lacks node-owner=User; it has "
        "K8s-Group=CyPerf-Agent-Client",
        "  extra     agent stale at 10.9.9.9 (online)",
    ]
    extra = report.groups["client"].as_json()["extras"][0]
    assert (extra["agentId"], extra["offline"], extra["tags"]) == (
        "stale",
        False,
        CLIENT_TAGS.split(","),
    )


def test_the_management_interface_ips_match_when_the_agent_ip_is_another_one() -> None:
    # Before: only `IP` was compared, so this pod was missing and its agent an extra.
    found = agent("192.168.7.1", mgmt_ips=("10.0.0.1/24", "fd00::1"))
    report = match([client_pod("c", "10.0.0.1")], [found], TAGS)
    assert report.ok and report.groups["client"].extras == []
    assert report.groups["client"].registered[0]["matchedBy"] == "ip"


def test_the_hostname_finds_an_agent_behind_nat_and_says_so() -> None:
    behind_nat = agent("203.0.113.5", host="c-1")
    report = match([client_pod("c-1", "10.0.0.1")], [behind_nat], TAGS)
    (entry,) = report.groups["client"].registered
    assert entry["matchedBy"] == "hostname"
    assert entry["notes"] == ["IP differs (agent 203.0.113.5): NAT?"]
    assert report.ok and report.groups["client"].extras == []
    assert "  note      c-1: IP differs (agent 203.0.113.5): NAT?" in summary_lines(report)


def test_two_stacks_with_the_same_pod_ips_never_match_each_others_agents() -> None:
    # Same pod CIDR, same default tags, one controller: only the stack tag tells them apart.
    ours = f"{CLIENT_TAGS},{stack_tag('lab-1', 'client')}"
    theirs = f"{CLIENT_TAGS},{stack_tag('lab-2', 'client')}"
    other_stack_agent = agent("10.0.0.1", tags=theirs, id="theirs")
    report = match(
        [client_pod("c", "10.0.0.1")], [other_stack_agent], {"client": ours}, stack="lab-1"
    )
    client = report.groups["client"]
    assert [m["pod"] for m in client.missing] == ["c"]
    assert client.extras == []  # nor is their agent one of our extras
    report = match(
        [client_pod("c", "10.0.0.1")],
        [other_stack_agent, agent("10.0.0.1", tags=ours, id="ours")],
        {"client": ours},
        stack="lab-1",
    )
    assert report.groups["client"].registered[0]["agentId"] == "ours"


def test_the_stack_tag_is_the_programs() -> None:
    assert stack_tag("lab-1.eu", "client") == "cyperf-k8s=lab-1.eu.client"
    # a dotted stack name still owns its agents
    assert not agent("10.0.0.1", tags=stack_tag("lab-1.eu", "client")).foreign_to("lab-1.eu")


def test_a_mistagged_agent_shows_its_actual_tags() -> None:
    report = match([client_pod("c", "10.0.0.1")], [agent("10.0.0.1", tags="x=1")], TAGS)
    (entry,) = report.groups["client"].mistagged
    assert entry["actualTags"] == ["x=1"]
    assert entry["missingTags"] == ["K8s-Group=CyPerf-Agent-Client", "node-owner=User"]
    assert report.waiting_for == 0  # waiting does not retag an agent


def test_pods_that_will_never_register_are_reported_with_the_kubelets_reason() -> None:
    unschedulable = pod_json("c-pending", "client", None, None, ready=False)
    unschedulable["status"]["conditions"].append(
        {
            "type": "PodScheduled",
            "status": "False",
            "reason": "Unschedulable",
            "message": "0/3 nodes are available: 3 node(s) didn't match node selector.",
        }
    )
    pulling = pod_json("c-image", "client", "10.0.0.2", "n1", ready=False)
    pulling["status"]["containerStatuses"][0]["state"] = {
        "waiting": {"reason": "ImagePullBackOff", "message": "Back-off pulling image agent"}
    }
    evicted = pod_json("c-evicted", "client", None, "n1", ready=False)
    evicted["status"].update(
        phase="Failed", reason="Evicted", message="The node was low on resource: memory."
    )
    terminating = pod_json("c-old", "client", "10.0.0.9", "n1")
    terminating["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    pods = [agent_pod(p) for p in (unschedulable, pulling, evicted, terminating)]
    report = match([*pods, client_pod("c-ok", "10.0.0.1")], [agent("10.0.0.1")], TAGS)
    client = report.groups["client"]
    assert [(b["pod"], b["reason"]) for b in client.blocked] == [
        (
            "c-pending",
            "Unschedulable: 0/3 nodes are available: 3 node(s) didn't match node selector.",
        ),
        ("c-image", "cyperf-agent-client ImagePullBackOff: Back-off pulling image agent"),
    ]
    assert [(g["pod"], g["reason"]) for g in client.gone] == [
        ("c-evicted", "Evicted: The node was low on resource: memory."),
        ("c-old", "terminating since 2026-01-01T00:00:00Z"),
    ]
    # Before: all five counted as expected and verify waited the full --wait for them.
    assert not report.ok and report.waiting_for == 0
    assert client.live == 3


def test_fewer_pods_than_the_stack_deployed_fail() -> None:
    # Before: an empty namespace (another cluster's context) passed as 0/0 registered.
    report = match([], [], TAGS, replicas={"client": 2, "server": 1})
    assert not report.ok
    assert (report.groups["client"].short, report.groups["server"].short) == (2, 1)
    assert report.waiting_for == 3
    lines = summary_lines(report)
    assert lines[0].startswith("client: 0/2 of 2 registered")
    assert "  short     2 pod(s): the stack deployed 2, the cluster has 0" in lines[1]
    enough = match(
        [client_pod("c", "10.0.0.1")], [agent("10.0.0.1")], TAGS, ["client"], replicas={"client": 1}
    )
    assert enough.ok


def test_busy_and_outdated_agents_are_noted_not_failed() -> None:
    busy = agent(
        "10.0.0.1", session="other-team-test", requires_updating=True, ntp_status="unsynced"
    )
    report = match([client_pod("c", "10.0.0.1")], [busy], TAGS)
    assert report.ok
    (entry,) = report.groups["client"].registered
    assert entry["notes"] == [
        "busy in session other-team-test",
        "requires updating (not the controller's recommended version)",
    ]
    assert entry["ntpStatus"] == "unsynced" and entry["session"] == "other-team-test"
