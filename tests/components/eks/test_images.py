"""Node images: a pinned AMI or release version reaches the node group, and `nodeImages` reports
what AWS runs and what pins it.

Every test reads from what the mock monitor recorded under `components.eks.provision`
(preview=False); counts are asserted so an assertion inside an empty loop cannot pass silently."""

from __future__ import annotations

from typing import Any

import pytest

from components.eks.images import LEGACY_RECOMMENDED_TAG, UNPINNED_RELEASE, kept_image
from mocks.aws import LATEST_RELEASE_VERSION
from tests.support.eks import NODE_GROUP, eks_config, eks_of, run_provision


def test_pinned_ami_on_the_calico_path(logged_warnings: list[str]) -> None:
    """Custom user data (Calico's maxPods): pulumi-eks would read the SSM "recommended" AMI on
    every run; a pinned amiId goes in instead, with its OS and without amiType."""
    pins = {"client": "ami-0123456789abcdef0", "server": "ami-0fedcba9876543210"}
    config = eks_config(
        {
            "cni": {"type": "calico-vxlan"},
            "nodeGroups": {
                "client": {"amiId": pins["client"]},
                "server": {"amiId": pins["server"], "amiType": "BOTTLEROCKET_x86_64"},
            },
        }
    )
    run = run_provision(config)
    groups = {g.name: g.inputs for g in run.of_type(NODE_GROUP)}
    assert len(groups) == 2
    assert groups["eks-nodes-client-own-ami"]["amiId"] == pins["client"]
    assert groups["eks-nodes-client-own-ami"]["operatingSystem"] == "AL2023"
    assert groups["eks-nodes-server-own-ami"]["operatingSystem"] == "Bottlerocket"
    assert all("amiType" not in g and "releaseVersion" not in g for g in groups.values())
    assert run.exports["nodeImages"] == {
        role: {"amiId": ami, "pinnedBy": f"eks.nodeGroups.{role}.amiId"}
        for role, ami in pins.items()
    }
    assert [w for w in logged_warnings if "nodeGroups" in w] == []
    # A new pin is a new input (a deliberate change); the same config, the same inputs.
    again = {g.name: g.inputs for g in run_provision(config).of_type(NODE_GROUP)}
    assert again == groups


def test_pinned_release_version_on_the_eks_managed_path(logged_warnings: list[str]) -> None:
    config = eks_config({"nodeGroups": {"client": {"amiReleaseVersion": "1.35.0-20260120"}}})
    run = run_provision(config)
    groups = {g.name: g.inputs for g in run.of_type(NODE_GROUP)}
    assert groups["eks-nodes-client"]["releaseVersion"] == "1.35.0-20260120"
    assert groups["eks-nodes-client"]["amiType"] == "AL2023_x86_64_STANDARD"
    assert "releaseVersion" not in groups["eks-nodes-server"]
    # Unset, the AWS provider keeps the release EKS chose at creation (an optional, computed
    # input): nothing rolls on an AWS release, so nothing to warn about.
    assert [w for w in logged_warnings if "nodeGroups" in w] == []
    assert run.exports["nodeImages"] == {
        "client": {
            "releaseVersion": "1.35.0-20260120",
            "pinnedBy": "eks.nodeGroups.client.amiReleaseVersion",
        },
        "server": {"releaseVersion": LATEST_RELEASE_VERSION, "pinnedBy": UNPINNED_RELEASE},
    }


CALICO = {"cni": {"type": "calico-vxlan"}}
KEY = "1.35/AL2023_x86_64_STANDARD"
UNPINNED = "recommended when created, or at the last change of version, amiType or pin"


def deployed_with(client: dict[str, str]) -> dict[str, Any]:
    return {"nodeImages": {"client": client}}


def legacy_template(recommended_for: str) -> dict[str, Any]:
    """A launch template as the version before `recommendedFor` left it in the state."""
    return {"imageId": "ami-1", "tags": {LEGACY_RECOMMENDED_TAG: recommended_for}}


# The entry that version wrote for an unpinned group: no record of its own.
LEGACY_ENTRY = {"amiId": "ami-1", "pinnedBy": UNPINNED}


@pytest.mark.parametrize(
    ("eks", "deployed", "template", "kept", "warned"),
    [
        # Recorded for this run's version and amiType: kept, nothing to say.
        (CALICO, deployed_with({"amiId": "ami-1", "recommendedFor": KEY}), None, "ami-1", None),
        # Recorded by the version before in the template's tag: kept the same way.
        (CALICO, deployed_with(LEGACY_ENTRY), legacy_template(KEY), "ami-1", None),
        (CALICO, {}, legacy_template(KEY), "ami-1", None),
        # No stack outputs yet (first `up`), or no such group: the recommended AMI, silently.
        (CALICO, {}, None, None, None),
        (CALICO, {"nodeImages": {}}, None, None, None),
        # A group where EKS picked the AMI: a new group replaces it (preview shows that).
        (CALICO, deployed_with({"releaseVersion": "1.35.0-1"}), None, None, None),
        # Pinned now, or EKS picks the AMI now: config decides, no record needed.
        (
            {**CALICO, "nodeGroups": {"client": {"amiId": "ami-0123456789abcdef0"}}},
            None,
            None,
            None,
            None,
        ),
        ({}, None, None, None, None),
        # A group exists but its record does not keep the image: warned, with the AMI to pin.
        (
            CALICO,
            deployed_with({"amiId": "ami-1", "recommendedFor": "1.34/AL2023_x86_64_STANDARD"}),
            None,
            None,
            "recommended for 1.34/AL2023_x86_64_STANDARD, this run is for " + KEY,
        ),
        (
            CALICO,
            deployed_with(LEGACY_ENTRY),
            legacy_template("1.34/AL2023_x86_64_STANDARD"),
            None,
            "recommended for 1.34/AL2023_x86_64_STANDARD, this run is for " + KEY,
        ),
        (
            CALICO,
            deployed_with({"amiId": "ami-1", "pinnedBy": "eks.nodeGroups.client.amiId"}),
            None,
            None,
            "the client nodes run the AMI it pinned until now",
        ),
        # No record in the entry nor in the template's tags.
        (CALICO, deployed_with(LEGACY_ENTRY), None, None, "set amiId to ami-1"),
        (
            CALICO,
            deployed_with(LEGACY_ENTRY),
            {"imageId": "ami-1", "tags": {}},
            None,
            "set amiId to ami-1",
        ),
        (
            CALICO,
            deployed_with({"amiId": "", "recommendedFor": KEY}),
            None,
            None,
            "the AMI they run",
        ),
        # The outputs could not be read: the recommended AMI, with a warning.
        (CALICO, None, None, None, "nodeImages output could not be read"),
    ],
)
def test_kept_image(
    eks: dict[str, Any],
    deployed: dict[str, Any] | None,
    template: dict[str, Any] | None,
    kept: str | None,
    warned: str | None,
) -> None:
    image, warnings = kept_image("client", eks_of(eks), deployed, template)
    assert image == kept
    assert [str(w) for w in warnings if warned is not None and warned in str(w)] == [
        str(w) for w in warnings
    ]
    assert len(warnings) == (0 if warned is None else 1)
    for warning in warnings:
        assert str(warning).startswith("cyperf-k8s:eks.nodeGroups.client.amiId: is not set and ")


def test_a_deployed_template_without_a_record_is_a_group_that_exists() -> None:
    image, [warning] = kept_image("client", eks_of(CALICO), {}, {"imageId": "ami-2"})
    assert image is None and "set amiId to ami-2" in str(warning)
