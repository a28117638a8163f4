"""One way to report bad settings: a `Problem` at a config key path, rendered as
`cyperf-k8s:<dotted.path[i]>: <what is allowed> (got <value>)`, collected into one `Problems`
error so a run reports every problem at once.

Checks that span several keys raise `Problems` from a model validator with paths relative to that
model; loading prefixes the model's own location. Checks that need a cloud lookup raise it from
the lookup's callback with paths from the config root.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

PROJECT = "cyperf-k8s"

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    # Config key names (camelCase, as in the stack file) and list indexes.
    path: Path
    # What is wrong and what is allowed.
    message: str
    # The offending value; a SecretStr is never shown.
    value: Any
    # The config namespace of the key: the project's, or a provider's (`aws` for aws:profile).
    namespace: str = PROJECT


def config_key(path: Sequence[str | int], namespace: str = PROJECT) -> str:
    """`("agentGroups", 1, "architecture")` -> `cyperf-k8s:agentGroups[1].architecture`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else ("." if text else "") + part
    return f"{namespace}:{text}"


@dataclass(frozen=True)
class Hidden:
    """A value a message must not show, and why."""

    reason: str


def describe(value: Any) -> str:
    if isinstance(value, SecretStr):
        return "value hidden: it is a secret"
    if isinstance(value, Hidden):
        return f"value hidden: {value.reason}"
    if isinstance(value, (dict, list)):
        text = json.dumps(value, sort_keys=True)
        return "got " + (text if len(text) <= 120 else text[:117] + "...")
    return f"got {value!r}"


def render(problem: Problem) -> str:
    key = config_key(problem.path, problem.namespace)
    return f"{key}: {problem.message} ({describe(problem.value)})"


class Problems(ValueError):
    """Every problem found, rendered one per line (what `pulumi up` prints)."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__(
            "invalid stack configuration:\n" + "\n".join(f"  - {line}" for line in self.lines)
        )

    @property
    def lines(self) -> list[str]:
        return [render(p) for p in self.problems]


def raise_any(problems: Sequence[Problem]) -> None:
    if problems:
        raise Problems(problems)


@dataclass(frozen=True)
class KeyWarning:
    """A setting that is accepted but probably not what was meant, or a consequence the user
    should know before `up`: rendered like a `Problem` (`cyperf-k8s:<key path>: <message>`) and
    logged once by `components.warn`. Named so it does not shadow Python's own `Warning`."""

    path: Path
    message: str
    namespace: str = PROJECT

    def __str__(self) -> str:
        return f"{config_key(self.path, self.namespace)}: {self.message}"


# Secret strings shorter than this count only as whole values: they are not scrubbed from inside
# messages, nor does a longer text that contains one count as secret (components.secrecy); either
# would garble or conceal most text for a one-letter tag and hide little.
MIN_SECRET_SUBSTRING = 4


def scrub(message: str, secrets: Iterable[str]) -> str:
    """`message` with every secret string of at least MIN_SECRET_SUBSTRING characters (and its
    quoted form) replaced by `<secret>`, longest first."""
    for text in sorted(secrets, key=len, reverse=True):
        if len(text) >= MIN_SECRET_SUBSTRING:
            message = message.replace(repr(text), "<secret>").replace(text, "<secret>")
    return message


def only_with(condition: str, current: Any, fix: str = "remove it") -> str:
    """The one sentence shape for a key that applies only together with another setting:
    `applies only with <condition> (<current>); <fix>`."""
    return f"applies only with {condition} ({current}); {fix}"


def repeated(values: Sequence[Any]) -> list[Any]:
    """The values that occur more than once, sorted (for the uniqueness checks)."""
    seen: set[Any] = set()
    twice: set[Any] = set()
    for value in values:
        (twice if value in seen else seen).add(value)
    return sorted(twice)
