"""The two EKS runs most component tests read: the VPC CNI with every default, and Calico with a
dedicated client group and controller rules (before CyPerf 3.0: two ports). Each runs once for
the package."""

from __future__ import annotations

import pytest

from tests.support.eks import ProvisionRun, eks_config, run_provision


@pytest.fixture(scope="package")
def vpc_cni() -> ProvisionRun:
    return run_provision(eks_config({"tags": {"owner": "qa"}}))


@pytest.fixture(scope="package")
def calico() -> ProvisionRun:
    return run_provision(
        eks_config(
            {
                "cni": {"type": "calico-vxlan"},
                "nodeGroups": {"client": {"dedicated": True}},
                "controllerSecurityGroupId": "sg-0c0c0c0c0c0c0c0c0",
                "tags": {"owner": "qa"},
            },
            cyperfRelease="release2.6",
        )
    )
