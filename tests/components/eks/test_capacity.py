"""Preview warnings about pod capacity the settings cannot check.

Every test reads from what the mock monitor recorded under `components.eks.provision`
(preview=False); counts are asserted so an assertion inside an empty loop cannot pass silently."""

from __future__ import annotations

from tests.support.eks import EXISTING_NETWORK, EksMocks, eks_config, run_provision


def test_instance_types_outside_the_eni_table_warn(logged_warnings: list[str]) -> None:
    run_provision(eks_config({"nodeGroups": {"server": {"instanceTypes": ["c6in.8xlarge"]}}}))
    assert [w for w in logged_warnings if "ENI table" in w] == [
        "cyperf-k8s:eks.nodeGroups.server.instanceTypes: c6in.8xlarge is not in the stack's ENI "
        "table, so maxPods and the subnet size were not checked against its VPC CNI pod capacity "
        "(see awslabs/amazon-eks-ami eni-max-pods.txt)"
    ]


def test_existing_node_subnet_short_of_free_addresses_warns(
    logged_warnings: list[str],
) -> None:
    """VPC CNI: 2 groups x maxSize 2 over 2 subnets = 2 nodes a subnet, c5.2xlarge holds two
    ENIs of 15 addresses: 60 needed; a1 has 40 free. Calico pods take no VPC addresses."""
    short = {"subnet-0aaaaaaaaaaaaaaa1": {"availableIpAddressCount": 40}}
    run_provision(eks_config({"network": EXISTING_NETWORK}), EksMocks(subnet_changes=short))
    assert [w for w in logged_warnings if "free addresses" in w] == [
        "cyperf-k8s:eks.network.privateSubnetIds[0]: subnet-0aaaaaaaaaaaaaaa1 has 40 free "
        "addresses; with the VPC CNI up to 2 node(s) there hold about 30 each (two ENIs, "
        "WARM_ENI_TARGET=1), 60 in all: nodes may get no pod addresses; use larger subnets, more "
        "of them, or cni.prefixDelegation"
    ]
    logged_warnings.clear()
    calico = {"network": EXISTING_NETWORK, "cni": {"type": "calico-vxlan"}}
    run_provision(eks_config(calico), EksMocks(subnet_changes=short))
    assert [w for w in logged_warnings if "free addresses" in w] == []
