"""Changing a child a packaged component creates: `child_transform` changes only the children of
its type and adds the kept properties to their ignoreChanges."""

from __future__ import annotations

import functools

import pulumi

from components.eks import launch_template
from components.transforms import child_transform

TAGS = {"owner": "qa", "project": "cyperf-k8s"}


def test_the_transform_passes_every_other_child_unchanged() -> None:
    change = functools.partial(launch_template.node_launch_template, tags=TAGS, own_tags={})
    transform = child_transform(launch_template.LAUNCH_TEMPLATE_TYPE, change, ["imageId"])
    for typ in ("aws:eks/nodeGroup:NodeGroup", "aws:ec2/placementGroup:PlacementGroup"):
        args = pulumi.ResourceTransformArgs(True, typ, "x", {"tags": {}}, pulumi.ResourceOptions())
        assert transform(args) is None
    args = pulumi.ResourceTransformArgs(
        True, launch_template.LAUNCH_TEMPLATE_TYPE, "lt", {}, pulumi.ResourceOptions(protect=True)
    )
    result = transform(args)
    assert isinstance(result, pulumi.ResourceTransformResult) and result.opts is not None
    assert result.props["metadataOptions"] == {"httpPutResponseHopLimit": 1}
    # The options pulumi-eks gave the template survive; ignoreChanges is added.
    assert result.opts.protect is True and result.opts.ignore_changes == ["imageId"]
