"""The exit codes of `python -m ops` and the errors that end in them (one per failure kind).

Every day-two command returns one of these codes; `cli.main` turns an `OpsError` into one line on
stderr, `error: <cause>; fix: <what to do>`, and its class's code. Any other exception is a bug or
an answer nobody expected: one line naming it, code 10.
"""

from __future__ import annotations

EXIT_OK = 0
# verify/status: agents missing, offline or mistagged; doctor: a FAIL; run: a threshold failed
EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2
EXIT_BUNDLE_INCOMPLETE = 3
EXIT_STACK_UNREADABLE = 4
EXIT_UNREACHABLE = 5
EXIT_TLS = 6
EXIT_CREDENTIALS = 7
EXIT_TEST_ERROR = 8
EXIT_CANNOT_RUN = 9
EXIT_INTERNAL = 10
EXIT_INTERRUPTED = 130

# The text every command's --help ends with (and docs/day-two.md repeats).
EXIT_CODES_HELP = """exit codes:
  0    ok
  1    the check failed (verify/status: agents missing, offline or mistagged; doctor: a FAIL;
       run: a threshold failed)
  2    usage: bad option, missing file, bad test definition
  3    logs: bundle written but incomplete (its index.json lists what is missing)
  4    stack or cluster unreadable
  5    controller unreachable or timed out
  6    controller TLS failure
  7    controller credentials missing, refused or expired
  8    run: the test ended in error on the controller
  9    run: could not run (agents not ready, cool-down, session not created)
  10   internal error (a bug, or an answer nobody expected)
  130  interrupted"""


class OpsError(Exception):
    """A failure the user can act on: `cause`, and where known the `fix`."""

    exit_code = EXIT_STACK_UNREADABLE

    def __init__(self, cause: str, fix: str | None = None) -> None:
        super().__init__(cause if fix is None else f"{cause}; fix: {fix}")
        self.cause = cause
        self.fix = fix


class UsageError(OpsError):
    """Bad command line, missing file named on it, bad test definition."""

    exit_code = EXIT_USAGE


class StackUnreadableError(OpsError):
    """The Pulumi stack, its kubeconfig or the cluster's API server could not be read."""

    exit_code = EXIT_STACK_UNREADABLE


class UnreachableError(OpsError):
    """The controller did not answer: connection refused, no route, timed out."""

    exit_code = EXIT_UNREACHABLE


class TlsError(OpsError):
    """The controller's certificate is not trusted, or the handshake failed."""

    exit_code = EXIT_TLS


class CredentialsError(OpsError):
    """Controller credentials missing, refused or expired."""

    exit_code = EXIT_CREDENTIALS


class TestEndedInError(OpsError):
    """run: the test ended in error on the controller."""

    __test__ = False  # not a pytest class, whatever its name
    exit_code = EXIT_TEST_ERROR


class CannotRunError(OpsError):
    """run: agents not ready, cool-down refused with --no-wait, session not created."""

    exit_code = EXIT_CANNOT_RUN


class MalformedAnswerError(OpsError):
    """The controller or the API server answered something its own schema does not allow."""

    exit_code = EXIT_INTERNAL


def first_line(err: Exception) -> str:
    """The first line of an exception's text (its class name when it has none)."""
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
