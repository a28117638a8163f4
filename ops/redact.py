"""Redaction of what a bundle holds (objects, agent records, log lines) by the program's own rule
(components/secrecy.py `mentions`): a container env value that equals a value set with `--secret`,
contains one of at least 4 characters, or has it as one of its `,`/`=`-separated parts (AGENT_TAGS
renders `k=v,k=v`) is registered secret by the program, and shows as `[secret]` in the bundle,
in every object that carries it (pods, Deployments, ReplicaSets) and in every log line. Other
fields stay as the program registers them: with a whole `agentGroups` set `--secret`, every role
and name would count, and hiding them would leave nothing to read. Controller tokens and
passwords are hidden wherever they occur.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from components.secrecy import mentions
from components.settings.problems import MIN_SECRET_SUBSTRING
from ops.stack import REDACTED, Secret, StackInfo


class Redactor:
    """`secrets`: every string of the stack's secret config values (JSON ones decoded);
    `always`: strings hidden wherever they occur (controller tokens and passwords)."""

    def __init__(self, secrets: Iterable[str], always: Iterable[str] = ()) -> None:
        self.secrets = frozenset(s for s in secrets if s)
        self.always = frozenset(s for s in always if s)
        # what log lines are scrubbed of: `always`, and each env value found secret
        self._in_text: set[str] = set(self.always)

    @classmethod
    def for_stack(cls, stack: StackInfo) -> Redactor:
        """The stack's secret config strings; its controller token and password always."""
        always = [v.value for v in stack.ops_config.values() if isinstance(v, Secret)]
        return cls(stack.secret_values, always)

    def value(self, value: Any) -> Any:
        """A Kubernetes object (pod, Deployment, ReplicaSet: any JSON document) with each
        container env value that mentions a secret, and any string holding an `always` one,
        replaced by `[secret]`: what the program registers secret, and no more (names, labels
        and selectors stay readable, as in the program)."""
        if isinstance(value, str):
            return REDACTED if any(a in value for a in self.always) else value
        if isinstance(value, Mapping):
            return {
                k: self._env(v) if k == "env" and isinstance(v, list) else self.value(v)
                for k, v in value.items()
            }
        if isinstance(value, list | tuple):
            return [self.value(v) for v in value]
        return value

    def record(self, value: Any) -> Any:
        """A controller record (an agent): every string that mentions a secret redacted."""
        if isinstance(value, str):
            hidden = mentions(value, self.secrets) or any(a in value for a in self.always)
            return REDACTED if hidden else value
        if isinstance(value, Mapping):
            return {k: self.record(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.record(v) for v in value]
        return value

    def text(self, line: str) -> str:
        """A log line with each secret env value and `always` string replaced by `[secret]`
        (the rest of the line stays readable)."""
        for secret in sorted(self._in_text, key=len, reverse=True):
            if secret in line:
                line = line.replace(secret, REDACTED)
        return line

    @property
    def scrubs_text(self) -> bool:
        return bool(self._in_text)

    def _env(self, entries: list[Any]) -> list[Any]:
        redacted = []
        for entry in entries:
            value = entry.get("value") if isinstance(entry, Mapping) else None
            if isinstance(value, str) and mentions(value, self.secrets):
                if len(value) >= MIN_SECRET_SUBSTRING:
                    self._in_text.add(value)
                entry = {**entry, "value": REDACTED}
            redacted.append(self.value(entry))
        return redacted


# The kubeconfig is secret whatever is set; its strings ("v1", "Config", the server URL) are no
# one's secret elsewhere (components/settings/loading.py leaves it out the same way).
ALWAYS_SECRET_KEYS = frozenset({"cyperf-k8s:kubeconfig"})


def secret_strings(config: Mapping[str, tuple[Any, bool]]) -> frozenset[str]:
    """Every string of the config values marked secret (`{key: (value, is_secret)}`), objects
    (JSON text through the Automation API) decoded to their strings and map keys."""
    found: set[str] = set()
    for key, (value, secret) in config.items():
        if secret and key not in ALWAYS_SECRET_KEYS:
            found |= _leaves(value)
    return frozenset(found)


def _leaves(value: Any) -> set[str]:
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except ValueError:
            return {value}
        return {value} | (_leaves(decoded) if isinstance(decoded, dict | list) else set())
    if isinstance(value, dict):
        return {t for k, v in value.items() for t in {str(k), *_leaves(v)}}
    if isinstance(value, list):
        return {t for v in value for t in _leaves(v)}
    return set()
