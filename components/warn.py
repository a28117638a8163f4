"""Where every settings warning reaches the user: `pulumi preview` and `up` print each once, with
the strings of values set with `--secret` scrubbed (a warning may quote a setting, such as a
controller name)."""

from __future__ import annotations

from collections.abc import Iterable

import pulumi

from components.settings.problems import KeyWarning, scrub

# The strings of this run's `--secret` values; the program sets them before any warning.
_secrets: frozenset[str] = frozenset()


def conceal_secrets(secrets: frozenset[str]) -> None:
    global _secrets
    _secrets = secrets


def warn(warnings: Iterable[KeyWarning]) -> None:
    for warning in warnings:
        pulumi.log.warn(scrub(str(warning), _secrets))
