"""The mechanism the EKS node groups rely on, run by the real engine: `child_transform` on a
packaged (multi-language) component changes a child the component creates, again on a later
`up` that updates the child (the node groups' hop limit and kept AMI are put back on every run),
and by the time the component's URN resolves the transform has seen the child (what the node
groups' check that their transform matched a launch template relies on).

pulumi-eks cannot run here (it creates AWS resources), so the packaged component is
pulumi-kubernetes' `yaml/v2:ConfigGroup`, whose children its provider registers the way
pulumi-eks's provider registers the launch template.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import Rig, probe_project, stack_of

pytestmark = pytest.mark.e2e

PROGRAM = """
import pulumi
import pulumi_kubernetes as k8s

from components.transforms import child_transform


def change(props):
    # camelCase keys as the provider sends them: `configValue`, not `config_value`.
    assert "configValue" in props["data"], sorted(props["data"])
    return {**props, "data": {**props["data"], "hopLimit": "1"}}


transform = child_transform("kubernetes:core/v1:ConfigMap", change)
group = k8s.yaml.v2.ConfigGroup(
    "probe",
    objs=[
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "transform-probe", "namespace": "default"},
            "data": {"configValue": pulumi.Config().require("value"), "otherValue": "same"},
        }
    ],
    opts=pulumi.ResourceOptions(transforms=[transform]),
)
pulumi.export("matched", group.urn.apply(lambda _: list(transform.matched)))
pulumi.export("unmatched", group.urn.apply(lambda _: transform.unmatched_warning("probe") or ""))
"""


@pytest.fixture
def probe(rig: Rig, tmp_path: Path) -> Rig:
    """A program of its own next to a copy of `components` (the project's virtualenv)."""
    return probe_project(rig, tmp_path / "probe", "transform-probe", PROGRAM, ("components",))


def test_a_transform_changes_a_packaged_components_child_on_create_and_update(
    probe: Rig,
) -> None:
    with stack_of(probe, "probe") as stack:
        probe.pulumi("config", "set", "value", "first", stack=stack)
        probe.up(stack)
        data = probe.kubectl_json("get", "configmap", "transform-probe", "-n", "default")["data"]
        assert data == {"configValue": "first", "otherValue": "same", "hopLimit": "1"}
        outputs = probe.outputs(stack)
        [matched] = outputs["matched"]
        assert matched.endswith("transform-probe") and outputs["unmatched"] == ""

        # An update of the child: the program's new value and the transform's change both land.
        probe.pulumi("config", "set", "value", "second", stack=stack)
        probe.up(stack)
        data = probe.kubectl_json("get", "configmap", "transform-probe", "-n", "default")["data"]
        assert data == {"configValue": "second", "otherValue": "same", "hopLimit": "1"}

        probe.pulumi("destroy", "--yes", "--skip-preview", stack=stack)
        gone = probe.run(
            "kubectl", "get", "configmap", "transform-probe", "-n", "default", check=False
        )
        assert gone.returncode != 0 and "NotFound" in gone.text
