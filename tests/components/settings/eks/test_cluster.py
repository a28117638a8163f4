"""The EKS control plane section (`eks.cluster`)."""

from __future__ import annotations

from typing import Any

import pytest

from components.settings.eks.cluster import cluster_dns_ip
from tests.support.eks import NO_AGENTS, eks_settings
from tests.support.program import refused


@pytest.mark.parametrize(
    ("eks", "key", "fragment"),
    [
        ({"cluster": {"kubernetesVersion": 1.34}}, "eks.cluster.kubernetesVersion", "string"),
        (
            {"cluster": {"endpointPublicAccess": False, "endpointPrivateAccess": False}},
            "eks.cluster.endpointPublicAccess",
            "public or private access",
        ),
        (
            {"cluster": {"endpointPublicAccess": False, "publicAccessCidrs": ["10.0.0.0/8"]}},
            "eks.cluster.publicAccessCidrs",
            "only with endpointPublicAccess true",
        ),
    ],
)
def test_bad_cluster_settings_are_rejected_naming_the_key(
    eks: dict[str, Any], key: str, fragment: str
) -> None:
    refused(eks_settings(eks, agentGroups=NO_AGENTS), key, fragment)


@pytest.mark.parametrize(
    ("cidr", "dns"),
    [
        ("10.100.0.0/16", "10.100.0.10"),
        ("172.20.0.0/16", "172.20.0.10"),
        ("10.8.4.0/24", "10.8.4.10"),
    ],
)
def test_cluster_dns_ip_is_the_tenth_address(cidr: str, dns: str) -> None:
    assert cluster_dns_ip(cidr) == dns
