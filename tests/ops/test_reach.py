"""The reachability probe: which ports it tests, the pod it creates (placement copied from an
agent, no privilege), its script run for real against a 127.0.0.1 listener, the verdict, and the
create-wait-judge-remove cycle against the fake Kubernetes API.

What only reasoning covers: busybox's `nc -z -w` inside the image behaves like the stand-in below
(exit 0 once the TCP handshake completes; busybox networking/nc_bloaty.c), and a pod on an agent
node has the agents' network path to the controller (same node, same pod network)."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from components.conntrack.daemonset import NODE_TUNING_IMAGE
from ops.pods import agent_pod
from ops.reach import PROBE_SCRIPT, probe_name, probe_pod, run_probe, target, verdict
from tests.ops.fake_kube import FakeKube, kubeconfig, pod_json

NC_STAND_IN = """#!/bin/bash
# stands in for busybox `nc -z -w SEC HOST PORT`: exit 0 when the TCP connection opens
[ "$1" = -z ] && [ "$2" = -w ] || exit 2
exec timeout "$3" bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$4" "$5" 2>/dev/null
"""


def test_target_ports_follow_the_release_and_an_explicit_port() -> None:
    assert target("ctl.example.com", "repo/cyperf-agent:release26.0.0") == (
        "ctl.example.com",
        [443],
    )
    assert target("192.0.2.10", "repo/cyperf-agent:release2.6") == ("192.0.2.10", [443, 30422])
    assert target("https://10.0.0.5:8443", "a:release26.0.0") == ("10.0.0.5", [8443])
    assert target("10.0.0.5", "a@sha256:abc") == ("10.0.0.5", [443])


def agent() -> Any:
    raw = pod_json("client-1", "client", "10.244.0.1", "node-c1")
    raw["spec"]["tolerations"] = [{"key": "agenttype", "value": "client", "effect": "NoSchedule"}]
    raw["spec"]["containers"][0]["image"] = "repo/cyperf-agent:release26.0.0"
    return agent_pod(raw)


def test_probe_pod_is_placed_like_the_agent_and_holds_no_privilege() -> None:
    pod = probe_pod("client", agent(), "192.0.2.10", [443])
    spec = pod["spec"]
    assert pod["metadata"]["name"] == probe_name("client") == "cyperf-doctor-reach-client"
    assert "app" not in pod["metadata"]["labels"]  # never counted as an agent
    assert spec["nodeSelector"] == {"agenttype": "client"}
    assert spec["tolerations"] == [{"key": "agenttype", "value": "client", "effect": "NoSchedule"}]
    assert spec["restartPolicy"] == "Never" and spec["activeDeadlineSeconds"] == 120
    assert spec["automountServiceAccountToken"] is False
    assert spec["securityContext"]["runAsNonRoot"] is True
    (container,) = spec["containers"]
    assert container["image"] == NODE_TUNING_IMAGE
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["HOST"] == "192.0.2.10" and env["PORTS"] == "443"


@pytest.fixture
def listener() -> Iterator[int]:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # nothing listens once closed


def test_probe_script_against_a_local_listener(listener: int, tmp_path: Path) -> None:
    nc = tmp_path / "nc"
    nc.write_text(NC_STAND_IN)
    nc.chmod(0o755)
    closed = closed_port()
    env = {
        **os.environ,
        "PATH": f"{tmp_path}:{os.environ['PATH']}",
        "HOST": "127.0.0.1",
        "PORTS": f"{listener} {closed}",
        "CONNECT_SECONDS": "3",
    }
    done = subprocess.run(
        ["sh", "-c", PROBE_SCRIPT], env=env, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"reach 127.0.0.1:{listener} ok",
        f"reach 127.0.0.1:{closed} failed",
    ]
    check = verdict("client", "node-c1", done.stdout, [listener, closed])
    assert check.level == "FAIL" and f"port(s) [{closed}]" in check.detail
    assert verdict("client", "node-c1", done.stdout, [listener]).level == "PASS"


def test_verdict_without_a_result_line_warns() -> None:
    check = verdict("server", None, "sh: nc: not found\n", [443, 30422])
    assert check.level == "WARN" and "[443, 30422]" in check.detail


@pytest.fixture
def core(kube: FakeKube) -> Any:
    from kubernetes import config
    from kubernetes.client import CoreV1Api

    return CoreV1Api(config.new_client_from_config_dict(kubeconfig(kube.url)))


def test_run_probe_creates_judges_and_removes_the_pod(kube: FakeKube, core: Any) -> None:
    def kubelet(pod: dict[str, Any]) -> None:
        name = pod["metadata"]["name"]
        pod["spec"]["nodeName"] = "node-c1"
        pod["status"] = {"phase": "Succeeded"}
        kube.logs[(name, "probe", False)] = lambda: iter([b"reach 192.0.2.10:443 ok\n"])

    kube.on_create = kubelet
    check = run_probe(core, "cyperf", "client", agent(), "192.0.2.10", 10, lambda _: None, 0.05)
    assert (check.level, check.detail) == ("PASS", "from node node-c1: port(s) [443] open")
    assert kube.created == ["cyperf-doctor-reach-client"]
    assert kube.deleted == ["cyperf-doctor-reach-client"] and kube.pods == []


def test_run_probe_that_never_ends_warns_and_still_removes_the_pod(
    kube: FakeKube, core: Any
) -> None:
    check = run_probe(core, "cyperf", "client", agent(), "192.0.2.10", 0.3, lambda _: None, 0.05)
    assert check.level == "WARN" and "did not finish within 0s (phase Pending" in check.detail
    assert kube.deleted == ["cyperf-doctor-reach-client"] and kube.pods == []
