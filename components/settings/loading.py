"""Loading the settings from the stack config: decode the engine's strings, pick the model
(`cluster: eks` loads the EKS sections, nothing else does) and turn every validation error into a
located `Problem`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import SecretStr, ValidationError

from components.settings.problems import PROJECT, Problem, Problems
from components.settings.stack import StackSettings

STRING_KEYS = frozenset(
    {
        "cyperfRelease",
        "controllerAddress",
        "kubeconfig",
        "kubeContext",
        "namespace",
        "clusterDnsService",
    }
)
SECRET_KEYS = frozenset({"kubeconfig"})


def _decode(key: str, raw: Any) -> Any:
    """Config values arrive as strings; objects and lists as JSON text."""
    if key in STRING_KEYS or not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def read_stack_config() -> dict[str, Any]:
    """Every config value the engine handed this program (`pulumi.Config` reads one key at a time
    and cannot tell us about keys we do not know, which is how typos are caught)."""
    from pulumi.runtime import config as runtime_config

    return {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}


def _problems(err: ValidationError, data: Mapping[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    for error in err.errors(include_url=False):
        loc = tuple(p for p in error["loc"] if p not in ("function-after", "function-before"))
        found = error.get("ctx", {}).get("error")
        if isinstance(found, Problems):
            problems.extend(Problem((*loc, *p.path), p.message, p.value) for p in found.problems)
            continue
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = (
                f"applies only with cluster 'eks' (cluster is {data.get('cluster')!r}); set "
                f"{PROJECT}:cluster to 'eks' or remove {PROJECT}:eks"
                if loc == ("eks",)
                else "is not a known setting (check the spelling; see README)"
            )
        value = error["input"]
        if loc and loc[0] in SECRET_KEYS:
            value = SecretStr(str(value))
        problems.append(Problem(loc, message, value))
    return problems


def parse_settings(config: Mapping[str, Any]) -> StackSettings:
    """Parse `{"cyperf-k8s:<key>": raw value}` (the stack config) into settings; raise `Problems`
    naming every bad key at once.

    Keys of other namespaces (`aws:region`, `kubernetes:...`) are left to their providers.
    """
    prefix = f"{PROJECT}:"
    data = {
        key[len(prefix) :]: _decode(key[len(prefix) :], value)
        for key, value in sorted(config.items())
        if key.startswith(prefix)
    }
    model: type[StackSettings] = StackSettings
    if data.get("cluster") == "eks":
        # Only an EKS stack loads the EKS settings (and pays for their import).
        from components.settings.eks.stack import EksStackSettings

        model = EksStackSettings
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise Problems(_problems(err, data)) from None
