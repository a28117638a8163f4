"""The node groups' launch templates: IMDS hop limit 1, encrypted gp3 volumes, the stack's tags
on what a launch creates, an unpinned AMI kept until what it was chosen for changes, and the
checks that the transform reached the template and took effect.

pulumi-eks creates the template inside its ManagedNodeGroup; the program changes it through a
`transforms` option. The mocks build the template as pulumi-eks would from the node group's
registered inputs (its recommended AMI depending on version, amiType and AWS release) and run the
transforms the program registered (mocks.aws.EksMocks); a second run reads the state the first
left (tests.support.eks.deployed_state): these tests read what the engine would create, run after
run, not what the program meant to do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import grpc
import pytest

from components import deployed
from components.eks import launch_template
from components.eks.images import LEGACY_RECOMMENDED_TAG, UNPINNED_IMAGE
from mocks.aws import pulumi_eks_launch_template, recommended_ami
from mocks.stack_state import StackState
from tests.support.eks import (
    EksMocks,
    ProvisionRun,
    deployed_state,
    eks_config,
    run_provision,
    updating,
)

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
    own = launch_template.template_tags("cyperf-x-calico-abc123", "eks-nodes-client-own-ami")
    assert own == {"cyperf-k8s/launch-template": "cyperf-x-calico-abc123/eks-nodes-client-own-ami"}
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
    # pulumi-eks's one mapping (nodegroup.ts createMNGCustomLaunchTemplate: only volumeSize)
    # becomes an encrypted gp3 volume of the same size and device.
    assert changed["blockDeviceMappings"] == [
        {
            "deviceName": "/dev/xvda",
            "ebs": {"volumeSize": 50, "volumeType": "gp3", "encrypted": "true"},
        }
    ]
    owned = {"metadataOptions", "blockDeviceMappings"}
    untouched = {k: v for k, v in changed.items() if k in original and k not in owned}
    assert untouched == {k: v for k, v in original.items() if k not in owned}
    # A kept image replaces pulumi-eks's where the template has one, and is never added.
    assert launch_template.node_launch_template(original, TAGS, own, "ami-k")["imageId"] == "ami-k"
    assert "imageId" not in launch_template.node_launch_template({}, TAGS, own, "ami-k")


KEY = "1.35/AL2023_x86_64_STANDARD"


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
    assert client["ignoreChanges"] == [] and server["ignoreChanges"] == []
    # Pinned: the config's AMI.
    assert server["inputs"]["imageId"] == PINNED
    # What pulumi-eks rendered stays: its user data and the disk of the group's settings.
    assert client["inputs"]["userData"] == server["inputs"]["userData"] != ""
    assert server["inputs"]["blockDeviceMappings"] == [
        {
            "deviceName": "/dev/xvda",
            "ebs": {"volumeSize": 80.0, "volumeType": "gp3", "encrypted": "true"},
        }
    ]


def test_node_images_output_reports_what_aws_runs(calico_server_pinned: ProvisionRun) -> None:
    assert calico_server_pinned.exports["nodeImages"] == {
        "client": {
            "amiId": recommended_ami("1.35", AL2023),
            "pinnedBy": UNPINNED_IMAGE,
            # What the next run keeps the image for (components.eks.images.kept_image).
            "recommendedFor": KEY,
        },
        "server": {"amiId": PINNED, "pinnedBy": "eks.nodeGroups.server.amiId"},
    }
    reads = [i for i in calico_server_pinned.mocks.invokes if i.token.endswith("getLaunchTemplate")]
    assert sorted(i.args["id"] for i in reads) == [
        "lt-eks-nodes-client-own-ami",
        "lt-eks-nodes-server-own-ami",
    ]
    # The record is the stack's own output: no AWS tagging API, on any path.
    tokens = {i.token for i in calico_server_pinned.mocks.invokes}
    assert not [t for t in tokens if "resourcegroupstaggingapi" in t]


# --- day two: a second run against the templates the first one left ---------------------------


def calico_config(client: dict[str, Any] | None = None, **eks: Any) -> dict[str, str]:
    """Calico, the server group pinned, the client group as given."""
    groups = {"server": {"amiId": PINNED}, "client": client or {}}
    return eks_config({"cni": {"type": "calico-vxlan"}, "nodeGroups": groups, **eks})


def second_run(first: dict[str, str], second: dict[str, str]) -> tuple[ProvisionRun, ProvisionRun]:
    """`up` with `first`, then with `second` after AWS published a new AMI release (r2)."""
    before = run_provision(first)
    after = run_provision(second, updating(deployed_state(before), ami_release="r2"))
    return before, after


def client_image(run: ProvisionRun, name: str = CLIENT_OWN_AMI) -> Any:
    return templates(run)[name]["inputs"].get("imageId")


def test_an_aws_ami_release_rolls_no_node() -> None:
    before, after = second_run(calico_config(), calico_config())
    assert client_image(before) == recommended_ami("1.35", AL2023, "r1")
    assert client_image(after) == client_image(before)
    assert after.exports["nodeImages"]["client"]["amiId"] == recommended_ami("1.35", AL2023, "r1")


def test_a_new_kubernetes_version_takes_its_recommended_image() -> None:
    _, after = second_run(
        calico_config(cluster={"kubernetesVersion": "1.34"}),
        calico_config(cluster={"kubernetesVersion": "1.35"}),
    )
    assert client_image(after) == recommended_ami("1.35", AL2023, "r2")
    assert after.exports["nodeImages"]["client"]["recommendedFor"] == KEY


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
    third = run_provision(calico_config(), updating(deployed_state(after), ami_release="r3"))
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


def test_a_cni_switch_keeps_the_image_recorded_for_the_same_version_and_ami_type() -> None:
    """Calico to the VPC CNI with maxPods: the new cluster's new node group (own AMI both
    times) starts from the AMI the stack recorded for the same Kubernetes version and amiType,
    an image valid for it, rather than from whatever AWS released since."""
    vpc_cni = eks_config({"cni": {"maxPods": 58}, "nodeGroups": {"server": {"amiId": PINNED}}})
    before, after = second_run(calico_config(), vpc_cni)
    assert after.exports["clusterName"] != before.exports["clusterName"]
    assert client_image(after) == recommended_ami("1.35", AL2023, "r1")


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


# --- the kept image's record: the stack's own last `nodeImages` output ------------------------


def legacy_state(run: ProvisionRun) -> StackState:
    """The state `run` leaves, as the version before the `recommendedFor` record left it: the
    nodeImages entry without it, the record in a tag of the group's template instead."""
    state = deployed_state(run)
    del state.outputs["nodeImages"]["client"]["recommendedFor"]
    [template] = [
        r["outputs"]
        for r in state.resources.values()
        if r["type"] == launch_template.LAUNCH_TEMPLATE_TYPE
        and r["outputs"]["tags"][launch_template.OWNER_TAG].endswith("/eks-nodes-client-own-ami")
    ]
    template["tags"] = {**template["tags"], LEGACY_RECOMMENDED_TAG: KEY}
    return state


def test_a_stack_deployed_before_the_record_keeps_its_image(
    logged_warnings: list[str],
) -> None:
    """The first `up` of this version on a stack the version before deployed: the record is the
    template's tag, the image stays, nothing rolls."""
    before = run_provision(calico_config())
    logged_warnings.clear()
    after = run_provision(calico_config(), updating(legacy_state(before), ami_release="r2"))
    assert client_image(after) == recommended_ami("1.35", AL2023, "r1")
    assert after.exports["nodeImages"]["client"]["recommendedFor"] == KEY
    assert [w for w in logged_warnings if "roll" in w] == []
    # The tag is gone from this run's template: the next run keeps it by the output's record.
    assert LEGACY_RECOMMENDED_TAG not in templates(after)[CLIENT_OWN_AMI]["inputs"]["tags"]


def test_a_group_without_a_record_warns_and_names_the_ami_to_pin(
    logged_warnings: list[str],
) -> None:
    """A stack whose last output and template both lack the record: the nodes would roll to
    the recommended AMI, and preview says so with the AMI that keeps them."""
    before = run_provision(calico_config())
    state = deployed_state(before)
    del state.outputs["nodeImages"]["client"]["recommendedFor"]
    logged_warnings.clear()
    after = run_provision(calico_config(), updating(state, ami_release="r2"))
    assert client_image(after) == recommended_ami("1.35", AL2023, "r2")
    [warning] = [w for w in logged_warnings if "recommended AMI for" in w]
    assert warning.startswith("cyperf-k8s:eks.nodeGroups.client.amiId: is not set and ")
    assert f"set amiId to {recommended_ami('1.35', AL2023, 'r1')}" in warning


def test_a_group_whose_outputs_lost_the_record_is_found_by_its_template(
    logged_warnings: list[str],
) -> None:
    """The stack's state holds the group's template (found by its owner tag) but its outputs
    have no nodeImages entry: the group exists, so preview warns with the template's AMI."""
    before = run_provision(calico_config())
    state = deployed_state(before)
    del state.outputs["nodeImages"]
    after = run_provision(calico_config(), updating(state, ami_release="r2"))
    assert client_image(after) == recommended_ami("1.35", AL2023, "r2")
    [warning] = [w for w in logged_warnings if "recommended AMI for" in w]
    assert f"set amiId to {recommended_ami('1.35', AL2023, 'r1')}" in warning


def test_an_empty_recorded_image_is_never_kept_silently(logged_warnings: list[str]) -> None:
    """An empty AMI in the record: the template in the state still says which AMI the nodes run
    (kept); without that template either, the recommended AMI comes in, with a warning."""
    before = run_provision(calico_config())
    state = deployed_state(before)
    state.outputs["nodeImages"]["client"]["amiId"] = ""
    after = run_provision(calico_config(), updating(state, ami_release="r2"))
    assert client_image(after) == client_image(before)
    assert [w for w in logged_warnings if "roll" in w] == []
    for urn in [
        u
        for u, r in state.resources.items()
        if r["type"] == "aws:ec2/launchTemplate:LaunchTemplate"
    ]:
        del state.resources[urn]
    after = run_provision(calico_config(), updating(state, ami_release="r2"))
    assert client_image(after) == recommended_ami("1.35", AL2023, "r2")
    assert [w for w in logged_warnings if "set amiId to the AMI they run" in w] != []


def test_a_new_version_warns_that_the_nodes_roll(logged_warnings: list[str]) -> None:
    second_run(
        calico_config(cluster={"kubernetesVersion": "1.34"}),
        calico_config(cluster={"kubernetesVersion": "1.35"}),
    )
    [warning] = [w for w in logged_warnings if "recommended AMI for" in w]
    assert "was recommended for 1.34/AL2023_x86_64_STANDARD, this run is for " + KEY in warning


def test_a_first_up_and_a_kept_image_warn_nothing_about_rolling(
    logged_warnings: list[str],
) -> None:
    second_run(calico_config(), calico_config())
    assert [w for w in logged_warnings if "roll" in w] == []


class ReadError(grpc.RpcError):  # type: ignore[misc]  # grpc ships no types
    """How the engine answers a builtin read that fails."""

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.UNKNOWN

    def details(self) -> str:
        return "failed to load checkpoint: EOF"


class UnreadableState(StackState):
    def answer(self, token: str, args: Mapping[str, Any]) -> dict[str, Any]:
        raise ReadError()


def test_an_unreadable_state_warns_that_unpinned_images_may_move(
    monkeypatch: pytest.MonkeyPatch, logged_warnings: list[str]
) -> None:
    monkeypatch.setattr(deployed, "READ_RETRY_SECONDS", 0)
    run = run_provision(calico_config(), updating(UnreadableState(), ami_release="r2"))
    assert client_image(run) == recommended_ami("1.35", AL2023, "r2")
    assert [w for w in logged_warnings if "own state could not be read" in w] != []
    [warning] = [w for w in logged_warnings if "nodeImages output could not be read" in w]
    assert warning.startswith("cyperf-k8s:eks.nodeGroups.client.amiId:")


# --- self-checks: the transform reached the template, and AWS reports what was asked ----------


def test_read_back_problems() -> None:
    owner = "c/eks-nodes-client"
    tags = {launch_template.OWNER_TAG: owner}
    good = [("gp3", "true")]
    assert launch_template.read_back_problems(owner, 1, tags, good) == []
    assert launch_template.read_back_problems(owner, 2, {}, [("gp2", "false")]) == [
        "metadata hop limit 2, not 1",
        "tag cyperf-k8s/launch-template is None, not 'c/eks-nodes-client'",
        "volumes [('gp2', 'false')], not encrypted gp3",
    ]
    # No volume read back is not taken for an encrypted one.
    assert launch_template.read_back_problems(owner, 1, tags, []) != []


def test_a_template_the_transform_never_reaches_is_warned_about(
    logged_warnings: list[str],
) -> None:
    """A pulumi-eks that creates the template under another parent (or renames its type): the
    node groups' transforms match nothing; the run says so, and the read-back after `up` shows
    pulumi-eks's own template (hop limit 2, no owner tag, unencrypted volume)."""
    run = run_provision(calico_config(), EksMocks(reparented_template=True))
    assert len(run.mocks.remote_children) == 2
    unmatched = sorted(w for w in logged_warnings if "reached the stack's transform" in w)
    cluster = run.exports["clusterName"]
    assert [w.split(":")[0] for w in unmatched] == [
        f"node group {cluster}/eks-nodes-client-own-ami",
        f"node group {cluster}/eks-nodes-server-own-ami",
    ]
    differs = [w for w in logged_warnings if "differs from what the stack asked" in w]
    assert len(differs) == 2
    for warning in differs:
        assert "metadata hop limit 2, not 1" in warning
        assert "tag cyperf-k8s/launch-template is None" in warning
        assert "not encrypted gp3" in warning


def test_a_template_as_asked_warns_nothing(
    vpc_cni: ProvisionRun, logged_warnings: list[str]
) -> None:
    run_provision(calico_config())
    run_provision(eks_config())
    assert [w for w in logged_warnings if "transform" in w or "differs from" in w] == []
    reads = [i for i in vpc_cni.mocks.invokes if i.token.endswith("getLaunchTemplate")]
    # EKS picks the AMI here, and the template is still read back.
    assert sorted(i.args["id"] for i in reads) == ["lt-eks-nodes-client", "lt-eks-nodes-server"]


# --- what a change rolls, said at preview ------------------------------------------------------


def test_a_tags_change_names_the_node_groups_it_rolls(logged_warnings: list[str]) -> None:
    second_run(calico_config(tags={"owner": "qa"}), calico_config(tags={"owner": "perf"}))
    [warning] = [w for w in logged_warnings if "rolls the" in w]
    assert warning.startswith("cyperf-k8s:eks.tags: changes the tags the launch templates give")
    assert "rolls the client and server node groups (a new launch template version" in warning
    logged_warnings.clear()
    second_run(calico_config(tags={"owner": "qa"}), calico_config(tags={"owner": "qa"}))
    assert [w for w in logged_warnings if "rolls the" in w] == []


def test_volumes_from_before_encryption_warn_that_they_roll(logged_warnings: list[str]) -> None:
    before = run_provision(calico_config())
    state = deployed_state(before)
    [client] = [
        r["outputs"]
        for r in state.resources.values()
        if r["outputs"]
        .get("tags", {})
        .get(launch_template.OWNER_TAG, "")
        .endswith("/eks-nodes-client-own-ami")
    ]
    client["blockDeviceMappings"] = [{"deviceName": "/dev/xvda", "ebs": {"volumeSize": 50}}]
    logged_warnings.clear()
    run_provision(calico_config(), updating(state))
    [warning] = [w for w in logged_warnings if "encrypted gp3 and rolls" in w]
    assert warning.startswith(
        "cyperf-k8s:eks.nodeGroups: the volumes of the client node group date"
    )
