"""Node images: a pinned AMI or release version reaches the node group, and `nodeImages` reports
what AWS runs and what pins it.

Every test reads from what the mock monitor recorded under `components.eks.provision`
(preview=False); counts are asserted so an assertion inside an empty loop cannot pass silently."""

from __future__ import annotations

from components.eks.images import UNPINNED_RELEASE
from mocks.aws import LATEST_RELEASE_VERSION
from tests.support.eks import NODE_GROUP, eks_config, run_provision


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
