"""The EKS network section (`eks.network`): a VPC the stack creates or an existing one."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.eks import NO_AGENTS, eks_config, eks_settings
from tests.support.program import refused, rejected


@pytest.mark.parametrize(
    ("eks", "key", "fragment"),
    [
        (
            {"network": {"vpcCidr": "10.0.0.0/24", "availabilityZoneCount": 3}},
            "eks.network.vpcCidr",
            "too small",
        ),
        ({"network": {"availabilityZoneCount": 1}}, "eks.network.availabilityZoneCount", "2"),
        (
            {"network": {"availabilityZones": ["us-east-1a"]}},
            "eks.network.availabilityZones",
            "at least two",
        ),
        (
            {
                "network": {
                    "availabilityZones": ["us-east-1a", "us-east-1b"],
                    "availabilityZoneCount": 2,
                }
            },
            "eks.network.availabilityZoneCount",
            "give only one of availabilityZones, availabilityZoneIds and availabilityZoneCount",
        ),
        (
            {
                "network": {
                    "availabilityZones": ["us-east-1a", "us-east-1b"],
                    "availabilityZoneIds": ["use1-az1", "use1-az2"],
                }
            },
            "eks.network.availabilityZoneIds",
            "give only one of",
        ),
        (
            {"network": {"availabilityZoneIds": ["use1-az1", "use1-az1"]}},
            "eks.network.availabilityZoneIds",
            "at least two distinct",
        ),
        (
            {"network": {"availabilityZoneIds": ["use1-az3", "use1-az1"]}},
            "eks.network.availabilityZoneIds[0]",
            "EKS cannot place cluster subnets in zones ['use1-az3', 'usw1-az2', 'cac1-az3']",
        ),
        (
            {
                "network": {
                    "vpcId": "vpc-0123456789abcdef0",
                    "privateSubnetIds": ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
                    "availabilityZoneIds": ["use1-az1", "use1-az2"],
                }
            },
            "eks.network.availabilityZoneIds",
            "applies only with a VPC the stack creates (vpcId is 'vpc-0123456789abcdef0'); "
            "remove it",
        ),
        (
            {"network": {"vpcId": "vpc-0123456789abcdef0"}},
            "eks.network.privateSubnetIds",
            "is required with vpcId",
        ),
        (
            {
                "network": {
                    "vpcId": "vpc-0123456789abcdef0",
                    "nodePlacement": "public",
                    "privateSubnetIds": ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
                }
            },
            "eks.network.publicSubnetIds",
            "is required with vpcId and nodePlacement 'public'",
        ),
        (
            {
                "network": {
                    "vpcId": "vpc-0123456789abcdef0",
                    "privateSubnetIds": ["subnet-0aaaaaaaaaaaaaaa1"],
                }
            },
            "eks.network.privateSubnetIds",
            "at least two availability zones",
        ),
        (
            {
                "network": {
                    "vpcId": "vpc-0123456789abcdef0",
                    "vpcCidr": "10.1.0.0/16",
                    "privateSubnetIds": ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
                }
            },
            "eks.network.vpcCidr",
            "only with a VPC the stack creates",
        ),
        (
            {"network": {"privateSubnetIds": ["subnet-0aaaaaaaaaaaaaaa1"]}},
            "eks.network.privateSubnetIds",
            "applies only with vpcId (without it the stack creates the VPC and its subnets)",
        ),
        ({"network": {"nodePlacement": "dmz"}}, "eks.network.nodePlacement", "'private'"),
        (
            {"network": {"dutSourceSecurityGroupId": "sg-0d0d0d0d0d0d0d0d0"}},
            "eks.network.dutSourceSecurityGroupId",
            "applies only with vpcId (a rule references a group of the same or a peered VPC "
            "only) (without it the stack creates the VPC); list the DUT's addresses in "
            "dutSourceCidrs instead",
        ),
    ],
)
def test_bad_network_settings_are_rejected_naming_the_key(
    eks: dict[str, Any], key: str, fragment: str
) -> None:
    refused(eks_settings(eks, agentGroups=NO_AGENTS), key, fragment)


def test_existing_vpc_subnet_lists_must_be_distinct() -> None:
    problems = rejected(
        eks_config(
            {
                "network": {
                    "vpcId": "vpc-0123456789abcdef0",
                    "publicSubnetIds": ["subnet-0aaaaaaaaaaaaaaa1"],
                    "privateSubnetIds": ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa1"],
                }
            }
        )
    )
    assert any("more than once" in p for p in problems), problems
    assert any("both public and private" in p for p in problems), problems
