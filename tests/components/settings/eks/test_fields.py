"""The field checks and annotated types the EKS sections share: every rejection names the key,
the value and what is allowed (as `cyperf-k8s:eks.<path>: <message> (got <value>)`)."""

from __future__ import annotations

from typing import Any

import pytest

from components.settings.eks.fields import instance_architecture
from tests.support.eks import NO_AGENTS, eks_config, eks_settings, parse_eks
from tests.support.program import one_problem, refused


@pytest.mark.parametrize(
    ("eks", "key", "fragment"),
    [
        ({"network": {"vpcId": "vpc-0123456789abcdef0\n"}}, "eks.network.vpcId", "vpc-"),
        (
            {"nodeGroups": {"server": {"amiId": "ami-0123456789abcdef0\n"}}},
            "eks.nodeGroups.server.amiId",
            "an AMI id such as",
        ),
        (
            {"nodeGroups": {"server": {"instanceTypes": ["c5.2xlarge\n"]}}},
            "eks.nodeGroups.server.instanceTypes[0]",
            "",
        ),
        (
            {"network": {"availabilityZoneIds": ["use1-az\u0661", "use1-az2"]}},
            "eks.network.availabilityZoneIds[0]",
            "",
        ),
        ({"cni": {"calicoVersion": "v3.32.1\n"}}, "eks.cni.calicoVersion", ""),
        ({"tags": {"owner\n": "qa"}}, "eks.tags", "tag key"),
        ({"tags": {"owner": "q\ta"}}, "eks.tags", "tag 'owner' value"),
    ],
)
def test_eks_patterns_match_whole_ascii_values(
    eks: dict[str, Any], key: str, fragment: str
) -> None:
    """A trailing newline, a tab or another script's digit never passes (fullmatch, re.ASCII)."""
    problem = one_problem(eks_config(eks))
    assert problem.startswith(f"cyperf-k8s:{key}: "), problem
    assert fragment in problem, problem


def test_tags_may_use_letters_of_any_script() -> None:
    assert parse_eks(eks_config({"tags": {"Eigentümer": "Qualitätssicherung"}})).eks.tags == {
        "Eigentümer": "Qualitätssicherung"
    }


@pytest.mark.parametrize(
    ("eks", "key", "fragment"),
    [
        ({"network": {"vpcCidr": "10.0.0.1/16"}}, "eks.network.vpcCidr", "'10.0.0.0/16'"),
        ({"network": {"vpcCidr": "8.8.0.0/16"}}, "eks.network.vpcCidr", "private range"),
        ({"network": {"vpcCidr": "10.0.0.0/26"}}, "eks.network.vpcCidr", "/16 to /24"),
        (
            {"network": {"availabilityZones": ["us-east-1a", "nowhere"]}},
            "eks.network.availabilityZones[1]",
            "us-east-1a",
        ),
        (
            {"network": {"availabilityZoneIds": ["use1-az1", "us-east-1b"]}},
            "eks.network.availabilityZoneIds[1]",
            "an availability zone ID such as 'use1-az1'",
        ),
        ({"network": {"vpcId": "vpc-12"}}, "eks.network.vpcId", "vpc-0123456789abcdef0"),
        (
            {"network": {"privateSubnetIds": ["subnet-1"]}},
            "eks.network.privateSubnetIds[0]",
            "subnet-0123456789abcdef0",
        ),
        (
            {"cluster": {"adminPrincipalArns": ["arn:aws:sts::123456789012:assumed-role/A/s"]}},
            "eks.cluster.adminPrincipalArns[0]",
            "IAM role or user ARN",
        ),
        (
            {"cluster": {"publicAccessCidrs": ["198.51.100.7"]}},
            "eks.cluster.publicAccessCidrs[0]",
            "prefix length",
        ),
        (
            {"cluster": {"publicAccessCidrs": ["nonsense"]}},
            "eks.cluster.publicAccessCidrs[0]",
            "IPv4 CIDR",
        ),
        ({"cluster": {"serviceCidr": "100.64.0.0/16"}}, "eks.cluster.serviceCidr", "private"),
        ({"cluster": {"serviceCidr": "10.0.0.0/8"}}, "eks.cluster.serviceCidr", "/12 to /24"),
        ({"cni": {"type": "calico-vxlan", "podCidr": "10.8.0.0/28"}}, "eks.cni.podCidr", "/24"),
        ({"cni": {"calicoVersion": "latest"}}, "eks.cni.calicoVersion", "pinned"),
        ({"cni": {"addonVersion": "1.2"}}, "eks.cni.addonVersion", "eksbuild"),
        (
            {"nodeGroups": {"client": {"instanceTypes": ["C5.2XLARGE"]}}},
            "eks.nodeGroups.client.instanceTypes[0]",
            "EC2 instance type",
        ),
        (
            {"controllerSecurityGroupId": "sg-xyz"},
            "eks.controllerSecurityGroupId",
            "sg-0123456789abcdef0",
        ),
        (
            {"tags": {"aws:owner": "me"}},
            "eks.tags",
            "tag key 'aws:owner' must not start with 'aws:', a prefix reserved by AWS",
        ),
        ({"tags": {"owner": "a,b;c"}}, "eks.tags", "tag 'owner' value 'a,b;c' must be"),
        (
            {"nodeGroups": {"server": {"amiId": "ami-123"}}},
            "eks.nodeGroups.server.amiId",
            "an AMI id such as",
        ),
        (
            {"nodeGroups": {"server": {"amiReleaseVersion": "v20260120"}}},
            "eks.nodeGroups.server.amiReleaseVersion",
            "'1.35.0-20260120'",
        ),
    ],
)
def test_bad_field_settings_are_rejected_naming_the_key(
    eks: dict[str, Any], key: str, fragment: str
) -> None:
    refused(eks_settings(eks, agentGroups=NO_AGENTS), key, fragment)


@pytest.mark.parametrize(
    ("instance_type", "arch"),
    [
        ("c5.2xlarge", "amd64"),
        ("c5n.9xlarge", "amd64"),
        ("m7i-flex.large", "amd64"),
        ("g4dn.xlarge", "amd64"),
        ("m7g.4xlarge", "arm64"),
        ("c6gn.2xlarge", "arm64"),
        ("t4g.medium", "arm64"),
        ("is4gen.xlarge", "arm64"),
        ("a1.large", "arm64"),
    ],
)
def test_instance_architecture(instance_type: str, arch: str) -> None:
    assert instance_architecture(instance_type) == arch
