"""`python -m ops status|doctor|prune` against a stack deployed by the real Pulumi engine on the
local rig, with the fake controller (tests/ops) on 127.0.0.1 standing in for the CyPerf
controller. Runs with the ops virtualenv (`make e2e`).

KWOK runs no container: the reachability probe pod is created with the group's nodeSelector and
tolerations, placed by the real scheduler on an agent node and removed afterwards, but never
runs, so doctor reports it unfinished (WARN). That the probe's script reaches an open port and
not a closed one is shown in tests/ops/test_reach.py and tests/ops/test_doctor.py by running it
on this machine against 127.0.0.1; busybox's `nc -z` on a real node is reasoning only.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from ops.verify import stack_tag
from tests.e2e.conftest import CLIENT_NODES, NAMESPACE, ROOT, SERVER_NODES, Result, Rig, stack_of
from tests.ops.fake_controller import FakeController, agent_json, serve

pytestmark = pytest.mark.e2e

STACK = "ops-status-e2e"
TOKEN = "e2e-status-token"


@pytest.fixture(scope="module")
def deployed(rig: Rig) -> Iterator[str]:
    config = dict(yaml.safe_load((ROOT / "stacks" / "Pulumi.east-west.yaml").read_text())["config"])
    with stack_of(rig, STACK, config):
        rig.up(STACK)
        yield STACK


def ops(rig: Rig, *args: str, token: str | None = TOKEN) -> Result:
    env = dict(rig.env)
    env.pop("CYPERF_OFFLINE_TOKEN", None)
    if token:
        env["CYPERF_OFFLINE_TOKEN"] = token
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "ops", *args, "--stack", STACK, "--project-dir", str(rig.project)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    result = Result(done.returncode, done.stdout, done.stderr, time.monotonic() - started)
    assert TOKEN not in result.text
    return result


def agent_pods(rig: Rig) -> list[dict[str, Any]]:
    return sorted(rig.pods("app=cyperf-agent"), key=lambda p: p["metadata"]["name"])


def group_of(pod: dict[str, Any]) -> str:
    return str(pod["metadata"]["labels"]["cyperf-k8s/agent-group"])


@pytest.fixture
def controller(rig: Rig, deployed: str, tmp_path: Path) -> Iterator[FakeController]:
    """Lists one registered agent per pod (with the stack's tag), and two stale ones."""
    rendered = rig.outputs(STACK)["agentTags"]

    def tags(group: str) -> list[str]:
        return sorted({*rendered[group].split(","), stack_tag(STACK, group)})

    with serve(tmp_path, FakeController(offline_token=TOKEN)) as fake:
        fake.agents = [
            agent_json(
                f"agent-{i}",
                pod["status"]["podIP"],
                tags(group_of(pod)),
                hostname=pod["metadata"]["name"],
            )
            for i, pod in enumerate(agent_pods(rig))
        ] + [
            agent_json("stale-1", "10.250.0.1", tags("client"), offline=True),
            agent_json("stale-2", "10.250.0.2", tags("server"), offline=True),
        ]
        yield fake


def controller_args(fake: FakeController) -> list[str]:
    assert fake.cert_file is not None
    return ["--controller", fake.url.removeprefix("https://"), "--ca-cert", str(fake.cert_file)]


def test_status_without_credentials_shows_every_pod(rig: Rig, deployed: str) -> None:
    result = ops(rig, "status", "--json", token=None)
    assert result.returncode == 0, result.text
    document = json.loads(result.stdout)
    assert document["schemaVersion"] == 1 and document["registrationChecked"] is False
    pods = {p["metadata"]["name"]: p for p in agent_pods(rig)}
    assert {row["pod"]: row["node"] for row in document["pods"]} == {
        name: pod["spec"]["nodeName"] for name, pod in pods.items()
    }
    assert all(row["ready"] and row["registration"] == "-" for row in document["pods"])
    assert document["short"] == []
    assert f"cluster {document['cluster']}, namespace {NAMESPACE}" in result.stderr
    assert "registration not checked: no controller credentials" in result.stderr


def test_status_with_the_controller_and_a_missing_agent(
    rig: Rig, controller: FakeController
) -> None:
    result = ops(rig, "status", *controller_args(controller))
    assert result.returncode == 0, result.text
    lines = result.stdout.splitlines()
    # the cluster it read comes first (a wrong kubeconfig context is seen at once)
    assert lines[0].startswith("cluster ") and lines[0].endswith(f", namespace {NAMESPACE}")
    assert lines[1].split()[:3] == ["GROUP", "POD", "READY"]
    assert sum(" registered " in line for line in lines) == 4
    assert sum(line.startswith("extra agent stale-") for line in lines) == 2
    left_out = controller.agents.pop(0)
    result = ops(rig, "status", "--json", *controller_args(controller))
    assert result.returncode == 1
    rows = {r["pod"]: r for r in json.loads(result.stdout)["pods"]}
    assert rows[left_out["hostname"]]["registration"] == "missing"


def test_prune_dry_run_then_yes_removes_only_the_stale(
    rig: Rig, controller: FakeController
) -> None:
    result = ops(rig, "prune", "--json", *controller_args(controller))
    assert result.returncode == 0, result.text
    plan = json.loads(result.stdout)
    assert plan["dryRun"] is True and [a["agentId"] for a in plan["stale"]] == [
        "stale-1",
        "stale-2",
    ]
    assert len(controller.agents) == 6
    result = ops(rig, "prune", "--yes", *controller_args(controller))
    assert result.returncode == 0, result.text
    assert sorted(a["id"] for a in controller.agents) == [f"agent-{i}" for i in range(4)]


def test_doctor_on_the_rig(rig: Rig, controller: FakeController) -> None:
    result = ops(rig, "doctor", "--json", "--probe-timeout", "15", *controller_args(controller))
    found = {c["check"]: c for c in json.loads(result.stdout)["checks"]}
    levels = {name: check["level"] for name, check in found.items()}
    print(json.dumps(found, indent=2), result.stderr)
    for name in (
        "stack",
        "namespace",
        "nodes of client",
        "nodes of server",
        "pods scheduled",
        "image pulled",
        "containers running",
        "controller",
        "registration",
    ):
        assert levels[name] == "PASS", (name, found[name])
    # placed by the real scheduler on a node of the group, then removed; KWOK never runs it
    for group, nodes in (("client", CLIENT_NODES), ("server", SERVER_NODES)):
        probe = found[f"controller reachable from {group} nodes"]
        assert probe["level"] == "WARN" and "did not finish within 15s" in probe["detail"]
        node = probe["detail"].split("node ")[-1].rstrip(")")
        assert node in nodes, probe
    assert (
        rig.kubectl_json(
            "get", "pods", "-n", NAMESPACE, "-l", "app.kubernetes.io/name=cyperf-doctor"
        )["items"]
        == []
    )
    assert result.returncode == 0, result.text  # WARN and SKIP only


def test_logs_bundle_must_gather_parts(rig: Rig, deployed: str, tmp_path: Path) -> None:
    # KWOK serves each agent pod's log from a file named by a `Logs` resource (rig/README.md)
    log_file = tmp_path / "agent.log"
    log_file.write_text("2026-01-01T00:00:00.000000000Z stdout F agent says hello\n")
    resources = [
        {
            "apiVersion": "kwok.x-k8s.io/v1alpha1",
            "kind": "Logs",
            "metadata": {"name": pod["metadata"]["name"], "namespace": NAMESPACE},
            "spec": {
                "logs": [
                    {
                        "containers": [pod["spec"]["containers"][0]["name"]],
                        "logsFile": str(log_file),
                    }
                ]
            },
        }
        for pod in agent_pods(rig)
    ]
    manifest = tmp_path / "logs.yaml"
    manifest.write_text(yaml.safe_dump_all(resources))
    rig.run("kubectl", "apply", "-f", str(manifest))
    secret = "e2e-secret-config-value"
    rig.pulumi("config", "set", "--secret", "cyperf-ops:bundleProbe", secret, stack=STACK)
    try:
        rig.wait_for(
            lambda: "agent says hello"
            in rig.run("kubectl", "-n", NAMESPACE, "logs", agent_pods(rig)[0]["metadata"]["name"],
                       check=False).stdout,
            "KWOK serving the agent log",
        )  # fmt: skip
        result = ops(rig, "logs", "--output-dir", str(tmp_path), "--json", token=None)
    finally:
        rig.pulumi("config", "rm", "cyperf-ops:bundleProbe", stack=STACK)
    assert result.returncode == 0, result.text
    path = Path(json.loads(result.stdout)["bundle"])
    top = path.name.removesuffix(".tar.gz")
    with tarfile.open(path) as tar:
        files = {
            m.name.removeprefix(f"{top}/"): tar.extractfile(m).read()  # type: ignore[union-attr]
            for m in tar.getmembers()
        }
    assert not any(secret.encode() in body for body in files.values())
    config = json.loads(files["stack/config.json"])
    assert config["cyperf-ops:bundleProbe"] == "[secret]"
    assert config["cyperf-k8s:controllerAddress"] == "192.0.2.10"
    deployments = json.loads(files["namespace/deployments.json"])
    groups = [
        d["spec"]["template"]["metadata"]["labels"]["cyperf-k8s/agent-group"] for d in deployments
    ]
    assert (
        sorted(groups) == ["client", "server"]
        and len(json.loads(files["namespace/replicasets.json"])) >= 2
    )
    services = [s["metadata"]["name"] for s in json.loads(files["namespace/services.json"])]
    assert "cyperf-agent-service" in services
    labels = json.loads(files["namespace/namespace.json"])["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "privileged"
    assert isinstance(json.loads(files["kube-system/pods.json"]), list)
    collector = json.loads(files["collector.json"])
    server = json.loads(rig.run("kubectl", "version", "-o", "json").stdout)["serverVersion"]
    assert collector["kubernetesVersion"] == server["gitVersion"]
    summary = files["summary.txt"].decode()
    for pod in agent_pods(rig):
        assert pod["metadata"]["name"] in summary
    for pod in agent_pods(rig):
        name, container = pod["metadata"]["name"], pod["spec"]["containers"][0]["name"]
        line = files[f"pods/{name}/{container}.log"].decode()
        assert line.endswith(" agent says hello\n") and line.startswith("2026-01-01T00:00:00")
