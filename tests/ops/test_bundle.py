"""`ops logs` collect() against a fake Kubernetes API served on 127.0.0.1 by the real client."""

from __future__ import annotations

import json
import tarfile
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ops.bundle import collect, parse_since
from ops.errors import UsageError
from ops.kube import core_api
from tests.ops.conftest import SERVER_TAGS, make_stack
from tests.ops.fake_kube import FakeKube, node_json, pod_json

NOW = datetime(2026, 11, 30, 1, 2, 3, tzinfo=UTC)
NAME = "cyperf-logs-east-west-20261130T010203Z"


def text(body: str) -> Any:
    return lambda: iter([body.encode()])


def populate(kube: FakeKube) -> None:
    kube.pods = [
        pod_json("client-a", "client", "10.244.0.1", "node-c1"),
        pod_json("client-b", "client", "10.244.0.2", "node-c2", restarts=2),
        pod_json(
            "server-a",
            "server",
            "10.244.0.3",
            "node-s1",
            containers=("cyperf-agent-server",),
            tags=SERVER_TAGS,
            node_selector={"agenttype": "server"},
        ),
        pod_json("elsewhere", "client", "10.244.0.9", "node-c1", namespace="other"),
    ]
    kube.nodes = [
        node_json("node-c1", {"agenttype": "client"}),
        node_json("node-c2", {"agenttype": "client"}),
        node_json("node-c3", {"agenttype": "client"}),  # eligible, no agent yet
        node_json("node-s1", {"agenttype": "server"}),
        node_json("node-x", {}),  # not an agent node
    ]
    kube.events = [
        {
            "metadata": {"name": "e2", "namespace": "cyperf"},
            "lastTimestamp": "2026-11-30T01:00:02Z",
            "reason": "Started",
            "involvedObject": {},
        },
        {
            "metadata": {"name": "e1", "namespace": "cyperf"},
            "lastTimestamp": "2026-11-30T01:00:01Z",
            "reason": "Scheduled",
            "involvedObject": {},
        },
        {
            "metadata": {"name": "e3", "namespace": "other"},
            "lastTimestamp": "2026-11-30T01:00:00Z",
            "reason": "x",
            "involvedObject": {},
        },
    ]
    kube.logs = {
        ("client-a", "cyperf-agent-client", False): text("client a line 1\nclient a line 2\n"),
        ("client-b", "cyperf-agent-client", False): text("client b now\n"),
        ("client-b", "cyperf-agent-client", True): text("client b before the restart\n"),
        ("server-a", "cyperf-agent-server", False): text("server a\n"),
    }


def read_bundle(path: Path) -> dict[str, bytes]:
    with tarfile.open(path) as tar:
        return {
            m.name.removeprefix(f"{NAME}/"): tar.extractfile(m).read()  # type: ignore[union-attr]
            for m in tar.getmembers()
        }


def test_bundle_holds_logs_pods_events_nodes_outputs_and_an_index(
    kube: FakeKube, tmp_path: Path
) -> None:
    populate(kube)
    stack = make_stack(kube.url)
    result = collect(stack, core_api(stack), out_dir=tmp_path, now=NOW)
    assert result.path == tmp_path / f"{NAME}.tar.gz" and result.failed == []
    assert (result.pods, result.logs) == (3, 4)
    assert not list(tmp_path.glob("*.part"))
    files = read_bundle(result.path)
    assert files["pods/client-a/cyperf-agent-client.log"] == b"client a line 1\nclient a line 2\n"
    assert files["pods/client-b/cyperf-agent-client.log"] == b"client b now\n"
    assert (
        files["pods/client-b/cyperf-agent-client.previous.log"] == b"client b before the restart\n"
    )
    assert files["pods/server-a/cyperf-agent-server.log"] == b"server a\n"
    assert "pods/client-a/cyperf-agent-client.previous.log" not in files
    pod = json.loads(files["pods/client-b/pod.json"])
    assert pod["status"]["podIP"] == "10.244.0.2" and "managedFields" not in pod["metadata"]
    assert [e["metadata"]["name"] for e in json.loads(files["events.json"])] == ["e1", "e2"]
    nodes = json.loads(files["nodes.json"])
    assert [n["name"] for n in nodes] == ["node-c1", "node-c2", "node-c3", "node-s1"]
    assert nodes[0]["agentPods"] == ["client-a"] and nodes[2]["agentPods"] == []
    assert nodes[0]["kernelVersion"] == "6.1.0-test"
    assert nodes[0]["containerRuntimeVersion"] == "containerd://2.0.0"
    assert nodes[0]["taints"] == [{"key": "agenttype", "value": "client", "effect": "NoSchedule"}]
    assert nodes[0]["capacity"] == {"cpu": "8", "memory": "16Gi"}
    assert nodes[0]["conditions"][0]["reason"] == "KubeletReady"
    outputs = json.loads(files["stack/outputs.json"])
    assert outputs["serverPodIps"] == ["10.244.0.4"]
    index = json.loads(files["index.json"])
    assert index["failed"] == [] and index["namespace"] == "cyperf"
    by_pod = {p["name"]: p for p in index["pods"]}
    assert by_pod["client-a"]["logs"]["cyperf-agent-client"]["previous"] is None
    assert by_pod["client-b"]["logs"]["cyperf-agent-client"]["previous"] == (
        "pods/client-b/cyperf-agent-client.previous.log"
    )
    # every file the index points at is in the archive
    pointed = [p["pod"] for p in index["pods"]] + [
        path
        for p in index["pods"]
        for logs in p["logs"].values()
        for path in (logs["current"], logs["previous"])
        if path
    ]
    assert set(pointed) <= set(files)
    # no secret of the stack reaches the archive (the kubeconfig carries a bearer token)
    assert not any(b"kube-token-for-tests" in body for body in files.values())


def test_group_subset_since_and_failures_are_recorded(kube: FakeKube, tmp_path: Path) -> None:
    populate(kube)
    del kube.logs[("client-a", "cyperf-agent-client", False)]
    del kube.logs[("client-b", "cyperf-agent-client", True)]  # kubelet dropped it: a note
    stack = make_stack(kube.url)
    result = collect(
        stack, core_api(stack), groups=["client"], since_seconds=600, out_dir=tmp_path, now=NOW
    )
    assert result.pods == 2 and result.logs == 1
    assert result.failed == [
        {
            "item": "pods/client-a/cyperf-agent-client.log",
            "error": "400 container cyperf-agent-client is not valid for pod client-a",
        }
    ]
    index = json.loads(read_bundle(result.path)["index.json"])
    assert index["groups"] == ["client"] and index["since"] == "600s"
    assert [n["item"] for n in index["notes"]] == ["pods/client-b/cyperf-agent-client.previous.log"]
    assert index["failed"] == result.failed
    assert all(q["sinceSeconds"] == ["600"] for q in kube.log_queries)


def test_an_enormous_log_is_streamed_not_held_in_memory(kube: FakeKube, tmp_path: Path) -> None:
    line = b"x" * 1023 + b"\n"
    megabytes = 48

    def huge() -> Iterator[bytes]:
        for _ in range(megabytes):
            yield line * 1024

    kube.pods = [pod_json("client-a", "client", "10.244.0.1", "node-c1")]
    kube.logs = {("client-a", "cyperf-agent-client", False): huge}
    stack = make_stack(kube.url)
    core = core_api(stack)
    tracemalloc.start()
    try:
        result = collect(stack, core, out_dir=tmp_path, now=NOW)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.failed == []
    with tarfile.open(result.path) as tar:
        member = tar.getmember(f"{NAME}/pods/client-a/cyperf-agent-client.log")
        assert member.size == megabytes * 1024 * 1024
    assert peak < 8 * 1024 * 1024, f"peak traced memory {peak} bytes for a {megabytes} MiB log"


def test_logs_in_flight_never_exceed_the_concurrency(kube: FakeKube, tmp_path: Path) -> None:
    kube.pods = [pod_json(f"client-{i}", "client", f"10.244.0.{i}", "node-c1") for i in range(12)]
    kube.logs = {
        (f"client-{i}", "cyperf-agent-client", False): text(f"log {i}\n") for i in range(12)
    }
    kube.log_delay = 0.1
    stack = make_stack(kube.url)
    result = collect(stack, core_api(stack), out_dir=tmp_path, concurrency=3, now=NOW)
    assert result.logs == 12
    assert kube.max_in_flight == 3
    files = read_bundle(result.path)
    assert all(
        files[f"pods/client-{i}/cyperf-agent-client.log"] == f"log {i}\n".encode()
        for i in range(12)
    )


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("15m", 900), ("2h", 7200), ("1h30m", 5400)]
)
def test_since(text: str, seconds: int) -> None:
    assert parse_since(text) == seconds


@pytest.mark.parametrize("text", ["", "0s", "10", "1d", "-5m", "5 m"])
def test_since_refused(text: str) -> None:
    with pytest.raises(UsageError, match=f"--since: a positive duration .*got '{text}'"):
        parse_since(text)


def test_concurrency_bounds(kube: FakeKube, tmp_path: Path) -> None:
    stack = make_stack(kube.url)
    with pytest.raises(UsageError, match=r"--concurrency: 1 to 16 \(got 17\)"):
        collect(stack, core_api(stack), out_dir=tmp_path, concurrency=17)


def test_an_interrupted_collection_leaves_no_partial_bundle(
    kube: FakeKube, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    populate(kube)

    def interrupted(*args: Any) -> Iterator[Any]:
        raise KeyboardInterrupt
        yield

    monkeypatch.setattr("ops.bundle.fetch_logs", interrupted)
    stack = make_stack(kube.url)
    with pytest.raises(KeyboardInterrupt):
        collect(stack, core_api(stack), out_dir=tmp_path, now=NOW)
    assert list(tmp_path.iterdir()) == []
