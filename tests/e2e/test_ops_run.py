"""`python -m ops run` against a stack deployed by the real Pulumi engine on the local rig, with
the fake controller's session endpoints (tests/ops/fake_sessions.py): the stack's real outputs
end up in the session patches for each destination mode, and --destroy-after leaves nothing.

The server group's Service is a LoadBalancer (so every mode is allowed); the rig never assigns
load-balancer addresses, so the test writes one into the Service's status and refreshes. Its
nodes have no InternalIP, so the node-port case names its node address. Runs with the ops
virtualenv (matplotlib installed).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.conftest import NAMESPACE, ROOT, Result, Rig, stack_of
from tests.ops.fake_controller import FakeController, agent_json, serve
from tests.ops.fake_sessions import FakeSessions

pytestmark = pytest.mark.e2e

STACK = "run-e2e"
TOKEN = "e2e-offline-token"
LB_ADDRESS = "203.0.113.7"
NODE_ADDRESS = "192.0.2.50"
DUT = "NetworkProfiles/1/DUTNetworkSegment/1"
CLIENT_SEGMENT = "NetworkProfiles/1/IPNetworkSegment/1"
STATS = {"client-tcp-connections": (["Connections Failed"], [[0.0], [0.0]])}


def stack_config() -> dict[str, Any]:
    config = dict(yaml.safe_load((ROOT / "stacks" / "Pulumi.east-west.yaml").read_text())["config"])
    groups = [dict(g) for g in config["cyperf-k8s:agentGroups"]]
    server = groups[1]
    server["readiness"] = {"mode": "http-health-check", "path": "/health-e2e", "port": 8080}
    server["service"] = {
        **server["service"],
        "type": "LoadBalancer",
        "loadBalancerAwaitSeconds": 0,
    }
    config["cyperf-k8s:agentGroups"] = groups
    return config


@pytest.fixture(scope="module")
def deployed(rig: Rig) -> Iterator[dict[str, Any]]:
    with stack_of(rig, STACK, stack_config()):
        rig.pulumi(
            "config", "set", "--secret", "cyperf-ops:controllerOfflineToken", TOKEN, stack=STACK
        )
        # Neither the Service (loadBalancerAwaitSeconds 0) nor the Deployment (health-check
        # readiness) is awaited, so the program reads the Service's Endpoints right after
        # creating it; on a loaded rig the endpoints controller had not written them yet (seen
        # twice under load, docs/troubleshooting.md). The next `up` reads them; any other
        # failure fails the test.
        first = rig.up(STACK, check=False)
        if first.returncode != 0:
            assert "cyperf-agent-service' does not exist" in first.text, first.text
            rig.up(STACK)
        status = {"loadBalancer": {"ingress": [{"ip": LB_ADDRESS}]}}
        rig.run(
            "kubectl", "patch", "service", "cyperf-agent-service", "-n", NAMESPACE,
            "--subresource=status", "--type=merge", "-p", json.dumps({"status": status}),
        )  # fmt: skip
        rig.pulumi("up", "--yes", "--skip-preview", "--refresh", stack=STACK)
        yield rig.outputs(STACK)


@pytest.fixture
def controller(rig: Rig, deployed: dict[str, Any], tmp_path: Path) -> Iterator[FakeController]:
    with serve(tmp_path, FakeController(offline_token=TOKEN)) as fake:
        fake.routes = FakeSessions(stats=dict(STATS), duration=20, step=10, controller=fake)
        tags = deployed["agentTags"]
        pods = rig.pods("app=cyperf-agent")
        fake.agents = [
            agent_json(
                f"agent-{i}",
                pod["status"]["podIP"],
                tags[pod["metadata"]["labels"]["cyperf-k8s/agent-group"]].split(","),
            )
            for i, pod in enumerate(pods)
        ]
        yield fake


def run_ops(rig: Rig, controller: FakeController, folder: Path, mode: str, *extra: str) -> Result:
    destination: dict[str, Any] = {"dutSegment": "DUT Network 1", "server": "server", "mode": mode}
    if mode == "node-port":
        destination["nodeAddress"] = NODE_ADDRESS
    test = folder / "test.yaml"
    test.write_text(
        yaml.safe_dump(
            {
                "config": {"name": "HTTP throughput"},
                "segments": [
                    {"name": "IP Network 1", "group": "client", "destination": destination},
                    {"name": "IP Network 2", "group": "server"},
                ],
                "thresholds": {"failedConnections": {"max": 0}},
            }
        )
    )
    assert controller.cert_file is not None
    started = time.monotonic()
    done = subprocess.run(
        [
            sys.executable, "-m", "ops", "run", "--stack", STACK, "--test", str(test),
            "--project-dir", str(rig.project), "--json",
            "--controller", controller.url.removeprefix("https://"),
            "--ca-cert", str(controller.cert_file),
            "--output-dir", str(folder / "runs"), "--state-file", str(folder / "state.json"),
            "--agents-wait", "30", *extra,
        ],
        cwd=ROOT, env=rig.env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    result = Result(done.returncode, done.stdout, done.stderr, time.monotonic() - started)
    assert TOKEN not in result.text
    return result


def expected_dut(outputs: dict[str, Any], mode: str) -> tuple[str, int]:
    service = outputs["serverServices"]["server"]
    http = next(p for p in service["ports"] if p["name"] == "http")
    return {
        "pod-ip": (outputs["serverPodIps"]["server"][0], http["targetPort"]),
        "service": (service["clusterIp"], http["port"]),
        "node-port": (NODE_ADDRESS, http["nodePort"]),
        "load-balancer": (LB_ADDRESS, http["port"]),
    }[mode]


@pytest.mark.parametrize("mode", ["pod-ip", "service", "node-port", "load-balancer"])
def test_the_stacks_outputs_end_up_in_the_session(
    rig: Rig, deployed: dict[str, Any], controller: FakeController, tmp_path: Path, mode: str
) -> None:
    result = run_ops(rig, controller, tmp_path, mode)
    assert result.returncode == 0, result.text
    sessions = controller.routes
    assert isinstance(sessions, FakeSessions) and sessions.refused == []
    patched = dict(sessions.patches)
    host, port = expected_dut(deployed, mode)
    assert patched[DUT] == {
        "active": True,
        "ServerDUTActive": True,
        "ServerDUTHost": host,
        "ServerDUTPort": port,
    }
    assert patched[CLIENT_SEGMENT] == {
        "agentAssignments": {"ByTag": [f"cyperf-k8s={STACK}.client"], "ByID": []},
        "DNSResolver": {"nameServers": [{"name": deployed["clusterDnsIp"]}]},
    }
    assert deployed["clusterDnsIp"] == "10.96.0.10"  # the rig's cluster DNS Service
    assert patched[f"{DUT}/HTTPHealthCheck"] == {"Enabled": True, "Port": 8080}
    assert patched[f"{DUT}/HTTPHealthCheck/Params/1"] == {"Value": "/health-e2e"}
    summary = json.loads(result.stdout)
    junit = Path(summary["folder"], "junit.xml").read_text()
    assert 'name="threshold failedConnections"' in junit and "<failure" not in junit
    assert sessions.deleted == [summary["session"]]


def test_a_failed_threshold_and_the_files_hold_the_fakes_numbers(
    rig: Rig, deployed: dict[str, Any], controller: FakeController, tmp_path: Path
) -> None:
    sessions = controller.routes
    assert isinstance(sessions, FakeSessions)
    sessions.stats = {"client-tcp-connections": (["Connections Failed"], [[0.0], [3.0]])}
    result = run_ops(rig, controller, tmp_path, "service")
    assert result.returncode == 1, result.text
    folder = Path(json.loads(result.stdout)["folder"])
    junit = (folder / "junit.xml").read_text()
    assert 'failures="1"' in junit and "failedConnections = 3 (wanted &lt;= 0)" in junit
    assert "failedConnections,1,3" in (folder / "statistics.csv").read_text().splitlines()
    assert (folder / "report.png").read_bytes()[:4] == b"\x89PNG"


def test_ctrl_c_stops_the_test_and_deletes_the_session(
    rig: Rig, deployed: dict[str, Any], controller: FakeController, tmp_path: Path
) -> None:
    sessions = controller.routes
    assert isinstance(sessions, FakeSessions)
    sessions.duration, sessions.step = 3600, 1  # runs until stopped
    test = tmp_path / "t.yaml"
    test.write_text(
        yaml.safe_dump(
            {
                "config": {"name": "HTTP throughput"},
                "segments": [
                    {
                        "name": "IP Network 1",
                        "group": "client",
                        "destination": {"dutSegment": "DUT Network 1", "server": "server"},
                    },
                    {"name": "IP Network 2", "group": "server"},
                ],
            }
        )
    )
    process = subprocess.Popen(
        [
            sys.executable, "-m", "ops", "run", "--stack", STACK, "--test", str(test),
            "--project-dir", str(rig.project),
            "--controller", controller.url.removeprefix("https://"),
            "--ca-cert", str(controller.cert_file),
            "--output-dir", str(tmp_path / "runs"), "--state-file", str(tmp_path / "state.json"),
        ],
        cwd=ROOT, env=rig.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        rig.wait_for(lambda: "start" in sessions.operations, "the test to start", timeout=300)
        time.sleep(1)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=180)
    finally:
        process.kill()
    assert process.returncode == 130, stderr
    assert sessions.operations[:2] == ["start", "stop"]
    assert "interrupted: stopping the test" in stderr
    assert sessions.deleted == ["session-1"] and sessions.sessions == {}


def test_destroy_after_leaves_nothing(
    rig: Rig, deployed: dict[str, Any], controller: FakeController, tmp_path: Path
) -> None:
    sessions = controller.routes
    assert isinstance(sessions, FakeSessions)
    sessions.end_status = "ERROR"  # a failed run is destroyed too
    result = run_ops(rig, controller, tmp_path, "service", "--destroy-after")
    assert result.returncode == 8, result.text
    assert "destroying stack run-e2e" in result.stderr
    left = rig.kubectl_json("get", "all", "-n", NAMESPACE)["items"]
    assert left == []
    resources = json.loads(rig.pulumi("stack", "export", stack=STACK).stdout)
    assert resources["deployment"].get("resources") in (None, [])
