"""Secret values out of everything a bundle holds: the one seam ops/bundle.py calls.

Every string that contains a known secret value (a value set with `pulumi config set --secret`,
the controller credentials) has that value replaced by "[secret]", wherever it sits: pod env,
Deployment templates, agent records, the stack config.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ops.stack import REDACTED


def redact(obj: Any, secrets: Iterable[str]) -> Any:
    # longest first, so a secret that contains another is replaced whole
    values = sorted({s for s in secrets if s}, key=len, reverse=True)

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            for secret in values:
                value = value.replace(secret, REDACTED)
            return value
        if isinstance(value, dict):
            return {key: walk(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [walk(item) for item in value]
        return value

    return walk(obj) if values else obj
