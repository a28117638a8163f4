"""`ops status`: the reason column from real pod shapes, the table and its JSON document, and the
command end to end against the fake Kubernetes API and the fake controller."""

from __future__ import annotations

import dataclasses
import io
import json
from typing import Any

import pytest

import ops.stack
import ops.status
import ops.verify
from ops.cli import main
from ops.pods import agent_pod
from ops.status import SCHEMA_VERSION, last_reason, render, rows
from ops.verify import match
from tests.ops.conftest import CLIENT_TAGS, SERVER_TAGS, make_stack
from tests.ops.fake_controller import FakeController, agent_json
from tests.ops.fake_kube import FakeKube, pod_json

CREDENTIAL_ENV = ("CYPERF_OFFLINE_TOKEN", "CYPERF_USERNAME", "CYPERF_PASSWORD")


def with_status(pod: dict[str, Any], **status: Any) -> dict[str, Any]:
    pod["status"].update(status)
    return pod


def test_last_reason_names_the_kubelets_or_schedulers_own_reason() -> None:
    evicted = with_status(pod_json("a", "client", None, "n1"), phase="Failed", reason="Evicted")
    assert last_reason(evicted) == "Evicted"
    crashing = pod_json("b", "client", "10.0.0.2", "n1", restarts=4)
    crashing["status"]["containerStatuses"][0]["state"] = {
        "waiting": {"reason": "CrashLoopBackOff"}
    }
    assert last_reason(crashing) == "CrashLoopBackOff"
    oom = pod_json("c", "client", "10.0.0.3", "n1", restarts=1)
    oom["status"]["containerStatuses"][0]["lastState"] = {"terminated": {"reason": "OOMKilled"}}
    assert last_reason(oom) == "OOMKilled"
    pending = pod_json("d", "client", None, None, ready=False)
    pending["status"]["conditions"] = [
        {"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}
    ]
    assert last_reason(pending) == "Unschedulable"
    leaving = pod_json("e", "client", "10.0.0.5", "n1")
    leaving["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    assert last_reason(leaving) == "Terminating"
    creating = pod_json("f", "client", None, "n1", ready=False)
    creating["status"]["containerStatuses"][0]["state"] = {
        "waiting": {"reason": "ContainerCreating"}
    }
    assert last_reason(creating) is None
    assert last_reason(pod_json("g", "client", "10.0.0.7", "n1")) is None


def test_rows_join_pods_with_their_agents_and_render_a_table() -> None:
    pods = [
        agent_pod(pod_json("c1", "client", "10.0.0.1", "n1", restarts=2)),
        agent_pod(pod_json("c2", "client", "10.0.0.2", "n2", ready=False)),
    ]
    agents = [
        ops.verify.ControllerAgent(
            "id-1", "10.0.0.1", tuple(CLIENT_TAGS.split(",")), False, "IDLE", "c1"
        ),
        ops.verify.ControllerAgent(
            "stale", "10.9.9.9", tuple(CLIENT_TAGS.split(",")), True, "OFFLINE", "old"
        ),
    ]
    report = match(pods, agents, {"client": CLIENT_TAGS})
    table = rows(pods, report)
    assert [(r.pod, r.registration, r.agent_id, r.hostname, r.restarts) for r in table] == [
        ("c1", "registered", "id-1", "c1", 2),
        ("c2", "missing", None, None, 0),
    ]
    lines = render(table, ops.status.extras(report))
    assert lines[0].split() == [
        "GROUP", "POD", "READY", "RESTARTS", "LAST", "REASON", "NODE", "IP", "AGENT",
        "HOSTNAME", "REGISTRATION", "NTP",
    ]  # fmt: skip
    assert lines[1].split() == [
        "client", "c1", "yes", "2", "-", "n1", "10.0.0.1", "id-1", "c1", "registered", "-",
    ]  # fmt: skip
    assert lines[2].split()[:4] == ["client", "c2", "no", "0"]
    assert lines[3].startswith("extra agent stale at 10.9.9.9 (offline)")
    # every column lines up under its title
    assert lines[1].index("n1") == lines[0].index("NODE")


@pytest.fixture
def deployed(kube: FakeKube, monkeypatch: pytest.MonkeyPatch) -> FakeKube:
    kube.pods = [
        pod_json("client-1", "client", "10.244.0.1", "node-c1"),
        pod_json("server-1", "server", "10.244.0.3", "node-s1", tags=SERVER_TAGS),
    ]
    stack = make_stack(kube.url)
    monkeypatch.setattr(ops.stack, "read_stack", lambda name, project_dir: stack)
    for key in CREDENTIAL_ENV:
        monkeypatch.delenv(key, raising=False)
    return kube


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    stdout = io.StringIO()
    code = main(["status", "--stack", "east-west", *argv], stdout=stdout)
    return code, stdout.getvalue(), capsys.readouterr().err


def controller_args(controller: FakeController) -> list[str]:
    assert controller.cert_file is not None
    host = controller.url.removeprefix("https://")
    return ["--controller", host, "--ca-cert", str(controller.cert_file)]


def test_status_json_with_registration(
    deployed: FakeKube,
    controller: FakeController,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CYPERF_OFFLINE_TOKEN", controller.offline_token)
    controller.agents = [agent_json("c1", "10.244.0.1", CLIENT_TAGS.split(","))]
    code, out, _ = run([*controller_args(controller), "--json"], capsys)
    assert code == 1  # server-1 has no agent
    document = json.loads(out)
    assert document["schemaVersion"] == SCHEMA_VERSION == 1
    assert document["registrationChecked"] is True and document["ok"] is False
    assert [(p["pod"], p["registration"], p["agentId"]) for p in document["pods"]] == [
        ("client-1", "registered", "c1"),
        ("server-1", "missing", None),
    ]
    controller.agents.append(agent_json("s1", "10.244.0.3", SERVER_TAGS.split(",")))
    code, out, _ = run([*controller_args(controller), "--json"], capsys)
    assert code == 0 and json.loads(out)["ok"] is True


def test_status_without_credentials_shows_pods_and_says_how(
    deployed: FakeKube, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run([], capsys)
    assert code == 0
    assert "registration not checked: no controller credentials; set CYPERF_OFFLINE_TOKEN" in err
    lines = out.splitlines()
    assert lines[0].startswith("cluster ") and lines[0].endswith(", namespace cyperf")
    assert [line.split()[-2:] for line in lines[2:]] == [["-", "-"], ["-", "-"]]
    deployed.pods[0] = pod_json("client-1", "client", "10.244.0.1", "node-c1", ready=False)
    code, _, _ = run([], capsys)
    assert code == 1  # a pod not ready fails even without credentials


def test_status_fails_on_an_empty_namespace(
    deployed: FakeKube, capsys: pytest.CaptureFixture[str]
) -> None:
    deployed.pods = []
    code, out, err = run(["--json"], capsys)
    assert code == 1 and json.loads(out)["pods"] == []
    assert "no agent pods in namespace cyperf" in err


def test_status_wait_polls_until_registered(
    deployed: FakeKube,
    controller: FakeController,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CYPERF_OFFLINE_TOKEN", controller.offline_token)
    late = [
        agent_json("c1", "10.244.0.1", CLIENT_TAGS.split(",")),
        agent_json("s1", "10.244.0.3", SERVER_TAGS.split(",")),
    ]
    polls: list[float] = []

    def sleep(seconds: float) -> None:
        polls.append(seconds)
        controller.agents = late

    monkeypatch.setattr(ops.status, "sleep", sleep)
    code, out, err = run([*controller_args(controller), "--wait", "60", "--interval", "5"], capsys)
    assert code == 0 and polls == [5]
    assert "2 of 2 agent pods not ready or not registered yet" in err
    assert out.count("GROUP") == 1  # printed once, when done


def test_status_watch_reprints_until_interrupted(
    deployed: FakeKube, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(ops.status, "sleep", sleep)
    code, out, _ = run(["--watch", "--json", "--interval", "2"], capsys)
    assert code == 130 and sleeps == [2, 2]
    documents = [json.loads(line) for line in out.splitlines()]
    assert len(documents) == 2 and all(d["schemaVersion"] == 1 for d in documents)


def test_status_refuses_wait_with_watch(
    deployed: FakeKube, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["--watch", "--wait", "5"], capsys)
    assert code == 2 and "not allowed with argument" in err


def test_status_is_never_green_for_a_group_short_of_its_pods(
    deployed: FakeKube,
    controller: FakeController,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # every pod ready and registered, but the stack deployed 2 clients: the wrong cluster?
    setup = {"agentAssignment": {"client": {"replicas": 2}, "server": {"replicas": 1}}}
    stack = dataclasses.replace(
        make_stack(deployed.url), replicas=ops.stack.deployed_replicas(setup, None)
    )
    monkeypatch.setattr(ops.stack, "read_stack", lambda name, project_dir: stack)
    code, out, _ = run([], capsys)
    assert code == 1
    assert "short pods of group client: 1 of the 2 the stack deployed" in out
    monkeypatch.setenv("CYPERF_OFFLINE_TOKEN", controller.offline_token)
    controller.agents = [
        agent_json("c1", "10.244.0.1", CLIENT_TAGS.split(",")),
        agent_json("s1", "10.244.0.3", SERVER_TAGS.split(",")),
    ]
    code, out, _ = run([*controller_args(controller), "--json"], capsys)
    document = json.loads(out)
    assert code == 1 and document["ok"] is False
    assert document["short"] == [
        {"item": "pods of group client", "error": "1 of the 2 the stack deployed"}
    ]
    assert document["cluster"] == f"{deployed.url} (context fake of the stack's kubeconfig)"


def test_status_ntp_column_is_the_controllers_ntp_status(
    deployed: FakeKube,
    controller: FakeController,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CYPERF_OFFLINE_TOKEN", controller.offline_token)
    controller.agents = [
        agent_json("c1", "10.244.0.1", CLIENT_TAGS.split(","), ntpInfo={"status": "synchronized"}),
        agent_json("s1", "10.244.0.3", SERVER_TAGS.split(",")),
    ]
    code, out, _ = run([*controller_args(controller), "--json"], capsys)
    assert code == 0
    assert [(p["pod"], p["ntp"]) for p in json.loads(out)["pods"]] == [
        ("client-1", "synchronized"),
        ("server-1", None),
    ]
