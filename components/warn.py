"""Where every settings warning reaches the user: `pulumi preview` and `up` print each once."""

from __future__ import annotations

from collections.abc import Iterable

import pulumi

from components.settings.problems import KeyWarning


def warn(warnings: Iterable[KeyWarning]) -> None:
    for warning in warnings:
        pulumi.log.warn(str(warning))
