"""The configuration reference is generated from the settings models and stays true: the committed
file is the generated one, every field says what it is, every default shown is the model's, the
restart list is the one components.settings.restarts finds, and Pulumi.yaml's typed keys agree
with the model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import TypeAdapter

from components.settings import reference
from components.settings.eks.stack import EksStackSettings
from components.settings.loading import STRING_KEYS
from components.settings.reference import Key, keys, shown_default
from components.settings.restarts import restarting_keys
from components.settings.stack import StackSettings
from tests.components.settings.test_restarts import LEAVES

ROOT = Path(__file__).resolve().parents[3]
COMMITTED = ROOT / "docs" / "configuration.md"
EVERY_KEY = list(keys(EksStackSettings))


def test_the_committed_reference_is_the_generated_one() -> None:
    assert COMMITTED.read_text() == reference.reference(), (
        "docs/configuration.md is stale: run "
        "`python -m components.settings.reference --write docs/configuration.md`"
    )


def test_the_command_writes_and_checks_the_file(tmp_path: Path) -> None:
    written = tmp_path / "configuration.md"
    assert reference.main(["--write", str(written)]) == 0
    assert written.read_text() == COMMITTED.read_text()
    assert reference.main(["--check", str(written)]) == 0
    written.write_text(written.read_text().replace("`cyperfRelease`", "`release`"))
    assert reference.main(["--check", str(written)]) == 1
    assert reference.main(["--check", str(tmp_path / "missing.md")]) == 1


def test_every_key_of_every_section_is_documented() -> None:
    paths = [k.path for k in EVERY_KEY]
    text = COMMITTED.read_text()
    assert len(paths) > 100
    assert [p for p in paths if f"- `{p}` (" not in text] == []
    for expected in (
        "agentGroups[i].readiness.mode",
        "agentGroups[i].service.ports[j].nodePort",
        "conntrack.nodeTuning",
        "eks.nodeGroups.server.instanceTypes",
    ):
        assert expected in paths


def test_every_field_has_a_description() -> None:
    """Fails on a branch where a section's fields still lack their docstrings; it names them."""
    undocumented = sorted(
        {
            f"{k.model.__module__}.{k.model.__name__}.{k.name}"
            for k in EVERY_KEY
            if not k.description
        }
    )
    assert undocumented == [], "fields without an attribute docstring:\n" + "\n".join(undocumented)


def _default_instance_value(key: Key) -> Any:
    """The key's default read from a default-built stack (EKS for `eks.*`)."""
    if key.path.startswith("eks"):
        value: Any = EksStackSettings.model_validate({"cluster": "eks"})
    else:
        value = StackSettings()
    for part in key.path.split("."):
        name = next(n for n, f in type(value).model_fields.items() if f.alias == part)
        value = getattr(value, name)
    return value


@pytest.mark.parametrize("key", EVERY_KEY, ids=[k.path for k in EVERY_KEY])
def test_every_default_shown_is_the_models(key: Key) -> None:
    shown = shown_default(key)
    if key.field.is_required():
        assert shown == "required"
        return
    if "[" not in key.path:
        assert key.default == _default_instance_value(key)
    if key.default is None:
        assert shown == "unset"
        return
    assert shown.startswith("`") and shown.endswith("`"), shown
    read_back: Any = TypeAdapter(key.field.annotation).validate_python(yaml.safe_load(shown[1:-1]))
    assert read_back == key.default


def test_types_read_as_the_user_writes_them() -> None:
    types = {k.path: reference.type_of(k) for k in EVERY_KEY}
    assert types["rolloutTimeoutSeconds"] == "integer 30-3600"
    assert (
        types["agentGroups[i].readiness.mode"] == "'none' | 'agent-started' | 'http-health-check'"
    )
    assert types["agentGroups[i].tags"] == "map of string"
    assert types["agentGroups"] == "list of object (at least 1)"
    assert types["kubeconfig"] == "secret string"
    assert types["agentGroups[i].resources.limits.memory"] == "string or null"
    assert types["eks.nodeGroups.client"] == "object or null"
    assert types["conntrack.headroom"] == "number 1.0-10.0"


def test_the_restart_list_is_the_one_restarts_finds() -> None:
    restarting = restarting_keys(LEAVES)
    text = COMMITTED.read_text().split("## Settings that restart a group's agents")[1]
    assert [line.split("`")[1] for line in text.splitlines() if line.startswith("- ")] == list(
        restarting
    )


def first_sentence(text: str) -> str:
    """A description's first sentence (Pulumi.yaml's one-line descriptions)."""
    words = " ".join(text.split())
    end = words.find(". ")
    return words if end < 0 else words[: end + 1]


def test_pulumi_yaml_types_defaults_and_descriptions_are_the_models() -> None:
    """Pulumi.yaml declares the scalar stack keys that have a default; the model is the source."""
    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    fields = {f.alias: f for f in StackSettings.model_fields.values()}
    assert declared
    for key, spec in declared.items():
        assert key in fields, f"Pulumi.yaml declares {key}, which the model does not know"
        assert spec["default"] == fields[key].default, key
    pulumi_types: dict[Any, str] = {bool: "boolean", int: "integer"}
    scalar = {
        alias: "string" if alias in STRING_KEYS else pulumi_types.get(field.annotation)
        for alias, field in fields.items()
        if alias in STRING_KEYS or field.annotation in pulumi_types
    }
    with_default = {
        alias for alias, f in fields.items() if alias in scalar and f.default is not None
    }
    assert set(declared) == with_default
    for key, spec in declared.items():
        assert spec["type"] == scalar[key], key
        assert spec["description"] == first_sentence(fields[key].description or ""), key
