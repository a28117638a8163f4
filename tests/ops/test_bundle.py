"""`ops logs` collect() against a fake Kubernetes API served on 127.0.0.1 by the real client."""

from __future__ import annotations

import io
import json
import tarfile
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import ops.stack
from ops.bundle import Extras, collect, parse_since
from ops.cli import main
from ops.errors import UsageError
from ops.kube import core_api
from tests.ops.conftest import SERVER_TAGS, make_stack
from tests.ops.fake_controller import FakeController, agent_json
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


def test_a_secret_env_value_never_reaches_the_bundle(kube: FakeKube, tmp_path: Path) -> None:
    # Before: pod.json held the `--secret` proxy URL in clear while outputs.json said [secret].
    proxy = "http://tester:pa55-proxy@proxy.example:3128"
    groups = [{"name": "client", "role": "client", "env": {"HTTPS_PROXY": proxy}}]
    populate(kube)
    secret_pod = kube.pods[0]
    secret_pod["spec"]["containers"][0]["env"].append({"name": "HTTPS_PROXY", "value": proxy})
    kube.logs[("client-a", "cyperf-agent-client", False)] = lambda: iter(
        [b"proxy http://tester:pa55-pro", b"xy@proxy.example:3128 up\nnext line\n"]
    )
    stack = make_stack(kube.url, **{"cyperf-k8s:agentGroups": (json.dumps(groups), True)})
    result = collect(stack, core_api(stack), out_dir=tmp_path, now=NOW)
    files = read_bundle(result.path)
    assert not any(b"pa55-proxy" in body for body in files.values())
    env = json.loads(files["pods/client-a/pod.json"])["spec"]["containers"][0]["env"]
    assert {"name": "HTTPS_PROXY", "value": "[secret]"} in env
    # split across two chunks, still found; the rest of the log is kept
    assert files["pods/client-a/cyperf-agent-client.log"] == b"proxy [secret] up\nnext line\n"


def test_must_gather_parts_timestamps_and_redaction(kube: FakeKube, tmp_path: Path) -> None:
    populate(kube)
    secret = "proxy-password-for-tests"
    kube.pods[0]["spec"]["containers"][0]["env"].append(
        {"name": "HTTPS_PROXY", "value": f"http://user:{secret}@proxy:3128"}
    )
    tuning = pod_json("tuning-x", "", None, "node-c1", containers=("conntrack-tuning",))
    tuning["metadata"]["labels"] = {"app.kubernetes.io/name": "cyperf-node-tuning"}
    proxy = pod_json("kube-proxy-a", "", None, "node-c1", namespace="kube-system")
    proxy["metadata"]["labels"] = {"k8s-app": "kube-proxy"}
    proxy["spec"]["containers"][0]["image"] = "registry.k8s.io/kube-proxy:v1.34.0"
    far = pod_json("kube-proxy-far", "", None, "node-x", namespace="kube-system")
    dns = pod_json("coredns-1", "", None, "node-c1", namespace="kube-system")
    kube.pods += [tuning, proxy, far, dns]
    kube.logs[("tuning-x", "conntrack-tuning", False)] = text(
        "2026-11-30T01:00:00Z nf_conntrack_count=5 nf_conntrack_max=10\n"
    )
    kube.logs[("kube-proxy-a", "cyperf-agent-client", False)] = text("proxy log\n")
    kube.objects = {
        "deployments": [
            {
                "metadata": {"name": "cyperf-agent-client", "namespace": "cyperf"},
                "spec": {"template": {"spec": {"containers": [{"name": "a", "env": [
                    {"name": "HTTPS_PROXY", "value": f"http://user:{secret}@proxy:3128"}
                ]}]}}, "selector": {}},
            }
        ],
        "services": [{"metadata": {"name": "cyperf-agent-service", "namespace": "cyperf"}}],
    }  # fmt: skip
    kube.events.append(
        {
            "metadata": {"name": "w1", "namespace": "cyperf"},
            "lastTimestamp": "2026-11-30T01:00:03Z",
            "type": "Warning",
            "reason": "BackOff",
            "message": "Back-off restarting failed container",
            "involvedObject": {"kind": "Pod", "name": "client-b"},
        }
    )
    stack = make_stack(kube.url, **{"cyperf-ops:controllerPassword": (secret, True)})
    agents = [{"agentId": "a1", "configuredProxy": f"http://user:{secret}@proxy:3128"}]
    result = collect(
        stack,
        core_api(stack),
        out_dir=tmp_path,
        now=NOW,
        extras=Extras(argv=("logs", "--stack", "east-west"), controller_agents=agents),
    )
    assert result.failed == []
    files = read_bundle(result.path)
    assert not any(secret.encode() in body for body in files.values())
    # the whole value the program registers secret is hidden (ops/redact.py), not only the part
    pod = json.loads(files["pods/client-a/pod.json"])
    assert pod["spec"]["containers"][0]["env"][-1]["value"] == "[secret]"
    assert json.loads(files["controller/agents.json"])[0]["configuredProxy"] == "[secret]"
    deployments = json.loads(files["namespace/deployments.json"])
    assert [d["metadata"]["name"] for d in deployments] == ["cyperf-agent-client"]
    template = deployments[0]["spec"]["template"]["spec"]["containers"][0]
    assert template["env"] == [{"name": "HTTPS_PROXY", "value": "[secret]"}]
    assert json.loads(files["namespace/services.json"])[0]["metadata"]["name"] == (
        "cyperf-agent-service"
    )
    assert json.loads(files["namespace/namespace.json"])["metadata"]["labels"] == {
        "pod-security.kubernetes.io/enforce": "privileged"
    }
    assert json.loads(files["namespace/replicasets.json"]) == []
    assert b"nf_conntrack_count=5" in files["node-tuning/tuning-x/conntrack-tuning.log"]
    network = json.loads(files["kube-system/pods.json"])
    assert [(p["name"], p["images"]) for p in network] == [
        ("kube-proxy-a", {"cyperf-agent-client": "registry.k8s.io/kube-proxy:v1.34.0"})
    ]  # only kube-proxy/CNI pods, only on agent nodes
    assert files["kube-system/kube-proxy-a/cyperf-agent-client.log"] == b"proxy log\n"
    assert all(q["timestamps"] == ["True"] for q in kube.log_queries)
    collector = json.loads(files["collector.json"])
    assert collector["argv"] == ["logs", "--stack", "east-west"]
    assert collector["kubernetesVersion"] == "v1.34.0" and collector["startedAt"] == (
        "2026-11-30T01:02:03+00:00"
    )
    assert len(collector["projectCommit"]) == 40  # this checkout's HEAD
    summary = files["summary.txt"].decode().splitlines()
    assert summary[3].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE"]
    assert summary[5].split()[:4] == ["client-b", "1/1", "Running", "2"]
    assert "Warning events (1):" in summary
    assert summary[-1].split()[:3] == ["2026-11-30T01:00:03+00:00", "BackOff", "Pod/client-b"]


def test_max_bytes_keeps_the_bundle_under_the_cap(kube: FakeKube, tmp_path: Path) -> None:
    populate(kube)
    stack = make_stack(kube.url)
    result = collect(stack, core_api(stack), out_dir=tmp_path, now=NOW, extras=Extras(max_bytes=40))
    assert result.failed == [] and result.logs == 2
    index = json.loads(read_bundle(result.path)["index.json"])
    skipped = [n for n in index["notes"] if "--max-bytes 40" in n["note"]]
    assert len(skipped) == 2 and index["maxBytes"] == 40
    with pytest.raises(UsageError, match="--max-bytes"):
        collect(stack, core_api(stack), out_dir=tmp_path, extras=Extras(max_bytes=0))


def test_logs_command_stores_the_controllers_agents_only_when_asked(
    kube: FakeKube,
    controller: FakeController,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    populate(kube)
    stack = make_stack(kube.url)
    monkeypatch.setattr(ops.stack, "read_stack", lambda name, project_dir: stack)
    monkeypatch.setenv("CYPERF_OFFLINE_TOKEN", controller.offline_token)
    controller.agents = [agent_json("a1", "10.244.0.1", ["k=v"])]
    assert controller.cert_file is not None
    argv = ["logs", "--stack", "east-west", "--output-dir", str(tmp_path), "--json"]
    address = ["--controller", controller.url.removeprefix("https://")]
    tls = ["--ca-cert", str(controller.cert_file)]
    out = io.StringIO()
    assert main([*argv, "--max-bytes", "1000000"], stdout=out) == 0
    first = read_bundle_at(Path(json.loads(out.getvalue())["bundle"]))
    assert "controller/agents.json" not in first and controller.requests == []
    assert json.loads(first["collector.json"])["controllerAgents"] is False
    assert json.loads(first["index.json"])["maxBytes"] == 1000000
    (tmp_path / "again").mkdir()
    argv[4] = str(tmp_path / "again")
    out = io.StringIO()
    assert main([*argv, "--controller-agents", *address, *tls], stdout=out) == 0
    second = read_bundle_at(Path(json.loads(out.getvalue())["bundle"]))
    assert [a["agentId"] for a in json.loads(second["controller/agents.json"])] == ["a1"]


def read_bundle_at(path: Path) -> dict[str, bytes]:
    top = path.name.removesuffix(".tar.gz")
    with tarfile.open(path) as tar:
        return {
            m.name.removeprefix(f"{top}/"): tar.extractfile(m).read()  # type: ignore[union-attr]
            for m in tar.getmembers()
        }
