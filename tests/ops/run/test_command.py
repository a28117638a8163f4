"""`python -m ops run` in-process against the fake controller and the fake Kubernetes API."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ops.fake_kube import FakeKube
from tests.ops.fake_sessions import FakeSessions
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
