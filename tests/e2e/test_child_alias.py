"""The mechanism the EKS admins' migration relies on, run by the real engine: an alias that a
transform on a packaged (multi-language) component gives one of its children moves the child
to its new name without a replacement (components.eks.access_entries: pulumi-eks's access
entries keyed by position become keyed by principal).

pulumi-eks cannot run here (it creates AWS resources), so the packaged component is
pulumi-kubernetes' `yaml/v2:ConfigGroup`, whose children its provider registers the way
pulumi-eks's provider registers the access entries; its `resourcePrefix` renames the child.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import Rig, probe_project, stack_of

pytestmark = pytest.mark.e2e

CONFIG_MAP = "kubernetes:core/v1:ConfigMap"

PROGRAM = """
import pulumi
import pulumi_kubernetes as k8s

from components.eks.access_entries import alias_transform

config = pulumi.Config()
old = config.get("old")
aliases = {("kubernetes:core/v1:ConfigMap", config.require("child")): old} if old else {}
k8s.yaml.v2.ConfigGroup(
    "probe",
    resource_prefix=config.require("prefix"),
    objs=[
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "alias-probe", "namespace": "default"},
            "data": {"value": "same"},
        }
    ],
    opts=pulumi.ResourceOptions(transforms=[alias_transform(aliases)]),
)
"""


@pytest.fixture
def probe(rig: Rig, tmp_path: Path) -> Rig:
    """A program of its own next to a copy of `components` (the project's virtualenv)."""
    return probe_project(rig, tmp_path / "probe", "alias-probe", PROGRAM, ("components",))


def _config_maps(probe: Rig, stack: str) -> list[dict[str, str]]:
    state = json.loads(probe.pulumi("stack", "export", stack=stack).stdout)
    return [r for r in state["deployment"]["resources"] if r["type"] == CONFIG_MAP]


def test_a_transform_alias_moves_a_packaged_components_child_without_a_replacement(
    probe: Rig,
) -> None:
    with stack_of(probe, "probe") as stack:
        probe.pulumi("config", "set", "prefix", "first", stack=stack)
        probe.pulumi("config", "set", "child", "unused", stack=stack)
        probe.up(stack)
        [before] = _config_maps(probe, stack)
        uid = probe.kubectl_json("get", "configmap", "alias-probe", "-n", "default")["metadata"][
            "uid"
        ]
        old_name = before["urn"].rsplit("::", 1)[1]
        assert old_name.startswith("first")

        # Renamed, with the old URN as alias: no step creates or deletes anything.
        probe.pulumi("config", "set", "prefix", "second", stack=stack)
        probe.pulumi("config", "set", "child", "second" + old_name[5:], stack=stack)
        probe.pulumi("config", "set", "old", before["urn"], stack=stack)
        preview = json.loads(probe.pulumi("preview", "--json", stack=stack).stdout)
        ops = {step["op"] for step in preview.get("steps", [])}
        assert not ops & {"create", "delete", "replace", "create-replacement"}, preview["steps"]
        probe.up(stack)
        [after] = _config_maps(probe, stack)
        assert after["urn"] == before["urn"].replace("::first", "::second")
        assert after["id"] == before["id"]
        got = probe.kubectl_json("get", "configmap", "alias-probe", "-n", "default")
        assert got["metadata"]["uid"] == uid
