"""The EC2 instance facts the stack uses without an AWS call."""

from __future__ import annotations

import pytest

from components import ec2_instances


@pytest.mark.parametrize(
    ("instance_type", "vcpus"),
    [
        ("c5.large", 2),
        ("c5.xlarge", 4),
        ("c5.2xlarge", 8),
        ("c5.9xlarge", 36),
        ("m7g.16xlarge", 64),
        ("c5.metal", None),
        ("t3.large", None),
        ("c6g.medium", None),
        ("p4d.24xlarge", None),
    ],
)
def test_instance_vcpus_table(instance_type: str, vcpus: int | None) -> None:
    assert ec2_instances.instance_vcpus(instance_type) == vcpus


@pytest.mark.parametrize(
    ("instance_type", "max_pods"),
    [("c5.large", 29), ("c5.2xlarge", 58), ("c5n.4xlarge", 234), ("m6g.xlarge", 58)],
)
def test_eni_table_matches_eni_max_pods(instance_type: str, max_pods: int) -> None:
    """The values awslabs/amazon-eks-ami eni-max-pods.txt publishes."""
    assert ec2_instances.vpc_cni_max_pods(instance_type) == max_pods
    assert ec2_instances.vpc_cni_max_pods("x9z.huge") is None
