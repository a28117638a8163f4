"""`ops doctor` end to end in-process against the fake Kubernetes API and the fake controller.

The fake API's stand-in kubelet really runs each probe pod's script, with its env, on this
machine (busybox's `nc` replaced by a bash stand-in, see tests/ops/test_reach.py), so the
reachability verdict comes from a real TCP connection to the fake controller's 127.0.0.1 port or
to a port where nothing listens."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest

import ops.stack
from ops.cli import main
from ops.errors import OpsError
from tests.ops.conftest import CLIENT_TAGS, SERVER_TAGS, make_stack
from tests.ops.fake_controller import FakeController, agent_json
from tests.ops.fake_kube import FakeKube, kubeconfig, node_json, pod_json
from tests.ops.test_reach import NC_STAND_IN

PRIVILEGED = {"pod-security.kubernetes.io/enforce": "privileged"}


def kubelet(kube: FakeKube, bin_dir: Path) -> Any:
    """Runs a created probe pod's command here and records its output as the pod's log."""

    def run(pod: dict[str, Any]) -> None:
        (container,) = pod["spec"]["containers"]
        env = {e["name"]: e["value"] for e in container["env"]}
        done = subprocess.run(
            container["command"],
            env={**os.environ, **env, "PATH": f"{bin_dir}:{os.environ['PATH']}"},
            capture_output=True,
            timeout=60,
        )
        name = pod["metadata"]["name"]
        pod["spec"]["nodeName"] = "node-c1"
        pod["status"] = {"phase": "Succeeded" if done.returncode == 0 else "Failed"}
        kube.logs[(name, container["name"], False)] = lambda: iter([done.stdout])

    return run


@pytest.fixture
def deployed(
    kube: FakeKube,
    controller: FakeController,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> FakeKube:
    nc = tmp_path / "nc"
    nc.write_text(NC_STAND_IN)
    nc.chmod(0o755)
    kube.on_create = kubelet(kube, tmp_path)
    kube.namespaces = {"cyperf": dict(PRIVILEGED)}
    kube.nodes = [
        node_json("node-c1", {"agenttype": "client"}),
        node_json("node-s1", {"agenttype": "server"}),
    ]
    kube.pods = [
        pod_json("client-1", "client", "10.244.0.1", "node-c1"),
        pod_json(
            "server-1",
            "server",
            "10.244.0.3",
            "node-s1",
            tags=SERVER_TAGS,
            node_selector={"agenttype": "server"},
        ),
    ]
    stack = make_stack(kube.url)
    monkeypatch.setattr(ops.stack, "read_stack", lambda name, project_dir: stack)
    monkeypatch.setattr("shutil.which", lambda name: f"/opt/bin/{name}")
    monkeypatch.setenv("CYPERF_OFFLINE_TOKEN", controller.offline_token)
    controller.agents = [
        agent_json("c1", "10.244.0.1", CLIENT_TAGS.split(",")),
        agent_json("s1", "10.244.0.3", SERVER_TAGS.split(",")),
    ]
    return kube


def run(
    controller: FakeController, capsys: pytest.CaptureFixture[str], address: str = ""
) -> tuple[int, dict[str, dict[str, str]], str]:
    assert controller.cert_file is not None
    address = address or controller.url.removeprefix("https://")
    argv = ["doctor", "--stack", "east-west", "--controller", address]
    argv += ["--ca-cert", str(controller.cert_file), "--json", "--probe-timeout", "20"]
    stdout = io.StringIO()
    code = main(argv, stdout=stdout)
    document = json.loads(stdout.getvalue())
    assert document["schemaVersion"] == 1 and document["ok"] is (code == 0)
    return code, {c["check"]: c for c in document["checks"]}, capsys.readouterr().err


def levels(found: dict[str, dict[str, str]]) -> dict[str, str]:
    return {name: check["level"] for name, check in found.items()}


def test_doctor_all_green_with_real_probes_to_the_controller_port(
    deployed: FakeKube, controller: FakeController, capsys: pytest.CaptureFixture[str]
) -> None:
    code, found, _ = run(controller, capsys)
    assert levels(found) == {
        "pulumi CLI": "PASS",
        "stack": "PASS",
        "cluster": "PASS",
        "namespace": "PASS",
        "nodes of client": "PASS",
        "nodes of server": "PASS",
        "pods scheduled": "PASS",
        "image pulled": "PASS",
        "containers running": "PASS",
        "controller": "PASS",
        "registration": "PASS",
        "controller reachable from client nodes": "PASS",
        "controller reachable from server nodes": "PASS",
        "conntrack": "SKIP",
    }
    assert code == 0
    assert found["cluster"]["detail"] == (
        f"API server {deployed.url}, context fake (the stack's own kubeconfig or kubeContext)"
    )
    port = controller.url.rsplit(":", 1)[1]
    assert found["controller reachable from client nodes"]["detail"] == (
        f"from node node-c1: port(s) [{port}] open"
    )
    assert deployed.created == ["cyperf-doctor-reach-client", "cyperf-doctor-reach-server"]
    assert sorted(deployed.deleted) == sorted(deployed.created)
    assert {p["metadata"]["name"] for p in deployed.pods} == {"client-1", "server-1"}


def test_doctor_fails_a_closed_port_a_strict_namespace_and_a_missing_agent(
    deployed: FakeKube, controller: FakeController, capsys: pytest.CaptureFixture[str]
) -> None:
    deployed.namespaces["cyperf"] = {"pod-security.kubernetes.io/enforce": "restricted"}
    controller.agents = controller.agents[:1]
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        closed = spare.getsockname()[1]
    # The probe targets the closed port; the controller checks still reach the fake.
    code, found, _ = run(controller, capsys)
    assert code == 1
    assert found["namespace"]["level"] == "FAIL"
    assert found["registration"]["detail"] == "1 missing of 2 agent pods"
    code, found, _ = run(controller, capsys, f"127.0.0.1:{closed}")
    assert (
        found["controller"]["level"] == "FAIL"
        and "cannot connect" in (found["controller"]["detail"])
    )
    reach = found["controller reachable from client nodes"]
    assert reach["level"] == "FAIL" and reach["detail"] == (
        f"from node node-c1: no TCP connection to port(s) [{closed}]"
    )
    assert "open egress" in reach["fix"]


def test_doctor_stops_at_an_unreadable_stack(
    controller: FakeController, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(name: str, project_dir: Path) -> Any:
        raise OpsError("cannot read stack 'east-west': incorrect passphrase")

    monkeypatch.setattr(ops.stack, "read_stack", refuse)
    monkeypatch.setattr("shutil.which", lambda name: f"/opt/bin/{name}")
    code, found, _ = run(controller, capsys)
    assert code == 1 and levels(found) == {"pulumi CLI": "PASS", "stack": "FAIL"}
    assert "PULUMI_CONFIG_PASSPHRASE" in found["stack"]["fix"]


def test_doctor_text_output_prints_each_fix(
    deployed: FakeKube, controller: FakeController, capsys: pytest.CaptureFixture[str]
) -> None:
    deployed.namespaces["cyperf"] = {}
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        closed = f"127.0.0.1:{spare.getsockname()[1]}"
    stdout = io.StringIO()
    code = main(["doctor", "--stack", "east-west", "--controller", closed], stdout=stdout)
    lines = stdout.getvalue().splitlines()
    assert code == 1  # nothing listens at that address
    index = next(i for i, line in enumerate(lines) if line.startswith("WARN  namespace:"))
    assert lines[index + 1].startswith("      fix: kubectl label --overwrite namespace cyperf")
    assert lines[-1].endswith("failed") and "passed" in lines[-1]


def test_doctor_names_the_current_context_when_the_stack_pins_none(
    deployed: FakeKube,
    controller: FakeController,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    ambient = tmp_path / "kubeconfig"
    ambient.write_text(json.dumps(kubeconfig(deployed.url)))
    monkeypatch.setenv("KUBECONFIG", str(ambient))
    stack = make_stack(deployed.url)
    unpinned = dataclasses.replace(stack, kubeconfig=None)
    monkeypatch.setattr(ops.stack, "read_stack", lambda name, project_dir: unpinned)
    _, found, _ = run(controller, capsys)
    cluster = found["cluster"]
    assert cluster["level"] == "WARN"
    assert cluster["detail"].startswith(f"API server {deployed.url}, context fake: the stack sets")
    assert "cyperf-k8s:kubeContext" in cluster["fix"]


def test_doctor_stops_at_an_unreachable_cluster(
    controller: FakeController, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = make_stack("http://127.0.0.1:9")  # discard port: nothing listens
    monkeypatch.setattr(ops.stack, "read_stack", lambda name, project_dir: stack)
    monkeypatch.setattr("shutil.which", lambda name: f"/opt/bin/{name}")
    code, found, _ = run(controller, capsys)
    assert code == 1 and list(found) == ["pulumi CLI", "stack", "cluster"]
    assert found["cluster"]["level"] == "FAIL"
    assert found["cluster"]["detail"].startswith("cannot reach the cluster's API server")
