"""The EKS pod network section (`eks.cni`)."""

from __future__ import annotations

from typing import Any

import pytest

from components.settings.eks.versions import DEFAULT_CALICO_VERSION
from tests.support.eks import NO_AGENTS, eks_config, eks_settings, parse_eks
from tests.support.program import refused


def test_calico_defaults() -> None:
    eks = parse_eks(eks_config({"cni": {"type": "calico-vxlan"}})).eks
    assert eks.cni.effective_pod_cidr == "192.168.0.0/16"
    assert eks.cni.effective_max_pods == 110
    assert eks.cni.calico_version == DEFAULT_CALICO_VERSION


@pytest.mark.parametrize(
    ("eks", "key", "fragment"),
    [
        ({"cni": {"type": "cilium"}}, "eks.cni.type", "'aws-vpc-cni' or 'calico-vxlan'"),
        (
            {"cni": {"podCidr": "172.16.0.0/16"}},
            "eks.cni.podCidr",
            "applies only with cni type 'calico-vxlan' (type is 'aws-vpc-cni'); remove it",
        ),
        (
            {"cni": {"type": "calico-vxlan", "prefixDelegation": True}},
            "eks.cni.prefixDelegation",
            "only with cni type 'aws-vpc-cni'",
        ),
        ({"cni": {"maxPods": 1000}}, "eks.cni.maxPods", "250"),
        ({"cni": {"mtu": 20000}}, "eks.cni.mtu", "9001"),
        (
            {"cni": {"type": "calico-vxlan", "mtu": 9001}},
            "eks.cni.mtu",
            "at most 8951 with Calico VXLAN (AWS jumbo frames 9001 minus the 50-byte VXLAN header)",
        ),
        ({"cni": {"mtu": 575}}, "eks.cni.mtu", "576"),
    ],
)
def test_bad_cni_settings_are_rejected_naming_the_key(
    eks: dict[str, Any], key: str, fragment: str
) -> None:
    refused(eks_settings(eks, agentGroups=NO_AGENTS), key, fragment)
