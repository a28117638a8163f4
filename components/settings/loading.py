"""Loading the settings from the stack config: decode the engine's strings, pick the model
(`cluster: eks` loads the EKS sections, nothing else does) and turn every validation error into a
located `Problem`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, SecretStr, ValidationError

from components.settings.problems import (
    PROJECT,
    Hidden,
    Problem,
    Problems,
    config_key,
    only_with,
    scrub,
)
from components.settings.stack import StackSettings


def _is_text(annotation: Any) -> bool:
    """Whether every value of the type is text: a string (pattern-checked or one of a few), a
    secret string, or either of them optional."""
    if get_origin(annotation) in (Union, UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
        return bool(options) and all(_is_text(a) for a in options)
    if get_origin(annotation) is Annotated:
        return _is_text(get_args(annotation)[0])
    if get_origin(annotation) is Literal:
        return all(isinstance(value, str) for value in get_args(annotation))
    return annotation in (str, SecretStr)


def string_keys(model: type[BaseModel]) -> frozenset[str]:
    """The keys of `model` whose values are text: their config strings are taken as they are,
    so `namespace: "123"` is a name to check, not the number JSON would make of it."""
    return frozenset(
        field.alias or name
        for name, field in model.model_fields.items()
        if _is_text(field.annotation)
    )


# Only the stack keys: the EKS model adds an object (`eks`), no text key.
STRING_KEYS = string_keys(StackSettings)
# Always treated as secret, even when set without `--secret`: kubeconfigs carry credentials.
ALWAYS_SECRET_KEYS = frozenset({"kubeconfig"})
# Messages of pydantic's strict type checks, in the project's "what is allowed" form.
TYPE_MESSAGES = {
    "int_type": "must be a whole number (true/false, quoted numbers and decimals such as 3.0 "
    "are not taken as whole numbers)",
    "bool_type": "must be true or false",
    "string_type": "must be a string",
    "dict_type": "must be a map",
    "list_type": "must be a list",
    "model_type": "must be a map of settings",
}


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


def read_secret_keys(config: Mapping[str, Any]) -> frozenset[str]:
    """The config keys set with `pulumi config set --secret` (full `project:key` names)."""
    from pulumi.runtime import config as runtime_config

    from_env = set(runtime_config.get_config_secret_keys_env())
    return frozenset(k for k in config if k in from_env or runtime_config.is_config_secret(k))


def string_leaves(value: Any) -> set[str]:
    """Every string in a decoded config value (map keys included)."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return {t for k, v in value.items() for t in {str(k), *string_leaves(v)}}
    if isinstance(value, list):
        return {t for v in value for t in string_leaves(v)}
    return set()


def _conceal(problem: Problem, secrets: set[str], secret_keys: frozenset[str]) -> Problem:
    message = scrub(problem.message, secrets)
    value = problem.value
    if problem.path and problem.path[0] in secret_keys:
        value = SecretStr("")
    return Problem(problem.path, message, value)


def _problems(
    err: ValidationError, data: Mapping[str, Any], secret_keys: frozenset[str]
) -> list[Problem]:
    problems: list[Problem] = []
    for error in err.errors(include_url=False):
        loc = tuple(p for p in error["loc"] if p not in ("function-after", "function-before"))
        found = error.get("ctx", {}).get("error")
        if isinstance(found, Problems):
            problems.extend(Problem((*loc, *p.path), p.message, p.value) for p in found.problems)
            continue
        message = TYPE_MESSAGES.get(error["type"], error["msg"].removeprefix("Value error, "))
        value = error["input"]
        if error["type"] == "extra_forbidden":
            message = (
                only_with(
                    "cluster 'eks'",
                    f"cluster is {data.get('cluster', 'existing')!r}",
                    f"set {config_key(('cluster',))} to 'eks' or remove {config_key(('eks',))}",
                )
                if loc == ("eks",)
                else "is not a known setting (check the spelling; see docs/configuration.md)"
            )
            if loc != ("eks",):
                # A misspelt key may hold anything (a kubeconfig under `kubeConfig`): name it only.
                value = Hidden("the values of unknown keys are never shown")
        problems.append(Problem(loc, message, value))
    # Every message (a cross-key check may quote another key's value) is scrubbed of secrets.
    secrets = {t for key in secret_keys if key in data for t in string_leaves(data[key])}
    return [_conceal(p, secrets, secret_keys) for p in problems]


def parse_settings(
    config: Mapping[str, Any], secret_keys: frozenset[str] = frozenset()
) -> StackSettings:
    """Parse `{"cyperf-k8s:<key>": raw value}` (the stack config) into settings; raise `Problems`
    naming every bad key at once.

    Keys of other namespaces (`aws:region`, `kubernetes:...`) are left to their providers.
    `secret_keys` (full names) are the keys set with `--secret`: problems never show their
    values, and the settings remember them so what derives from them stays secret.
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
    secret = ALWAYS_SECRET_KEYS | {k[len(prefix) :] for k in secret_keys if k.startswith(prefix)}
    try:
        settings = model.model_validate(data)
    except ValidationError as err:
        raise Problems(_problems(err, data, secret)) from None
    settings.remember_secrets(
        frozenset(
            t
            for key in secret - ALWAYS_SECRET_KEYS
            if key in data
            for t in string_leaves(data[key])
        )
    )
    return settings
