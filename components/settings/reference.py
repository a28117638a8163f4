"""The configuration reference (docs/configuration.md), generated from the settings models: every
key as the stack file spells it, its type, default and description (the field's attribute
docstring), and the keys whose change reaches a group's pod template, found by building the
Deployment spec with each key changed.

Not part of the program run (it reads the specs and the EKS model, which loading never does;
the restart list comes from components.settings.restarts):
`python -m components.settings.reference --write docs/configuration.md` writes the file, `--check`
exits 1 when the committed one differs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
import yaml
from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo

from components.settings.eks.stack import EksStackSettings
from components.settings.restarts import GROUP, ROLES, restarting_keys
from components.settings.stack import StackSettings

REQUIRED = object()
# List indexes as the reference writes them, one letter per nesting level.
INDEXES = "ijk"


@dataclass(frozen=True)
class Key:
    """One documented key: its path as the stack file spells it and what the model says."""

    path: str
    model: type[BaseModel]
    name: str
    field: FieldInfo
    # The default the user gets when the key is left out (REQUIRED when it cannot be).
    default: Any
    # A settings object whose own keys follow (a nested model, or the items of a list of them).
    is_object: bool

    @property
    def description(self) -> str:
        return " ".join((self.field.description or "").split())


def _options(annotation: Any) -> list[Any]:
    if get_origin(annotation) in (Union, UnionType):
        return [a for a in get_args(annotation) if a is not type(None)]
    return [annotation]


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The settings model a field holds, directly or as the items of a list."""
    for option in _options(annotation):
        if get_origin(option) is list:
            option = get_args(option)[0]
        if isinstance(option, type) and issubclass(option, BaseModel):
            return option
    return None


def keys(model: type[BaseModel], prefix: str = "", defaults: Any = None) -> Iterator[Key]:
    """Every key of `model` and of the models under it, in declaration order; `defaults` is the
    instance a parent's default gives (its values are the defaults the user sees)."""
    depth = prefix.count("[")
    for name, field in model.model_fields.items():
        path = prefix + (field.alias or name)
        if field.is_required():
            default = REQUIRED
        elif defaults is not None:
            default = getattr(defaults, name)
        else:
            default = field.get_default(call_default_factory=True)
        nested = _model_of(field.annotation)
        yield Key(path, model, name, field, default, nested is not None)
        if nested is not None:
            is_list = any(get_origin(o) is list for o in _options(field.annotation))
            if is_list:
                yield from keys(nested, f"{path}[{INDEXES[depth]}].")
            else:
                yield from keys(
                    nested, path + ".", default if isinstance(default, nested) else None
                )


def _bounds(metadata: Sequence[Any]) -> tuple[Any, Any]:
    """The inclusive bounds of a number or a list's length that `Field(...)` declares."""
    low = high = None
    for item in metadata:
        for constraint in item.metadata if isinstance(item, FieldInfo) else [item]:
            if isinstance(constraint, annotated_types.Ge):
                low = constraint.ge
            elif isinstance(constraint, annotated_types.MinLen):
                low = constraint.min_length
            elif isinstance(constraint, annotated_types.Le):
                high = constraint.le
            elif isinstance(constraint, annotated_types.MaxLen):
                high = constraint.max_length
    return low, high


def _range(low: Any, high: Any) -> str:
    if low is not None and high is not None:
        return f" {low}-{high}"
    if low is not None:
        return f" >= {low}"
    return f" <= {high}" if high is not None else ""


def readable_type(annotation: Any, metadata: Sequence[Any] = ()) -> str:
    """`integer 30-3600`, `'none' | 'agent-started'`, `map of string`, `list of object`, ..."""
    origin = get_origin(annotation)
    if origin is Annotated:
        base, *extra = get_args(annotation)
        return readable_type(base, [*metadata, *extra])
    if origin in (Union, UnionType):
        return " or ".join(readable_type(o, metadata) for o in _options(annotation))
    if origin is Literal:
        return " | ".join(repr(value) for value in get_args(annotation))
    if origin is list:
        low, high = _bounds(metadata)
        items = f"list of {readable_type(get_args(annotation)[0])}"
        if low is not None and high is not None:
            return f"{items} ({low}-{high} items)"
        if low is not None or high is not None:
            return f"{items} (at least {low})" if high is None else f"{items} (at most {high})"
        return items
    if origin is dict:
        return f"map of {readable_type(get_args(annotation)[1])}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "object"
    names = {bool: "boolean", int: "integer", float: "number", str: "string"}
    if annotation in (int, float):
        return names[annotation] + _range(*_bounds(metadata))
    if annotation is SecretStr:
        return "secret string"
    return names[annotation]


def type_of(key: Key) -> str:
    text = readable_type(key.field.annotation, key.field.metadata)
    nullable = type(None) in get_args(key.field.annotation)
    return f"{text} or null" if nullable and key.default is not None else text


def plain(value: Any) -> Any:
    """A default as the stack file would write it: a settings object as the keys it sets."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def shown_default(key: Key) -> str:
    if key.default is REQUIRED:
        return "required"
    if key.default is None:
        return "unset"
    text = yaml.safe_dump(plain(key.default), default_flow_style=True, width=1000)
    return "`" + text.removesuffix("\n").removesuffix("\n...").strip() + "`"


def _entry(key: Key) -> str:
    # A list, not a table: full descriptions would make table rows too long to read.
    return f"- `{key.path}` ({type_of(key)}; default {shown_default(key)}): {key.description}"


INTRO = """\
# Configuration reference

<!-- Generated from the settings models by `python -m components.settings.reference --write
docs/configuration.md`: edit the field docstrings in components/settings/, not this file. -->

Keys live in `stacks/Pulumi.<stack>.yaml` under `config:` as `cyperf-k8s:<key>`. A path such as
`agentGroups[i].readiness.mode` is the key `mode` in the `readiness` map of an item of the
`agentGroups` list. Defaults are shown as YAML; *unset* means the key has no value unless given,
*required* that it must be given.
"""

SECTIONS = (
    ("Stack keys", "", lambda path: "." not in path and "[" not in path),
    (
        "Agent group keys (`agentGroups[i]`)",
        "Each group becomes one Deployment `cyperf-agent-<name>-deployment`; a server group also "
        "gets its Service.",
        lambda path: path.startswith(GROUP),
    ),
    (
        "Conntrack keys (`conntrack`)",
        "How the groups' conntrack plans are applied, for the whole stack.",
        lambda path: path.startswith("conntrack."),
    ),
)


def _section(title: str, intro: str, rows: list[Key]) -> str:
    lines = [f"## {title}", "", *([intro, ""] if intro else [])]
    return "\n".join([*lines, *(_entry(key) for key in rows)]) + "\n"


def reference() -> str:
    """The whole of docs/configuration.md."""
    stack = list(keys(StackSettings))
    parts = [INTRO]
    for title, intro, belongs in SECTIONS:
        parts.append(_section(title, intro, [k for k in stack if belongs(k.path)]))
    eks = [k for k in keys(EksStackSettings) if k.path.split(".")[0] == "eks"]
    parts.append(
        _section(
            "EKS keys (`eks`)",
            "With `cluster: eks`, the cluster the stack provisions (refused with `cluster: "
            "existing`).",
            eks,
        )
    )
    restarting = restarting_keys([k.path for k in stack if not k.is_object])
    lines = [
        "## Settings that restart a group's agents",
        "",
        "A change of any of these stack or group keys changes the pod template of the group's "
        "Deployment, so `pulumi up` deletes and creates it again: every agent of the group "
        "restarts at once and registers anew (a stack key: every group, unless a role is "
        "named). The list is found by building each Deployment with one key changed, not "
        "written by hand; the other stack and group keys leave the pod template as it is. EKS "
        "keys are not covered: a change that replaces nodes restarts the agents on them.",
        "",
    ]
    for path, roles in restarting.items():
        only = ""
        if len(roles) < len(ROLES):
            only = f" ({' and '.join(sorted(roles))} groups only)"
        lines.append(f"- `{path}`{only}")
    parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m components.settings.reference",
        description="Write or check the configuration reference generated from the settings.",
    )
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", type=Path, metavar="FILE", help="write the reference to FILE")
    action.add_argument("--check", type=Path, metavar="FILE", help="exit 1 when FILE differs")
    args = parser.parse_args(argv)
    text = reference()
    if args.write is not None:
        args.write.write_text(text)
        return 0
    if not args.check.is_file() or args.check.read_text() != text:
        print(
            f"{args.check} is not the generated reference; run python -m "
            f"components.settings.reference --write {args.check}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
