"""`python -m ops run` in-process against the fake controller and the fake Kubernetes API."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import pytest

from ops.run import command, flow, session
from tests.ops.fake_controller import FakeController
from tests.ops.fake_kube import FakeKube
from tests.ops.fake_sessions import BUNDLE, FakeSessions
from tests.ops.run.conftest import Runner, definition

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


def test_the_session_holds_the_stack_wiring_and_the_files_hold_the_fakes_numbers(
    deployed: FakeKube, sessions: FakeSessions, run: Runner, capsys: pytest.CaptureFixture[str]
) -> None:
    code, summary, _ = run(definition("pod-ip", objectives={"duration": 60}), capsys=capsys)
    assert code == 0 and summary is not None
    patched = dict(sessions.patches)
    assert patched["NetworkProfiles/1/DUTNetworkSegment/1"]["ServerDUTHost"] == "10.244.0.3"
    assert patched["NetworkProfiles/1/IPNetworkSegment/1"]["agentAssignments"]["ByTag"] == [
        "cyperf-k8s=east-west.client"
    ]
    assert sessions.created == [{"configUrl": "appsec-1"}]
    assert sessions.operations == ["start", "generate-all"]
    folder = Path(summary["folder"])
    document = json.loads((folder / "statistics.json").read_text())
    assert document["series"]["throughput"] == [[0.0, 8.0e8], [1.0, 1.0e9], [2.0, 1.2e9]]
    rows = (folder / "statistics.csv").read_text().splitlines()
    assert "connectionRate,2,1100" in rows
    assert (folder / "results-bundle.zip").read_bytes() == BUNDLE
    assert (folder / "report.png").read_bytes()[:4] == b"\x89PNG"
    assert summary["targets"]["IP Network 1"] == {
        "mode": "pod-ip",
        "host": "10.244.0.3",
        "port": 80,
        "server": "server",
    }


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


def test_ctrl_c_stops_the_test_and_deletes_the_session(
    deployed: FakeKube,
    sessions: FakeSessions,
    run: Runner,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = []

    def interrupt_once(seconds: float) -> None:
        # only the first wait between two polls of the running test
        if seconds == flow.POLL_SECONDS:
            calls.append(seconds)
            if len(calls) == 1:
                raise KeyboardInterrupt

    monkeypatch.setattr(flow, "POLL_SECONDS", 0.001)
    monkeypatch.setattr(session.time, "sleep", interrupt_once)
    code, summary, err = run(definition(), capsys=capsys)
    assert code == 130 and summary is not None and summary["interrupted"] is True
    assert sessions.operations == ["start", "stop", "generate-all"]
    assert "interrupted: stopping the test" in err
    assert sessions.deleted == ["session-1"]


def test_keep_session_leaves_it(
    deployed: FakeKube, sessions: FakeSessions, run: Runner, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = run(definition(), "--keep-session", capsys=capsys)
    assert code == 0 and sessions.deleted == [] and list(sessions.sessions) == ["session-1"]


def test_an_exported_config_is_uploaded(
    deployed: FakeKube,
    sessions: FakeSessions,
    run: Runner,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (run.folder / "http.zip").write_bytes(b"zip bytes")
    code, _, _ = run({**definition(), "config": {"file": "http.zip"}}, capsys=capsys)
    assert code == 0
    assert sessions.uploads == [b"zip bytes"]
    assert sessions.created == [{"configUrl": "appsec-imported-1"}]


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
    monkeypatch.setattr(command.time, "sleep", lambda s: waited.append(s) if s > 1 else None)
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
    assert destroyed == ["east-west", "east-west"]
