"""`doctor`'s pure checks: each verdict from the object shapes the API serves, each failing case
with its fix."""

from __future__ import annotations

from typing import Any

import pytest

from ops import checks
from ops.pods import AgentPod, agent_pod
from tests.ops.fake_kube import node_json, pod_json


def test_pulumi_cli_found_or_not() -> None:
    assert checks.pulumi_cli(lambda _: "/usr/bin/pulumi").level == "PASS"
    missing = checks.pulumi_cli(lambda _: None)
    assert missing.level == "FAIL" and "install the Pulumi CLI" in missing.fix


@pytest.mark.parametrize(
    ("error", "fix"),
    [
        ("incorrect passphrase", "PULUMI_CONFIG_PASSPHRASE"),
        ("error: PULUMI_ACCESS_TOKEN must be set for login", "pulumi login"),
        ("no stack named 'x' found", "make up STACK=x"),
    ],
)
def test_stack_read_failure_names_its_fix(error: str, fix: str) -> None:
    check = checks.stack_read("x", error)
    assert check.level == "FAIL" and check.detail == error and fix in check.fix


def test_cluster_warns_when_the_context_is_not_pinned() -> None:
    assert checks.cluster("https://k:6443", "kind", True).level == "PASS"
    check = checks.cluster("https://k:6443", None, False)
    assert check.level == "WARN" and "cyperf-k8s:kubeContext" in check.fix


def test_namespace_missing_unlabelled_too_strict_or_privileged() -> None:
    assert checks.namespace("cyperf", {}, exists=False).level == "FAIL"
    assert checks.namespace("cyperf", {}, exists=True).level == "WARN"
    strict = checks.namespace("cyperf", {"pod-security.kubernetes.io/enforce": "baseline"}, True)
    assert strict.level == "FAIL" and "enforce=privileged" in strict.fix
    ok = checks.namespace("cyperf", {"pod-security.kubernetes.io/enforce": "privileged"}, True)
    assert ok.level == "PASS"


def client_pod(memory: str | None = "2Gi", **kwargs: Any) -> AgentPod:
    raw = pod_json("client-1", "client", "10.0.0.1", "node-c1", **kwargs)
    if memory:
        raw["spec"]["containers"][0]["resources"] = {"requests": {"memory": memory}}
    return agent_pod(raw)


def test_agent_nodes_labelled_ready_and_with_room() -> None:
    node = node_json("node-c1", {"agenttype": "client"})  # 15Gi allocatable
    assert checks.agent_nodes("client", [client_pod()], [node]).level == "PASS"
    unlabelled = checks.agent_nodes("client", [client_pod()], [node_json("n", {})])
    assert unlabelled.level == "FAIL" and "kubectl label node <node> agenttype=client" in (
        unlabelled.fix
    )
    too_big = checks.agent_nodes("client", [client_pod("32Gi")], [node])
    assert too_big.level == "FAIL" and "allocatable memory" in too_big.detail
    node["status"]["conditions"] = [{"type": "Ready", "status": "False"}]
    assert "is Ready" in checks.agent_nodes("client", [client_pod()], [node]).detail
    assert checks.agent_nodes("client", [], [node]).level == "SKIP"


def test_scheduling_reports_the_schedulers_message() -> None:
    assert checks.scheduling([]).level == "FAIL"
    raw = pod_json("client-2", "client", None, None, ready=False)
    raw["status"]["conditions"] = [
        {
            "type": "PodScheduled",
            "status": "False",
            "reason": "Unschedulable",
            "message": "0/3 nodes are available: 3 node(s) didn't match node selector.",
        }
    ]
    check = checks.scheduling([client_pod(), agent_pod(raw)])
    assert check.level == "FAIL"
    assert (
        check.detail == "client-2: 0/3 nodes are available: 3 node(s) didn't match node selector."
    )
    assert checks.scheduling([client_pod()]).level == "PASS"


def test_containers_image_pull_and_crash_loop() -> None:
    pulling = pod_json("client-1", "client", "10.0.0.1", "n1", ready=False)
    pulling["status"]["containerStatuses"][0]["state"] = {
        "waiting": {"reason": "ImagePullBackOff", "message": "Back-off pulling image"}
    }
    crashing = pod_json("client-2", "client", "10.0.0.2", "n2", ready=False)
    crashing["status"]["containerStatuses"][0]["state"] = {
        "waiting": {"reason": "CrashLoopBackOff"}
    }
    image, running = checks.containers([agent_pod(pulling), agent_pod(crashing)])
    assert image.level == "FAIL" and image.detail.startswith("client-1: ImagePullBackOff")
    assert running.level == "FAIL" and running.detail.startswith("client-2: CrashLoopBackOff")
    assert [c.level for c in checks.containers([client_pod()])] == ["PASS", "PASS"]


def test_conntrack_headroom_from_the_last_line_of_the_fullest_node() -> None:
    quiet = "nf_conntrack_count=10 nf_conntrack_max=1000 target_max=1000\n"
    busy = (
        "nf_conntrack_count=10 nf_conntrack_max=1000 target_max=1000\n"
        "raised nf_conntrack_max from 1000 to 2000\n"
        "nf_conntrack_count=1900 nf_conntrack_max=2000 target_max=2000\n"
    )
    check = checks.conntrack({"tuning-a": quiet, "tuning-b": busy})
    assert check.level == "WARN" and check.detail == "fullest table 1900/2000 (95%) on tuning-b"
    assert checks.conntrack({"tuning-a": quiet}).level == "PASS"
    assert checks.conntrack({}).level == "SKIP"
    assert checks.conntrack({"tuning-a": "starting\n"}).level == "SKIP"
    assert checks.conntrack({}, "403 Forbidden").level == "WARN"
