"""The two errors of the operations CLI end in their documented exit codes, each as one
`error: <message>` line on stderr: a usage error in 2, any other failure to read in 4."""

from __future__ import annotations

import io

import pytest

import ops.cli
from ops.errors import OpsError, UsageError


def exit_code_of(error: Exception, monkeypatch: pytest.MonkeyPatch) -> int:
    def fail(*args: object) -> int:
        raise error

    monkeypatch.setattr(ops.cli, "run_logs", fail)
    return ops.cli.main(["logs", "--stack", "east-west"], stdout=io.StringIO())


def test_a_usage_error_is_an_ops_error() -> None:
    # Whatever catches OpsError (every reader of the stack, cluster or controller) also stops
    # on a usage error.
    assert issubclass(UsageError, OpsError)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (UsageError("--since: a positive duration (got '1d')"), 2),
        (OpsError("cannot read stack 'east-west': error: no stack"), 4),
    ],
)
def test_each_error_exits_with_its_code_and_one_line(
    error: OpsError, code: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert exit_code_of(error, monkeypatch) == code
    assert capsys.readouterr().err == f"error: {error}\n"
