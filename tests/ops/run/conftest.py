"""A stack with every destination a test can target (a LoadBalancer Service has a ClusterIP,
node ports and a load-balancer address), the fakes, and a runner for `python -m ops run`."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import ops.stack
from ops.cli import main
from ops.run import flow, session
from ops.stack import StackInfo, stack_info
from tests.ops import fake_controller, fake_kube
from tests.ops.conftest import CLIENT_TAGS, SERVER_TAGS
from tests.ops.fake_sessions import FakeSessions

STACK = "east-west"
POD_IPS = ["10.244.0.3", "10.244.0.9"]
SERVICE = {
    "name": "cyperf-agent-service",
    "type": "LoadBalancer",
    "clusterIp": "10.96.0.50",
    "ports": [
        {"name": "http", "protocol": "TCP", "port": 8080, "targetPort": 80, "nodePort": 30080},
        {"name": "https", "protocol": "TCP", "port": 443, "targetPort": 8443, "nodePort": 30443},
    ],
    "loadBalancerAddress": "203.0.113.7",
}
HEALTH = {"enabled": True, "targetUrl": "/CyPerfHTTPHealthCheck", "port": 80}
STATS = {
    "client-throughput": (["Throughput"], [[8.0e8], [1.0e9], [1.2e9]]),
    "client-connection-rate": (["Connections Succeeded/s"], [[900.0], [1000.0], [1100.0]]),
    "client-tcp-connections": (["Connections Failed"], [[0.0], [1.0], [2.0]]),
    "client-http-statistics": (["Transactions Failed"], [[0.0], [0.0], [0.0]]),
}


def outputs(service: dict[str, Any] | None = None, health: bool = True) -> dict[str, Any]:
    service = SERVICE if service is None else service
    setup = {
        "agentAssignment": {
            "client": {"role": "client", "replicas": 2, "tags": CLIENT_TAGS.split(",")},
            "server": {"role": "server", "replicas": 2, "tags": SERVER_TAGS.split(",")},
        },
        "dutHost": {"server": {"podIps": POD_IPS, "serviceClusterIp": service["clusterIp"]}},
        "dnsResolverNameServer": "10.96.0.10",
        "httpHealthCheck": {"server": HEALTH} if health else {},
    }
    return {
        "namespace": "cyperf",
        "agentTags": {"client": CLIENT_TAGS, "server": SERVER_TAGS},
        "serverPodIps": {"server": POD_IPS},
        "serverServices": {"server": service},
        "clusterDnsIp": "10.96.0.10",
        "controllerSetup": setup,
        "controllerAddress": "192.0.2.10",
    }


def make_stack(kube_url: str, values: dict[str, Any] | None = None) -> StackInfo:
    config = {
        "cyperf-k8s:kubeconfig": (json.dumps(fake_kube.kubeconfig(kube_url)), True),
        "cyperf-k8s:controllerAddress": ("192.0.2.10", False),
    }
    return stack_info(STACK, config, {k: (v, False) for k, v in (values or outputs()).items()})


def definition(mode: str | None = "service", **extra: Any) -> dict[str, Any]:
    destination: dict[str, Any] = {"dutSegment": "DUT Network 1", "server": "server"}
    if mode is not None:
        destination["mode"] = mode
    return {
        "config": {"name": "HTTP throughput"},
        "segments": [
            {"name": "IP Network 1", "group": "client", "destination": destination},
            {"name": "IP Network 2", "group": "server"},
        ],
        **extra,
    }


@pytest.fixture
def sessions(
    controller: fake_controller.FakeController, monkeypatch: pytest.MonkeyPatch
) -> FakeSessions:
    fake = FakeSessions(stats=dict(STATS), controller=controller)
    controller.routes = fake
    controller.agents = [
        fake_controller.agent_json(f"c{i}", f"10.244.1.{i}", CLIENT_TAGS.split(",")) for i in (1, 2)
    ] + [
        fake_controller.agent_json(f"s{i}", ip, SERVER_TAGS.split(","))
        for i, ip in enumerate(POD_IPS)
    ]
    monkeypatch.setenv("CYPERF_OFFLINE_TOKEN", controller.offline_token)
    monkeypatch.setattr(flow, "POLL_SECONDS", 0.0)
    monkeypatch.setattr(session, "POLL", 0.0)
    return fake


@pytest.fixture
def deployed(kube: fake_kube.FakeKube, monkeypatch: pytest.MonkeyPatch) -> fake_kube.FakeKube:
    kube.pods = [
        fake_kube.pod_json(f"client-{i}", "client", f"10.244.1.{i}", f"node-c{i}") for i in (1, 2)
    ] + [
        fake_kube.pod_json(f"server-{i}", "server", ip, f"node-s{i}", tags=SERVER_TAGS)
        for i, ip in enumerate(POD_IPS)
    ]
    node = fake_kube.node_json("node-a", {})
    node["status"]["addresses"] = [{"type": "InternalIP", "address": "172.18.0.4"}]
    kube.nodes = [node]
    stack = make_stack(kube.url)
    monkeypatch.setattr(ops.stack, "read_stack", lambda name, project_dir: stack)
    return kube


class Runner:
    def __init__(self, folder: Path, controller: fake_controller.FakeController) -> None:
        self.folder = folder
        self.controller = controller

    def __call__(
        self, document: Any, *extra: str, capsys: pytest.CaptureFixture[str]
    ) -> tuple[int, dict[str, Any] | None, str]:
        test = self.folder / "test.yaml"
        test.write_text(yaml.safe_dump(document))
        assert self.controller.cert_file is not None
        argv = [
            "run",
            "--stack",
            STACK,
            "--test",
            str(test),
            "--json",
            "--controller",
            self.controller.url.removeprefix("https://"),
            "--ca-cert",
            str(self.controller.cert_file),
            "--output-dir",
            str(self.folder / "runs"),
            "--state-file",
            str(self.folder / "state.json"),
            "--agents-wait",
            "0",
            *extra,
        ]
        stdout = io.StringIO()
        code = main(argv, stdout=stdout)
        err = capsys.readouterr().err
        assert self.controller.offline_token not in stdout.getvalue() + err
        text = stdout.getvalue().strip()
        return code, (json.loads(text) if text else None), err


@pytest.fixture
def run(tmp_path: Path, controller: fake_controller.FakeController) -> Iterator[Runner]:
    yield Runner(tmp_path, controller)
