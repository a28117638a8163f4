"""Values set with `pulumi config set --secret` stay secret in everything derived from them.

The settings remember every string of the keys set with `--secret` (`secret_values`). A container
env value (where secrets belong: the controller address, tags, license keys) and a stack output
that mentions one of them is wrapped in `pulumi.Output.secret`, whatever key it came from.
Other object fields (names, labels, annotations, selectors, Service settings) are registered as
given: with a whole `agentGroups` set `--secret`, every role, type and quantity string of it is a
"secret", and concealing each field that mentions one would hide whole objects for no gain.
"Mentions": equals a secret string, contains one of at least `MIN_SECRET_SUBSTRING` characters,
or has it as one of its `,`/`=`-separated parts (AGENT_TAGS renders `k=v,k=v`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

from components.settings.problems import MIN_SECRET_SUBSTRING


def mentions(value: Any, secrets: frozenset[str]) -> bool:
    if isinstance(value, str):
        return (
            value in secrets
            or any(len(s) >= MIN_SECRET_SUBSTRING and s in value for s in secrets)
            or any(part in secrets for part in re.split(r"[,=]", value))
        )
    if isinstance(value, Mapping):
        return any(mentions(k, secrets) or mentions(v, secrets) for k, v in value.items())
    if isinstance(value, Sequence):
        return any(mentions(v, secrets) for v in value)
    return False


def conceal(value: pulumi.Input[Any], secrets: frozenset[str]) -> pulumi.Output[Any]:
    """`value`, secret once resolved if it mentions a secret."""
    output = pulumi.Output.from_input(value)
    if not secrets:
        return output
    return output.apply(lambda v: pulumi.Output.secret(v) if mentions(v, secrets) else v)


def conceal_env(env: Sequence[Mapping[str, str]], secrets: frozenset[str]) -> list[dict[str, Any]]:
    """A container's env with each value that mentions a secret registered secret."""
    return [
        {**entry, "value": pulumi.Output.secret(entry["value"])}
        if mentions(entry["value"], secrets)
        else dict(entry)
        for entry in env
    ]
