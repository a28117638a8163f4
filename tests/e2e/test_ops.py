"""`python -m ops logs|verify` against a stack deployed by the real Pulumi engine on the local rig.

KWOK serves container logs for its fake pods from files named by its `Logs` resources (the rig
enables that CRD, see rig/README.md): each agent pod gets a log of known text, and the bundle
must hold exactly that text per pod. `verify` talks to the fake controller (tests/ops), which
lists the pods' IPs minus one. Runs with the ops virtualenv (`make e2e`).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.conftest import (
    CLIENT_NODES,
    NAMESPACE,
    ROOT,
    SERVER_NODES,
    Result,
    Rig,
    stack_of,
)
from tests.ops.fake_controller import FakeController, agent_json, serve

pytestmark = pytest.mark.e2e

STACK = "ops-e2e"
TOKEN = "e2e-offline-token"
LINES = 25  # more than the 10 lines `kubectl logs -l` prints per pod by default
OLD = "2020-01-01T00:00:00.000000000Z"


@pytest.fixture(scope="module")
def deployed(rig: Rig) -> Iterator[str]:
    config = dict(yaml.safe_load((ROOT / "stacks" / "Pulumi.east-west.yaml").read_text())["config"])
    with stack_of(rig, STACK, config):
        # Set before `up`: the program must leave the cyperf-ops namespace alone.
        rig.pulumi(
            "config", "set", "--secret", "cyperf-ops:controllerOfflineToken", TOKEN, stack=STACK
        )
        rig.up(STACK)
        yield STACK


def agent_pods(rig: Rig) -> list[dict[str, Any]]:
    return sorted(rig.pods("app=cyperf-agent"), key=lambda p: p["metadata"]["name"])


def expected_log(pod: str) -> str:
    return "".join(f"{pod} line {i}: agent says hello\n" for i in range(LINES))


def cri_log(pod: str) -> str:
    """The text in the container runtime's log format that KWOK reads (time, stream, tag,
    text); the first two lines are stamped 2020, for --since."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f000Z")
    lines = expected_log(pod).splitlines()
    return "".join(f"{OLD if i < 2 else now} stdout F {line}\n" for i, line in enumerate(lines))


@pytest.fixture(scope="module")
def pod_logs(rig: Rig, deployed: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Each agent pod's container log is a known text served by KWOK; {pod: container}."""
    folder = tmp_path_factory.mktemp("pod-logs")
    containers: dict[str, str] = {}
    resources = []
    for pod in agent_pods(rig):
        name = pod["metadata"]["name"]
        container = pod["spec"]["containers"][0]["name"]
        containers[name] = container
        path = folder / f"{name}.log"
        path.write_text(cri_log(name))
        resources.append(
            {
                "apiVersion": "kwok.x-k8s.io/v1alpha1",
                "kind": "Logs",
                "metadata": {"name": name, "namespace": NAMESPACE},
                "spec": {"logs": [{"containers": [container], "logsFile": str(path)}]},
            }
        )
    manifest = folder / "logs.yaml"
    manifest.write_text(yaml.safe_dump_all(resources))
    rig.run("kubectl", "apply", "-f", str(manifest))
    for name in containers:
        rig.wait_for(
            lambda name=name: (
                rig.run("kubectl", "-n", NAMESPACE, "logs", name, check=False).stdout
                == expected_log(name)
            ),
            f"KWOK serving the log of {name}",
        )
    return containers


def ops(rig: Rig, *args: str, stack: str = STACK) -> Result:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "ops", *args, "--stack", stack, "--project-dir", str(rig.project)],
        cwd=ROOT,
        env=rig.env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    result = Result(done.returncode, done.stdout, done.stderr, time.monotonic() - started)
    assert TOKEN not in result.text
    return result


# `logs` asks for the API server's timestamps (kubectl logs --timestamps): one RFC 3339 time and
# a space before every line
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d) ")


def untimed(body: bytes) -> str:
    lines = body.decode().splitlines(keepends=True)
    assert lines and all(STAMP.match(line) for line in lines), body[:200]
    return "".join(STAMP.sub("", line, count=1) for line in lines)


def bundle_files(path: Path) -> dict[str, bytes]:
    top = path.name.removesuffix(".tar.gz")
    with tarfile.open(path) as tar:
        return {
            m.name.removeprefix(f"{top}/"): tar.extractfile(m).read()  # type: ignore[union-attr]
            for m in tar.getmembers()
        }


def test_readme_selector_command_needs_tail_all(rig: Rig, pod_logs: dict[str, str]) -> None:
    """Why docs/troubleshooting.md says `--tail=-1`: with a selector kubectl prints 10 lines per
    pod."""
    selector = ["kubectl", "-n", NAMESPACE, "logs", "-l", "app=cyperf-agent", "--prefix"]
    default = rig.run(*selector).stdout.splitlines()
    everything = rig.run(*selector, "--all-containers", "--tail=-1").stdout.splitlines()
    assert len(default) == 10 * len(pod_logs)
    assert len(everything) == LINES * len(pod_logs)


def test_logs_bundle_holds_each_pods_exact_log_events_and_nodes(
    rig: Rig, pod_logs: dict[str, str], tmp_path: Path
) -> None:
    result = ops(rig, "logs", "--output-dir", str(tmp_path), "--json")
    assert result.returncode == 0, result.text
    summary = json.loads(result.stdout)
    bundle = Path(summary["bundle"])
    assert bundle.parent == tmp_path and bundle.name.startswith(f"cyperf-logs-{STACK}-")
    print(f"bundle: {summary['bytes']} bytes, {result.seconds:.2f}s wall, {summary['seconds']}s")
    files = bundle_files(bundle)
    for pod, container in pod_logs.items():
        assert untimed(files[f"pods/{pod}/{container}.log"]) == expected_log(pod)
        assert json.loads(files[f"pods/{pod}/pod.json"])["metadata"]["name"] == pod
    assert summary["pods"] == len(pod_logs) == 4 and summary["logs"] == 4
    logs = sorted(name for name in files if name.endswith(".log"))
    assert logs == sorted(f"pods/{p}/{c}.log" for p, c in pod_logs.items())
    events = json.loads(files["events.json"])
    scheduled = {e["involvedObject"]["name"] for e in events if e.get("reason") == "Scheduled"}
    assert set(pod_logs) <= scheduled
    nodes = {n["name"]: n for n in json.loads(files["nodes.json"])}
    assert set(nodes) == CLIENT_NODES | SERVER_NODES  # hosting an agent or eligible for one
    hosting = {p["spec"]["nodeName"] for p in agent_pods(rig)}
    for name, node in nodes.items():
        assert node["labels"]["agenttype"] in ("client", "server")
        assert node["capacity"]["memory"] == "64Gi"
        assert any(c["type"] == "Ready" and c["status"] == "True" for c in node["conditions"])
        assert bool(node["agentPods"]) == (name in hosting)
    index = json.loads(files["index.json"])
    assert index["failed"] == [] and index["stack"] == STACK and index["namespace"] == NAMESPACE
    outputs = json.loads(files["stack/outputs.json"])
    assert outputs["namespace"] == NAMESPACE and set(outputs["agentTags"]) == {"client", "server"}


def test_logs_since_and_group_subset(rig: Rig, pod_logs: dict[str, str], tmp_path: Path) -> None:
    result = ops(rig, "logs", "--output-dir", str(tmp_path), "--since", "1h", "--group", "client")
    assert result.returncode == 0, result.text
    (bundle,) = tmp_path.glob("cyperf-logs-*.tar.gz")
    files = bundle_files(bundle)
    clients = {p: c for p, c in pod_logs.items() if c == "cyperf-agent-client"}
    assert len(clients) == 2
    assert sorted(n for n in files if n.endswith(".log")) == sorted(
        f"pods/{p}/{c}.log" for p, c in clients.items()
    )
    for pod, container in clients.items():
        # the two lines stamped 2020 are older than an hour
        recent = "".join(expected_log(pod).splitlines(keepends=True)[2:])
        assert untimed(files[f"pods/{pod}/{container}.log"]) == recent


@pytest.fixture
def controller(deployed: str, tmp_path: Path) -> Iterator[FakeController]:
    with serve(tmp_path, FakeController(offline_token=TOKEN)) as fake:
        yield fake


def test_verify_reports_the_pod_the_controller_does_not_list(
    rig: Rig, deployed: str, controller: FakeController
) -> None:
    tags = rig.outputs(STACK)["agentTags"]
    # every agent carries its stack's own tag, which keeps two stacks apart on one controller
    assert all(
        f"cyperf-k8s={STACK}.{group}" in rendered.split(",") for group, rendered in tags.items()
    )
    pods = agent_pods(rig)
    agents = [
        agent_json(
            f"agent-{i}",
            pod["status"]["podIP"],
            tags[pod["metadata"]["labels"]["cyperf-k8s/agent-group"]].split(","),
        )
        for i, pod in enumerate(pods)
    ]
    left_out = pods[0]
    controller.agents = agents[1:]
    assert controller.cert_file is not None
    argv = [
        "verify",
        "--controller",
        controller.url.removeprefix("https://"),
        "--ca-cert",
        str(controller.cert_file),
        "--json",
    ]
    result = ops(rig, *argv, "--wait", "0")
    assert result.returncode == 1, result.text
    report = json.loads(result.stdout)
    group = left_out["metadata"]["labels"]["cyperf-k8s/agent-group"]
    assert [m["pod"] for m in report["groups"][group]["missing"]] == [left_out["metadata"]["name"]]
    registered = {r["pod"] for g in report["groups"].values() for r in g["registered"]}
    assert registered == {p["metadata"]["name"] for p in pods[1:]}
    assert "credentials from cyperf-ops:controllerOfflineToken" in result.stderr
    # the cluster read is named, and the replicas the stack deployed are what was compared
    assert report["cluster"].startswith("https://127.0.0.1:")
    for name, reported in report["groups"].items():
        deployed_pods = [
            p for p in pods if p["metadata"]["labels"]["cyperf-k8s/agent-group"] == name
        ]
        assert (reported["expectedReplicas"], reported["short"]) == (len(deployed_pods), 0)
    logins = [form for _, path, form in controller.requests if path.endswith("/token")]
    assert logins and logins[0]["refresh_token"] == [TOKEN]

    controller.agents = agents
    result = ops(rig, *argv, "--wait", "30")
    assert result.returncode == 0, result.text
    assert json.loads(result.stdout)["ok"] is True


def test_unknown_stack_exits_4(rig: Rig) -> None:
    result = ops(rig, "logs", stack="no-such-stack")
    assert result.returncode == 4
    assert "cannot read stack 'no-such-stack'" in result.stderr
