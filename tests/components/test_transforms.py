"""`child_transform` changes the inputs of the children of one type only and leaves the options
the child already had (also with the EKS launch template change)."""

from __future__ import annotations

import functools
from typing import Any

import pulumi

from components.eks import launch_template
from components.transforms import Props, child_transform

TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"


def tagged(props: Props) -> Props:
    # Changes the dict it is given: the transform must hand it a copy.
    props["tags"] = {**props.get("tags", {}), "owner": "qa"}
    return props


def args(typ: str, props: dict[str, Any], opts: pulumi.ResourceOptions) -> Any:
    return pulumi.ResourceTransformArgs(True, typ, "child", props, opts)


def test_children_of_other_types_pass_unchanged() -> None:
    transform = child_transform(TEMPLATE, tagged)
    for typ in ("aws:eks/nodeGroup:NodeGroup", "eks:index:ManagedNodeGroup"):
        assert transform(args(typ, {"tags": {}}, pulumi.ResourceOptions())) is None


def test_a_child_of_the_type_gets_the_change_and_keeps_its_options() -> None:
    transform = child_transform(TEMPLATE, tagged)
    original = {"imageId": "ami-1", "tags": {"team": "perf"}}
    opts = pulumi.ResourceOptions(protect=True, ignore_changes=["description"])
    result = transform(args(TEMPLATE, original, opts))
    assert isinstance(result, pulumi.ResourceTransformResult)
    assert result.props == {"imageId": "ami-1", "tags": {"team": "perf", "owner": "qa"}}
    assert original == {"imageId": "ami-1", "tags": {"team": "perf"}}
    assert result.opts is opts


TAGS = {"owner": "qa", "project": "cyperf-k8s"}


def test_the_transform_passes_every_other_child_unchanged() -> None:
    change = functools.partial(launch_template.node_launch_template, tags=TAGS, own_tags={})
    transform = child_transform(launch_template.LAUNCH_TEMPLATE_TYPE, change)
    for typ in ("aws:eks/nodeGroup:NodeGroup", "aws:ec2/placementGroup:PlacementGroup"):
        args = pulumi.ResourceTransformArgs(True, typ, "x", {"tags": {}}, pulumi.ResourceOptions())
        assert transform(args) is None
    args = pulumi.ResourceTransformArgs(
        True, launch_template.LAUNCH_TEMPLATE_TYPE, "lt", {}, pulumi.ResourceOptions(protect=True)
    )
    result = transform(args)
    assert isinstance(result, pulumi.ResourceTransformResult) and result.opts is not None
    assert result.props["metadataOptions"] == {"httpPutResponseHopLimit": 1}
    # The options pulumi-eks gave the template survive.
    assert result.opts.protect is True and result.opts.ignore_changes is None


def test_the_transform_counts_the_children_it_changed() -> None:
    """What the node groups check once their component registered: a component upgrade that
    renames or moves the child leaves the transform matching nothing."""
    transform = child_transform(TEMPLATE, tagged)
    assert transform.unmatched_warning("node group c/eks-nodes-client") == (
        "node group c/eks-nodes-client: no child of type aws:ec2/launchTemplate:LaunchTemplate "
        "reached the stack's transform, so the change it makes is missing (did an upgrade of "
        "the component rename that child or move it to another parent?)"
    )
    transform(args("aws:eks/nodeGroup:NodeGroup", {}, pulumi.ResourceOptions()))
    assert transform.matched == []
    transform(args(TEMPLATE, {}, pulumi.ResourceOptions()))
    assert transform.matched == ["child"]
    assert transform.unmatched_warning("node group c/eks-nodes-client") is None
