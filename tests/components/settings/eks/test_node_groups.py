"""The EKS node group section (`eks.nodeGroups`)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.eks import NO_AGENTS, eks_settings
from tests.support.program import refused


@pytest.mark.parametrize(
    ("eks", "key", "fragment"),
    [
        (
            {"nodeGroups": {"client": {"minSize": 3, "maxSize": 2}}},
            "eks.nodeGroups.client.minSize",
            "must not exceed maxSize 2",
        ),
        (
            {"nodeGroups": {"server": {"desiredSize": 5, "maxSize": 3}}},
            "eks.nodeGroups.server.desiredSize",
            "between minSize 1 and maxSize 3",
        ),
        (
            {"nodeGroups": {"client": {"instanceTypes": []}}},
            "eks.nodeGroups.client.instanceTypes",
            "at least 1",
        ),
        (
            {"nodeGroups": {"client": {"instanceTypes": ["m7g.large"]}}},
            "eks.nodeGroups.client.instanceTypes",
            "do not match amiType",
        ),
        (
            {"nodeGroups": {"client": {"amiType": "AL2023_ARM_64_STANDARD"}}},
            "eks.nodeGroups.client.instanceTypes",
            "Graviton",
        ),
        (
            {"nodeGroups": {"client": {"amiType": "WINDOWS_CORE_2022_x86_64"}}},
            "eks.nodeGroups.client.amiType",
            "AL2023_x86_64_STANDARD",
        ),
        (
            {"nodeGroups": {"client": {"amiType": "AL2_x86_64"}}},
            "eks.nodeGroups.client.amiType",
            "'BOTTLEROCKET_ARM_64'",
        ),
        (
            {"nodeGroups": {"client": {"capacityType": "RESERVED"}}},
            "eks.nodeGroups.client.capacityType",
            "'ON_DEMAND' or 'SPOT'",
        ),
        ({"nodeGroups": {"client": {"diskSize": 8}}}, "eks.nodeGroups.client.diskSize", "20"),
        (
            {"nodeGroups": {"client": {"labels": {"agenttype": "server"}}}},
            "eks.nodeGroups.client.labels",
            "set by the stack",
        ),
        ({"nodeGroups": {"gateway": {}}}, "eks.nodeGroups.gateway", "not a known setting"),
    ],
)
def test_bad_node_group_settings_are_rejected_naming_the_key(
    eks: dict[str, Any], key: str, fragment: str
) -> None:
    refused(eks_settings(eks, agentGroups=NO_AGENTS), key, fragment)
