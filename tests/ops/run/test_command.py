"""`python -m ops run` in-process against the fake controller and the fake Kubernetes API."""

from __future__ import annotations

import json
import time
from pathlib import Path
from xml.etree import ElementTree

import pytest

import ops.stack
from ops.run import command
from ops.stack import stack_info
from ops.verify import stack_tag
from tests.ops import fake_kube
from tests.ops.fake_controller import FakeController, agent_json
from tests.ops.fake_kube import FakeKube
from tests.ops.fake_sessions import FakeSessions
from tests.ops.run.conftest import STACK, Runner, definition, outputs

pytest.importorskip("matplotlib", reason="reinstall .venv-ops: requirements-ops.txt pins it")


def test_a_passing_run_exits_0_and_deletes_the_session(
    deployed: FakeKube,
    sessions: FakeSessions,
    run: Runner,
    capsys: pytest.CaptureFixture[str],
) -> None:
    thresholds = {"throughput": {"min": 5e8}, "failedTransactions": {"max": 0}}
    code, summary, err = run(definition(thresholds=thresholds), capsys=capsys)
    assert code == 0, err
    assert summary is not None and summary["verdict"] == "PASS"
    assert sessions.refused == []
    assert sessions.deleted == ["session-1"]
    assert Path(summary["folder"], "junit.xml").is_file()


def test_a_failed_threshold_exits_1_with_a_junit_failure(
    deployed: FakeKube, sessions: FakeSessions, run: Runner, capsys: pytest.CaptureFixture[str]
) -> None:
    thresholds = {"failedConnections": {"max": 0}, "throughput": {"min": 5e8}}
    code, summary, err = run(definition(thresholds=thresholds), capsys=capsys)
    assert code == 1 and summary is not None and summary["verdict"] == "FAIL"
    assert "FAIL failedConnections = 2 (wanted <= 0)" in err
    suite = ElementTree.parse(Path(summary["folder"], "junit.xml")).getroot()[0]
    assert (suite.get("tests"), suite.get("failures")) == ("2", "1")
    failures = {c.get("name"): c.find("failure") for c in suite}
    assert failures["threshold failedConnections"] is not None
    assert failures["threshold throughput"] is None


def test_a_test_error_on_the_controller_exits_8(
    deployed: FakeKube, sessions: FakeSessions, run: Runner, capsys: pytest.CaptureFixture[str]
) -> None:
    sessions.end_status, sessions.details = "ERROR", "agents lost"
    code, summary, _ = run(definition(), capsys=capsys)
    assert code == 8 and summary is not None
    assert (summary["verdict"], summary["details"]) == ("ERROR", "agents lost")
    assert sessions.deleted == ["session-1"]


def test_agents_not_registered_exit_9_before_any_session(
    deployed: FakeKube,
    sessions: FakeSessions,
    run: Runner,
    controller: FakeController,
    capsys: pytest.CaptureFixture[str],
) -> None:
    controller.agents = controller.agents[:-1]
    code, _, err = run(definition(), capsys=capsys)
    assert code == 9 and "agents not ready: 1 agent pods not registered" in err
    assert sessions.created == []


def test_group_is_refused(run: Runner, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(definition(), "--group", "client", capsys=capsys)
    assert code == 2 and "--group: not used by run" in err


def test_a_bad_definition_exits_2_before_reading_the_stack(
    sessions: FakeSessions, run: Runner, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run({"segments": []}, capsys=capsys)
    assert code == 2 and "config: Field required" in err and "reading stack" not in err


def test_the_cool_down_refuses_with_no_wait_and_waits_without(
    deployed: FakeKube,
    sessions: FakeSessions,
    run: Runner,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert run(definition("service"), capsys=capsys)[0] == 0
    code, _, err = run(definition("pod-ip"), "--no-wait", capsys=capsys)
    assert code == 9 and "IP Network 1: service -> pod" in err and "refused (--no-wait)" in err
    assert len(sessions.created) == 1
    waited: list[float] = []
    monkeypatch.setattr(time, "sleep", lambda s: waited.append(s) if s > 1 else None)
    code, _, err = run(definition("pod-ip"), capsys=capsys)
    assert code == 0 and len(waited) == 1 and 100 < waited[0] <= 120
    assert "cool-down: the last run on stack east-west ended" in err and "; waiting 1" in err
    # the same kind of destination again: no wait
    assert run(definition("pod-ip"), capsys=capsys)[0] == 0 and len(waited) == 1


def test_destroy_after_runs_on_pass_and_on_failure(
    deployed: FakeKube,
    sessions: FakeSessions,
    run: Runner,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    destroyed: list[str] = []
    monkeypatch.setattr(command, "destroy", lambda stack, folder, progress: destroyed.append(stack))
    assert run(definition(), "--destroy-after", capsys=capsys)[0] == 0
    sessions.end_status = "ERROR"
    assert run(definition(), "--destroy-after", capsys=capsys)[0] == 8
    assert run({"segments": []}, "--destroy-after", capsys=capsys)[0] == 2
    assert destroyed == ["east-west", "east-west", "east-west"]


def test_a_run_that_sent_no_traffic_leaves_the_cool_down_state_alone(
    deployed: FakeKube, sessions: FakeSessions, run: Runner, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(definition("service"), capsys=capsys)[0] == 0
    before = (run.folder / "state.json").read_text()
    code, _, err = run(definition("pod-ip"), "--no-wait", capsys=capsys)
    assert code == 9 and "refused (--no-wait)" in err
    # a config the controller does not have: no session, no traffic
    code, _, err = run({**definition("service"), "config": {"name": "gone"}}, capsys=capsys)
    assert code == 9 and "session not created: config 'gone': not on the controller" in err
    assert (run.folder / "state.json").read_text() == before


def test_node_port_targets_a_ready_nodes_internal_ip(
    deployed: FakeKube, sessions: FakeSessions, run: Runner, capsys: pytest.CaptureFixture[str]
) -> None:
    code, summary, _ = run(definition("node-port"), capsys=capsys)
    assert code == 0 and summary is not None
    assert summary["targets"]["IP Network 1"]["host"] == "172.18.0.4"
    assert dict(sessions.patches)["NetworkProfiles/1/DUTNetworkSegment/1"]["ServerDUTPort"] == 30080
    deployed.nodes[0]["status"]["conditions"][0]["status"] = "False"
    code, _, err = run(definition("node-port"), capsys=capsys)
    assert code == 9 and "no Ready node with an InternalIP" in err


def test_a_secret_controller_setup_output_cannot_be_wired(
    kube: FakeKube,
    sessions: FakeSessions,
    run: Runner,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    values = {k: (v, k == "controllerSetup") for k, v in outputs().items()}
    # the stack's own cluster: every command reads it (and names it) first
    config = {
        "cyperf-k8s:kubeconfig": (json.dumps(fake_kube.kubeconfig(kube.url)), True),
        "cyperf-k8s:controllerAddress": ("192.0.2.10", False),
    }
    stack = stack_info(STACK, config, values)
    monkeypatch.setattr(ops.stack, "read_stack", lambda name, project_dir: stack)
    code, _, err = run(definition(), capsys=capsys)
    assert code == 9 and "the controllerSetup output is secret" in err
    assert sessions.created == []


def test_stale_registrations_are_listed_and_removed_only_with_prune(
    deployed: FakeKube,
    sessions: FakeSessions,
    controller: FakeController,
    run: Runner,
    capsys: pytest.CaptureFixture[str],
) -> None:
    stale = agent_json("stale-1", "10.244.9.9", [stack_tag(STACK, "client")], offline=True)
    foreign = agent_json("lab-1", "10.244.9.8", [stack_tag("lab", "client")], offline=True)
    controller.agents += [stale, foreign]
    code, _, err = run(definition(), capsys=capsys)
    assert code == 0, err
    assert "stale registration stale-1 at 10.244.9.9 (stale-1): --prune removes it" in err
    assert "lab-1" not in err
    assert [m for m, _, _ in controller.requests if m == "DELETE"] == []
    code, _, err = run(definition(), "--prune", capsys=capsys)
    assert code == 0, err
    assert "stale registration stale-1 at 10.244.9.9 (stale-1): removed (--prune)" in err
    deleted = [path for method, path, _ in controller.requests if method == "DELETE"]
    assert deleted == ["/api/v2/agents/stale-1"]
    assert sorted(a["id"] for a in controller.agents) == ["c1", "c2", "lab-1", "s0", "s1"]
