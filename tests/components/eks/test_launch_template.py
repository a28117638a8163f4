"""The node groups' launch templates: IMDS hop limit 1, the stack's tags on what a launch creates,
and an unpinned AMI kept until what it was chosen for changes.

pulumi-eks creates the template inside its ManagedNodeGroup; the program changes it through a
`transforms` option. The mocks build the template as pulumi-eks would from the node group's
registered inputs (its recommended AMI depending on version, amiType and AWS release), run the
transforms the program registered, and, given an earlier run's templates, apply the engine's
ignoreChanges rule (mocks.aws.EksMocks): these tests read what the engine would create, run
after run, not what the program meant to do.
"""

from __future__ import annotations

from typing import Any

import pytest

from components.eks import launch_template
from components.eks.images import UNPINNED_IMAGE
from mocks.aws import pulumi_eks_launch_template, recommended_ami
from tests.support.eks import EksMocks, ProvisionRun, eks_config, run_provision

TAGS = {"owner": "qa", "project": "cyperf-k8s"}
PINNED = "ami-0123456789abcdef0"
AL2023 = "AL2023_x86_64_STANDARD"
# The templates of groups whose template carries the AMI (Calico, or cni.maxPods).
CLIENT_OWN_AMI = "eks-nodes-client-own-ami-launchTemplate"
SERVER_OWN_AMI = "eks-nodes-server-own-ami-launchTemplate"


def templates(run: ProvisionRun) -> dict[str, dict[str, Any]]:
    found = {child["name"]: child for child in run.mocks.remote_children}
    assert all(c["type"] == launch_template.LAUNCH_TEMPLATE_TYPE for c in found.values())
    return found


@pytest.fixture(scope="module")
def calico_server_pinned() -> ProvisionRun:
    return run_provision(
        eks_config(
            {
                "cni": {"type": "calico-vxlan"},
                "nodeGroups": {"server": {"amiId": PINNED, "diskSize": 80}},
                "tags": {"owner": "qa"},
            }
        )
    )


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
    own = launch_template.template_tags(
        "cyperf-x-calico-abc123", "eks-nodes-client-own-ami", "1.35/" + AL2023
    )
    assert own == {
        "cyperf-k8s/launch-template": "cyperf-x-calico-abc123/eks-nodes-client-own-ami",
        "cyperf-k8s/recommended-image-for": "1.35/AL2023_x86_64_STANDARD",
    }
    # A template without a recommended image records none.
    assert launch_template.template_tags("c", "eks-nodes-server", None) == {
        "cyperf-k8s/launch-template": "c/eks-nodes-server"
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


KEY = "1.35/AL2023_x86_64_STANDARD"


@pytest.mark.parametrize(
    ("image_key", "recorded", "kept"),
    [
        (KEY, [KEY], ["imageId"]),  # a later `up`, same version and amiType: the image stays
        (KEY, [], []),  # first `up`, or a template of another cluster (CNI switch)
        (KEY, ["1.34/AL2023_x86_64_STANDARD"], []),  # new version: its AMI comes in, once
        (KEY, ["1.35/BOTTLEROCKET_x86_64"], []),  # new amiType, likewise
        (KEY, [""], []),  # the template had no recommended image (it was pinned)
        (KEY, [KEY, ""], []),  # two templates disagree: nothing is assumed
        (None, [KEY], []),  # pinned, or EKS picks the AMI: config decides
    ],
)
def test_an_unpinned_image_is_kept_only_where_it_was_recommended_for_the_same_inputs(
    image_key: str | None, recorded: list[str], kept: list[str]
) -> None:
    assert launch_template.kept_properties(image_key, recorded) == kept


def test_the_mock_builds_pulumi_eks_template_without_transforms() -> None:
    """The baseline the transforms change: pulumi-eks's own template has hop limit 2, no tags
    (nodegroup.ts createMNGCustomLaunchTemplate)."""
    props = pulumi_eks_launch_template(
        {"enableIMDSv2": True, "diskSize": 50.0, "nodeadmExtraOptions": [{}]}, "ami-r"
    )
    assert props is not None
    assert props["metadataOptions"]["httpPutResponseHopLimit"] == 2
    assert props["imageId"] == "ami-r" and "tagSpecifications" not in props
    assert pulumi_eks_launch_template({"diskSize": 50.0}) is None


# --- what the engine would create ------------------------------------------------------------


def test_every_node_group_template_has_hop_limit_one(
    calico_server_pinned: ProvisionRun, vpc_cni: ProvisionRun
) -> None:
    found = [*templates(calico_server_pinned).values(), *templates(vpc_cni).values()]
    assert len(found) == 4
    for template in found:
        assert template["inputs"]["metadataOptions"] == {
            "httpTokens": "required",
            "httpPutResponseHopLimit": 1,
            "httpEndpoint": "enabled",
        }


def test_instances_volumes_and_network_interfaces_carry_the_stack_tags(
    vpc_cni: ProvisionRun,
) -> None:
    found = templates(vpc_cni)
    assert sorted(found) == ["eks-nodes-client-launchTemplate", "eks-nodes-server-launchTemplate"]
    for role in ("client", "server"):
        inputs = found[f"eks-nodes-{role}-launchTemplate"]["inputs"]
        expected = {"owner": "qa", "cyperf-k8s/role": role}
        # EKS picks the AMI here: the template records its owner, no recommended image.
        assert inputs["tags"] == {
            **expected,
            "cyperf-k8s/launch-template": f"{vpc_cni.exports['clusterName']}/eks-nodes-{role}",
        }
        assert {s["resourceType"]: s["tags"] for s in inputs["tagSpecifications"]} == {
            "instance": expected,
            "volume": expected,
            "network-interface": expected,
        }


def test_vpc_cni_templates_leave_the_image_to_eks(vpc_cni: ProvisionRun) -> None:
    assert len(templates(vpc_cni)) == 2
    for template in templates(vpc_cni).values():
        assert "imageId" not in template["inputs"] and "userData" not in template["inputs"]
        assert template["ignoreChanges"] == []


def test_calico_first_up_takes_the_recommended_image_and_records_what_for(
    calico_server_pinned: ProvisionRun,
) -> None:
    found = templates(calico_server_pinned)
    client, server = found[CLIENT_OWN_AMI], found[SERVER_OWN_AMI]
    # Unpinned: pulumi-eks's SSM answer; the template records what it was recommended for.
    assert client["inputs"]["imageId"] == recommended_ami("1.35", AL2023)
    assert client["inputs"]["tags"]["cyperf-k8s/recommended-image-for"] == KEY
    # Nothing was recorded yet, so nothing is ignored (a create takes every input anyway).
    assert client["ignoreChanges"] == []
    # Pinned: the config's AMI, no record.
    assert server["inputs"]["imageId"] == PINNED
    assert "cyperf-k8s/recommended-image-for" not in server["inputs"]["tags"]
    assert server["ignoreChanges"] == []
    # What pulumi-eks rendered stays: its user data and the disk of the group's settings.
    assert client["inputs"]["userData"] == server["inputs"]["userData"] != ""
    assert server["inputs"]["blockDeviceMappings"] == [
        {"deviceName": "/dev/xvda", "ebs": {"volumeSize": 80.0}}
    ]


def test_node_images_output_reports_what_aws_runs(calico_server_pinned: ProvisionRun) -> None:
    assert calico_server_pinned.exports["nodeImages"] == {
        "client": {"amiId": recommended_ami("1.35", AL2023), "pinnedBy": UNPINNED_IMAGE},
        "server": {"amiId": PINNED, "pinnedBy": "eks.nodeGroups.server.amiId"},
    }
    reads = [i for i in calico_server_pinned.mocks.invokes if i.token.endswith("getLaunchTemplate")]
    assert sorted(i.args["id"] for i in reads) == [
        "lt-eks-nodes-client-own-ami",
        "lt-eks-nodes-server-own-ami",
    ]
    # Only the unpinned group asks what its template's image was recommended for.
    lookups = [i for i in calico_server_pinned.mocks.invokes if i.token.endswith("getResources")]
    assert [i.args["tagFilters"] for i in lookups] == [
        [
            {
                "key": "cyperf-k8s/launch-template",
                "values": [
                    f"{calico_server_pinned.exports['clusterName']}/eks-nodes-client-own-ami"
                ],
            }
        ]
    ]


def test_vpc_cni_groups_never_look_up_their_template(vpc_cni: ProvisionRun) -> None:
    assert [i for i in vpc_cni.mocks.invokes if i.token.endswith("getResources")] == []


# --- day two: a second run against the templates the first one left ---------------------------


def calico_config(client: dict[str, Any] | None = None, **eks: Any) -> dict[str, str]:
    """Calico, the server group pinned, the client group as given."""
    groups = {"server": {"amiId": PINNED}, "client": client or {}}
    return eks_config({"cni": {"type": "calico-vxlan"}, "nodeGroups": groups, **eks})


def second_run(first: dict[str, str], second: dict[str, str]) -> tuple[ProvisionRun, ProvisionRun]:
    """`up` with `first`, then with `second` after AWS published a new AMI release (r2)."""
    before = run_provision(first)
    after = run_provision(
        second, EksMocks(previous_templates=before.mocks.remote_children, ami_release="r2")
    )
    return before, after


def client_image(run: ProvisionRun, name: str = CLIENT_OWN_AMI) -> Any:
    return templates(run)[name]["inputs"].get("imageId")


def test_an_aws_ami_release_rolls_no_node() -> None:
    before, after = second_run(calico_config(), calico_config())
    assert client_image(before) == recommended_ami("1.35", AL2023, "r1")
    assert templates(after)[CLIENT_OWN_AMI]["ignoreChanges"] == ["imageId"]
    assert client_image(after) == client_image(before)
    assert after.exports["nodeImages"]["client"]["amiId"] == recommended_ami("1.35", AL2023, "r1")


def test_a_new_kubernetes_version_takes_its_recommended_image() -> None:
    _, after = second_run(
        calico_config(cluster={"kubernetesVersion": "1.34"}),
        calico_config(cluster={"kubernetesVersion": "1.35"}),
    )
    assert client_image(after) == recommended_ami("1.35", AL2023, "r2")
    assert templates(after)[CLIENT_OWN_AMI]["inputs"]["tags"][launch_template.IMAGE_TAG] == KEY


def test_a_new_ami_type_takes_its_recommended_image() -> None:
    bottlerocket = "BOTTLEROCKET_x86_64"
    _, after = second_run(
        calico_config(),
        calico_config({"amiType": bottlerocket}),
    )
    assert client_image(after) == recommended_ami("1.35", bottlerocket, "r2")


def test_removing_a_pin_takes_the_recommended_image_then_keeps_it() -> None:
    pinned = calico_config({"amiId": PINNED})
    _, after = second_run(pinned, calico_config())
    assert client_image(after) == recommended_ami("1.35", AL2023, "r2")
    third = run_provision(
        calico_config(),
        EksMocks(previous_templates=after.mocks.remote_children, ami_release="r3"),
    )
    assert client_image(third) == recommended_ami("1.35", AL2023, "r2")


def test_adding_max_pods_on_the_vpc_cni_is_a_new_node_group_with_an_image() -> None:
    """EKS cannot move a group from its own AMI to a template's: the group is new, and its
    template gets an image (were the old template updated with imageId ignored, the engine
    would drop the image and nodes would not join)."""
    before, after = second_run(eks_config(), eks_config({"cni": {"maxPods": 58}}))
    assert sorted(templates(before)) == [
        "eks-nodes-client-launchTemplate",
        "eks-nodes-server-launchTemplate",
    ]
    assert sorted(templates(after)) == [CLIENT_OWN_AMI, SERVER_OWN_AMI]
    assert client_image(after) == recommended_ami("1.35", AL2023, "r2")


def test_a_cni_switch_keeps_no_image_of_the_old_cluster() -> None:
    """Calico to the VPC CNI with maxPods: the same template (own AMI both times) now belongs
    to a new cluster, whose record it lacks: the recommended image comes in, none is dropped."""
    vpc_cni = eks_config({"cni": {"maxPods": 58}, "nodeGroups": {"server": {"amiId": PINNED}}})
    _, after = second_run(calico_config(), vpc_cni)
    assert templates(after)[CLIENT_OWN_AMI]["ignoreChanges"] == []
    assert client_image(after) == recommended_ami("1.35", AL2023, "r2")


def test_the_unpinned_calico_group_warns_that_its_image_stays(
    logged_warnings: list[str],
) -> None:
    run_provision(
        eks_config({"cni": {"type": "calico-vxlan"}, "nodeGroups": {"server": {"amiId": PINNED}}})
    )
    assert [w for w in logged_warnings if "nodeGroups" in w] == [
        "cyperf-k8s:eks.nodeGroups.client.amiId: is not set: the client nodes keep the AMI they "
        "have (the EKS-optimized recommended one when the group was created, or kubernetesVersion, "
        "amiType or the pin last changed); AWS AMI releases do not reach them. To move them, set "
        "amiId (current value: aws ssm get-parameter --name /aws/service/eks/optimized-ami/1.35/"
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
