"""The node groups' launch templates: IMDS hop limit 1, the stack's tags on what a launch creates,
and an unpinned AMI kept until the Kubernetes version changes (issue 10 items 5, 10, 11).

pulumi-eks creates the template inside its ManagedNodeGroup; the program changes it through a
`transforms` option. The mocks build the template as pulumi-eks 4.4 would from the node group's
registered inputs and run the transforms the program registered (mocks.aws.EksMocks), so these
tests read what the engine would create, not what the program meant to do.
"""

from __future__ import annotations

import functools
from typing import Any

import pulumi
import pytest

from components.eks import launch_template
from components.eks.images import UNPINNED_IMAGE
from components.transforms import child_transform
from mocks.aws import RECOMMENDED_AMI, pulumi_eks_launch_template
from tests.eks.conftest import EksMocks, EksRun, eks_config, run_provision

TAGS = {"owner": "qa", "project": "cyperf-k8s"}
PINNED = "ami-0123456789abcdef0"


def templates(run: EksRun) -> dict[str, dict[str, Any]]:
    found = {child["name"]: child for child in run.mocks.remote_children}
    assert all(c["type"] == launch_template.LAUNCH_TEMPLATE_TYPE for c in found.values())
    return found


@pytest.fixture(scope="module")
def calico() -> EksRun:
    return run_provision(
        eks_config(
            {
                "cni": {"type": "calico-vxlan"},
                "nodeGroups": {"server": {"amiId": PINNED, "diskSize": 80}},
                "tags": {"owner": "qa"},
            }
        )
    )


@pytest.fixture(scope="module")
def vpc_cni() -> EksRun:
    return run_provision(eks_config({"tags": {"owner": "qa"}}))


# --- pure -----------------------------------------------------------------------------------


def test_node_launch_template_changes_only_what_it_owns() -> None:
    original = {
        "userData": "opaque",
        "imageId": "ami-1",
        "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"volumeSize": 50}}],
        "metadataOptions": {
            "httpTokens": "required",
            "httpPutResponseHopLimit": 2,
            "httpEndpoint": "enabled",
        },
    }
    before = repr(original)
    own = launch_template.template_tags("cyperf-x-calico-abc123", "client", "1.35")
    assert own == {
        "cyperf-k8s/launch-template": "cyperf-x-calico-abc123/client",
        "cyperf-k8s/kubernetes-version": "1.35",
    }
    changed = launch_template.node_launch_template(original, TAGS, own)
    assert repr(original) == before, "the input must not be modified"
    assert changed["metadataOptions"] == {
        "httpTokens": "required",
        "httpPutResponseHopLimit": 1,
        "httpEndpoint": "enabled",
    }
    assert changed["tagSpecifications"] == [
        {"resourceType": "instance", "tags": TAGS},
        {"resourceType": "volume", "tags": TAGS},
        {"resourceType": "network-interface", "tags": TAGS},
    ]
    # The template's own tags stay off the instances.
    assert changed["tags"] == {**TAGS, **own}
    assert changed["updateDefaultVersion"] is True
    untouched = {k: v for k, v in changed.items() if k in original and k != "metadataOptions"}
    assert untouched == {k: v for k, v in original.items() if k != "metadataOptions"}


@pytest.mark.parametrize(
    ("image_pinned", "custom_user_data", "image_version", "kept"),
    [
        (False, True, None, ["imageId"]),  # first `up`: nothing to keep yet, harmless
        (False, True, "1.35", ["imageId"]),  # same version: the image stays
        (False, True, "1.34", []),  # new version: its recommended AMI comes in, once
        (True, True, "1.35", []),  # pinned: config decides
        (False, False, None, []),  # EKS picks the AMI: no image in the template
        (True, False, "1.34", []),
    ],
)
def test_an_unpinned_image_of_custom_user_data_is_kept_within_a_version(
    image_pinned: bool, custom_user_data: bool, image_version: str | None, kept: list[str]
) -> None:
    assert (
        launch_template.kept_properties(image_pinned, custom_user_data, image_version, "1.35")
        == kept
    )


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


def test_the_mock_builds_pulumi_eks_template_without_transforms() -> None:
    """The baseline the transforms change: pulumi-eks's own template has hop limit 2, no tags
    (nodegroup.ts createMNGCustomLaunchTemplate)."""
    props = pulumi_eks_launch_template(
        {"enableIMDSv2": True, "diskSize": 50.0, "nodeadmExtraOptions": [{}]}
    )
    assert props is not None
    assert props["metadataOptions"]["httpPutResponseHopLimit"] == 2
    assert props["imageId"] == RECOMMENDED_AMI and "tagSpecifications" not in props
    assert pulumi_eks_launch_template({"diskSize": 50.0}) is None


# --- what the engine would create ------------------------------------------------------------


def test_every_node_group_template_has_hop_limit_one(calico: EksRun, vpc_cni: EksRun) -> None:
    found = [*templates(calico).values(), *templates(vpc_cni).values()]
    assert len(found) == 4
    for template in found:
        assert template["inputs"]["metadataOptions"] == {
            "httpTokens": "required",
            "httpPutResponseHopLimit": 1,
            "httpEndpoint": "enabled",
        }


def test_instances_volumes_and_network_interfaces_carry_the_stack_tags(vpc_cni: EksRun) -> None:
    found = templates(vpc_cni)
    assert sorted(found) == ["eks-nodes-client-launchTemplate", "eks-nodes-server-launchTemplate"]
    for role in ("client", "server"):
        inputs = found[f"eks-nodes-{role}-launchTemplate"]["inputs"]
        expected = {"owner": "qa", "cyperf-k8s/role": role}
        assert inputs["tags"] == {
            **expected,
            "cyperf-k8s/launch-template": f"{vpc_cni.outputs['clusterName']}/{role}",
            "cyperf-k8s/kubernetes-version": "1.35",
        }
        assert {s["resourceType"]: s["tags"] for s in inputs["tagSpecifications"]} == {
            "instance": expected,
            "volume": expected,
            "network-interface": expected,
        }


def test_vpc_cni_templates_leave_the_image_to_eks(vpc_cni: EksRun) -> None:
    for template in templates(vpc_cni).values():
        assert "imageId" not in template["inputs"] and "userData" not in template["inputs"]
        assert template["ignoreChanges"] == []


def test_calico_unpinned_image_is_kept_and_a_pinned_one_follows_config(calico: EksRun) -> None:
    """First `up` (no template yet): the unpinned image gets ignoreChanges for later runs."""
    found = templates(calico)
    client = found["eks-nodes-client-launchTemplate"]
    server = found["eks-nodes-server-launchTemplate"]
    # Unpinned: pulumi-eks's SSM answer at creation, then ignored by later runs.
    assert client["inputs"]["imageId"] == RECOMMENDED_AMI
    assert client["ignoreChanges"] == ["imageId"]
    # Pinned: the config's AMI, and a new pin is a change the next `up` applies.
    assert server["inputs"]["imageId"] == PINNED
    assert server["ignoreChanges"] == []
    # What pulumi-eks rendered stays: its user data and the disk of the group's settings.
    assert client["inputs"]["userData"] == server["inputs"]["userData"] != ""
    assert server["inputs"]["blockDeviceMappings"] == [
        {"deviceName": "/dev/xvda", "ebs": {"volumeSize": 80.0}}
    ]


def test_node_images_output_reports_what_aws_runs(calico: EksRun) -> None:
    assert calico.outputs["nodeImages"] == {
        "client": {"amiId": RECOMMENDED_AMI, "pinnedBy": UNPINNED_IMAGE},
        "server": {"amiId": PINNED, "pinnedBy": "eks.nodeGroups.server.amiId"},
    }
    reads = [i for i in calico.mocks.invokes if i.token.endswith("getLaunchTemplate")]
    assert sorted(i.args["id"] for i in reads) == ["lt-eks-nodes-client", "lt-eks-nodes-server"]
    # Only the unpinned group asks which version its template's image was chosen for.
    lookups = [i for i in calico.mocks.invokes if i.token.endswith("getResources")]
    assert [i.args["tagFilters"] for i in lookups] == [
        [
            {
                "key": "cyperf-k8s/launch-template",
                "values": [f"{calico.outputs['clusterName']}/client"],
            }
        ]
    ]


def test_vpc_cni_groups_never_look_up_their_template(vpc_cni: EksRun) -> None:
    assert [i for i in vpc_cni.mocks.invokes if i.token.endswith("getResources")] == []


def _calico_after_earlier_up(image_version: str, kubernetes_version: str) -> EksRun:
    """A Calico stack whose client template exists, its image chosen for `image_version`."""
    config = eks_config(
        {
            "cni": {"type": "calico-vxlan"},
            "cluster": {"kubernetesVersion": kubernetes_version},
            "nodeGroups": {"server": {"amiId": PINNED}},
        }
    )
    cluster_name = run_provision(config).outputs["clusterName"]
    arn = "arn:aws:ec2:us-east-1:123456789012:launch-template/lt-0123"
    existing = {
        arn: launch_template.template_tags(cluster_name, "client", image_version) | {"owner": "qa"}
    }
    return run_provision(config, EksMocks(launch_template_tags=existing))


def test_a_later_up_keeps_the_image_of_the_same_kubernetes_version() -> None:
    run = _calico_after_earlier_up("1.35", "1.35")
    client = templates(run)["eks-nodes-client-launchTemplate"]
    assert client["ignoreChanges"] == ["imageId"]
    assert client["inputs"]["tags"]["cyperf-k8s/kubernetes-version"] == "1.35"


def test_a_new_kubernetes_version_lets_its_recommended_image_in() -> None:
    """The cluster moved from 1.34 to 1.35: this run takes pulumi-eks's recommended AMI (of the
    new version) and records 1.35, so the run after it keeps that image again."""
    run = _calico_after_earlier_up("1.34", "1.35")
    client = templates(run)["eks-nodes-client-launchTemplate"]
    assert client["ignoreChanges"] == []
    assert client["inputs"]["imageId"] == RECOMMENDED_AMI
    assert client["inputs"]["tags"]["cyperf-k8s/kubernetes-version"] == "1.35"
    # The pinned group is unaffected either way.
    assert templates(run)["eks-nodes-server-launchTemplate"]["inputs"]["imageId"] == PINNED


def test_the_unpinned_calico_group_warns_that_its_image_stays(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    warnings: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *a, **k: warnings.append(message))
    run_provision(
        eks_config({"cni": {"type": "calico-vxlan"}, "nodeGroups": {"server": {"amiId": PINNED}}})
    )
    assert [w for w in warnings if "nodeGroups" in w] == [
        "cyperf-k8s:eks.nodeGroups.client.amiId is not set: the client nodes keep the AMI they "
        "have (the EKS-optimized recommended one when the group was created or kubernetesVersion "
        "last changed); AWS AMI releases do not reach them. To move them, set amiId (current "
        "value: aws ssm get-parameter --name /aws/service/eks/optimized-ami/1.35/"
        "amazon-linux-2023/<arch>/standard/recommended/image_id, or the bottlerocket parameters)"
    ]


def test_same_config_same_templates() -> None:
    config = eks_config({"cni": {"type": "calico-vxlan"}, "tags": {"owner": "qa"}})
    first, second = EksMocks(), EksMocks()
    run_provision(config, first)
    run_provision(config, second)

    # Registration order between the two groups is the engine's (their inputs resolve
    # concurrently), so compare by name.
    def by_name(mocks: EksMocks) -> list[dict[str, Any]]:
        return sorted(mocks.remote_children, key=lambda child: str(child["name"]))

    assert by_name(first) == by_name(second)
    assert len(first.remote_children) == 2
