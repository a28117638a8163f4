"""Each error kind of the operations CLI ends in its documented exit code, as one
`error: <cause>; fix: <fix>` line on stderr; an unexpected exception is an internal error (10)."""

from __future__ import annotations

import io

import pytest

import ops.cli
from ops.errors import (
    EXIT_CODES_HELP,
    CannotRunError,
    CredentialsError,
    MalformedAnswerError,
    OpsError,
    StackUnreadableError,
    TlsError,
    UnreachableError,
    UsageError,
)


def exit_code_of(error: BaseException, monkeypatch: pytest.MonkeyPatch) -> int:
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
        (StackUnreadableError("cannot read stack 'east-west': error: no stack"), 4),
        (UnreachableError("controller https://192.0.2.10: timed out"), 5),
        (TlsError("controller https://192.0.2.10: TLS certificate not trusted"), 6),
        (CredentialsError("login refused", fix="check CYPERF_OFFLINE_TOKEN"), 7),
        (CannotRunError("agents not ready"), 9),
        (MalformedAnswerError("agent without an id"), 10),
    ],
)
def test_each_error_exits_with_its_code_and_one_line(
    error: OpsError, code: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert exit_code_of(error, monkeypatch) == code
    assert capsys.readouterr().err == f"error: {error}\n"


def test_an_unexpected_exception_is_an_internal_error_not_a_failed_check(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: a KeyError from a malformed answer escaped as a traceback (or read as code 1).
    assert exit_code_of(KeyError("IP"), monkeypatch) == 10
    err = capsys.readouterr().err
    assert err.startswith("error: internal error (KeyError: 'IP'); fix: ")
    assert len(err.splitlines()) == 1


def test_interrupted_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    assert exit_code_of(KeyboardInterrupt(), monkeypatch) == 130


def test_the_fix_follows_the_cause_on_one_line() -> None:
    error = CredentialsError("login refused (400 invalid_grant)", fix="create a new token")
    assert str(error) == "login refused (400 invalid_grant); fix: create a new token"
    assert (error.cause, error.fix, error.exit_code) == (
        "login refused (400 invalid_grant)",
        "create a new token",
        7,
    )


def test_every_code_is_in_the_help() -> None:
    text = EXIT_CODES_HELP
    for code in (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 130):
        assert f"{code} " in text
