"""The stack's agent pods as the cluster reports them: parsed from the pod objects (containers,
restarts, readiness, AGENT_TAGS), listed per group through the real client against the fake
API, and `--group` checked against the stack's groups."""

from __future__ import annotations

import re
from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException

from ops.errors import OpsError, UsageError
from ops.kube import core_api
from ops.pods import AgentPod, Container, agent_pod, check_groups, list_agent_pods, shortfalls
from tests.ops.conftest import SERVER_TAGS, make_stack
from tests.ops.fake_kube import FakeKube, pod_json


def test_a_pod_object_becomes_an_agent_pod() -> None:
    raw = pod_json(
        "server-1",
        "server",
        "10.244.0.3",
        "node-s1",
        containers=("cyperf-agent-server",),
        restarts=2,
        tags=SERVER_TAGS,
        node_selector={"agenttype": "server"},
    )
    raw["spec"]["initContainers"] = [
        {"name": "wait", "image": "busybox", "env": [{"name": "AGENT_TAGS", "value": "init"}]}
    ]
    raw["status"]["initContainerStatuses"] = [{"name": "wait", "restartCount": 0}]
    pod = agent_pod(raw)
    assert (pod.name, pod.group, pod.ip, pod.phase, pod.ready, pod.node) == (
        "server-1",
        "server",
        "10.244.0.3",
        "Running",
        True,
        "node-s1",
    )
    assert pod.node_selector == {"agenttype": "server"}
    # The kubelet keeps the previous log of a container that restarted.
    assert pod.containers == (
        Container("wait", init=True, restart_count=0, has_previous=False),
        Container("cyperf-agent-server", init=False, restart_count=2, has_previous=True),
    )
    # AGENT_TAGS as the agent container was deployed with, never an init container's.
    assert pod.tags_env == SERVER_TAGS
    # The bundle stores `raw`: without the managedFields noise, the caller's object untouched.
    assert "managedFields" not in pod.raw["metadata"]
    assert "managedFields" in raw["metadata"]


def test_a_terminated_container_without_restarts_has_a_previous_log() -> None:
    raw = pod_json("client-1", "client", "10.244.0.1", "n1")
    raw["status"]["containerStatuses"][0]["lastState"] = {"terminated": {"exitCode": 137}}
    (container,) = agent_pod(raw).containers
    assert (container.restart_count, container.has_previous) == (0, True)


def test_a_pod_the_scheduler_has_not_placed_yet() -> None:
    pending = agent_pod(pod_json("client-2", "client", None, None, ready=False))
    assert (pending.ip, pending.node, pending.phase, pending.ready) == (
        None,
        None,
        "Pending",
        False,
    )
    bare: dict[str, Any] = {"metadata": {"name": "bare"}}
    assert agent_pod(bare) == AgentPod(
        name="bare",
        group="",
        ip=None,
        phase="Unknown",
        ready=False,
        node=None,
        node_selector={},
        containers=(),
        tags_env=None,
        raw={"metadata": {"name": "bare"}},
    )


def test_listing_selects_the_agent_pods_of_the_namespace_and_groups(kube: FakeKube) -> None:
    kube.pods = [
        pod_json("server-1", "server", "10.244.0.3", "n2"),
        pod_json("client-2", "client", "10.244.0.2", "n1"),
        pod_json("client-1", "client", "10.244.0.1", "n1"),
        pod_json("probe", "probe", "10.244.0.9", "n1"),
        pod_json("elsewhere", "client", "10.244.0.8", "n1", namespace="other"),
    ]
    kube.pods[3]["metadata"]["labels"]["app"] = "not-an-agent"
    core = core_api(make_stack(kube.url))
    listed = list_agent_pods(core, "cyperf")
    assert [(p.group, p.name) for p in listed] == [
        ("client", "client-1"),
        ("client", "client-2"),
        ("server", "server-1"),
    ]
    assert [p.name for p in list_agent_pods(core, "cyperf", ["server", "server"])] == ["server-1"]


def test_listing_errors_name_the_namespace_and_status_not_the_response() -> None:
    class Forbidden:
        def list_namespaced_pod(self, *args: Any, **kwargs: Any) -> Any:
            raise ApiException(status=403, reason="Forbidden")

    with pytest.raises(OpsError) as raised:
        list_agent_pods(Forbidden(), "perf")
    assert raised.value.cause == "cannot list pods in namespace 'perf': 403 Forbidden"
    assert (
        raised.value.fix is not None and "kubectl auth can-i list pods -n perf" in raised.value.fix
    )


def test_an_unreachable_api_server_is_said_so() -> None:
    core = core_api(make_stack("http://127.0.0.1:9"))  # discard port: nothing listens
    with pytest.raises(OpsError) as raised:
        list_agent_pods(core, "cyperf")
    assert re.fullmatch(r"cannot reach the cluster's API server: \w+", raised.value.cause)


def test_requested_groups_are_checked_against_the_stacks_groups() -> None:
    assert check_groups(["server", "client", "server"], ["client", "server"]) == [
        "client",
        "server",
    ]
    assert check_groups([], ["client"]) == []
    with pytest.raises(UsageError) as refused:
        check_groups(["client", "typo"], ["server", "client"])
    assert str(refused.value) == (
        "--group: one of the stack's agent groups ['client', 'server'] (got ['typo'])"
    )
    # A stack without the agentTags output names no groups: nothing to check against.
    assert check_groups(["anything"], []) == ["anything"]


def test_shortfalls_name_each_group_with_fewer_live_pods_than_deployed() -> None:
    evicted = pod_json("client-2", "client", None, "n1")
    evicted["status"].update(phase="Failed", reason="Evicted")
    pods = [agent_pod(pod_json("client-1", "client", "10.0.0.1", "n1")), agent_pod(evicted)]
    replicas = {"client": 2, "server": 1}
    assert shortfalls(replicas, pods, []) == [
        {"item": "pods of group client", "error": "1 of the 2 the stack deployed"},
        {"item": "pods of group server", "error": "0 of the 1 the stack deployed"},
    ]
    assert shortfalls(replicas, pods, ["server"]) == [
        {"item": "pods of group server", "error": "0 of the 1 the stack deployed"}
    ]
    assert shortfalls({"client": 1}, pods, []) == []
