"""Facts about EC2 instance types the stack uses without an AWS call."""

from __future__ import annotations

import pytest

from components import ec2_instances as instances


@pytest.mark.parametrize(
    ("instance_type", "max_pods"),
    [("c5.large", 29), ("c5.2xlarge", 58), ("c5n.4xlarge", 234), ("m6g.xlarge", 58)],
)
def test_eni_table_matches_eni_max_pods(instance_type: str, max_pods: int) -> None:
    """The values awslabs/amazon-eks-ami eni-max-pods.txt publishes."""
    assert instances.vpc_cni_max_pods(instance_type) == max_pods
    assert instances.vpc_cni_max_pods("x9z.huge") is None
