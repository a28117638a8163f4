"""The run on the controller (ops/run/flow.py) through `python -m ops run` against the fakes:
the session holds the stack's wiring, the files hold the fake's numbers, Ctrl-C stops the test."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from ops.run import flow
from tests.ops.fake_kube import FakeKube
from tests.ops.fake_sessions import BUNDLE, FakeSessions
from tests.ops.run.conftest import Runner, definition

pytest.importorskip("matplotlib", reason="reinstall .venv-ops: requirements-ops.txt pins it")


def test_the_session_holds_the_stack_wiring_and_the_files_hold_the_fakes_numbers(
    deployed: FakeKube, sessions: FakeSessions, run: Runner, capsys: pytest.CaptureFixture[str]
) -> None:
    sessions.duration = 60
    code, summary, err = run(definition("pod-ip", objectives={"duration": 60}), capsys=capsys)
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
    assert "STARTED: 10s elapsed, 50s remaining; throughput 1.2e+09, connectionRate 1100" in err
    assert summary["targets"]["IP Network 1"] == {
        "mode": "pod-ip",
        "host": "10.244.0.3",
        "port": 80,
        "server": "server",
    }


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
    monkeypatch.setattr(time, "sleep", interrupt_once)
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
    assert sessions.deleted == ["session-1", "config imported-1"]
