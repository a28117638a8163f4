"""The EKS control plane component: the eks.Cluster's inputs per CNI and the Kubernetes provider
built from its kubeconfig.

Every test reads from what the mock monitor recorded under `components.eks.provision`
(preview=False); counts are asserted so an assertion inside an empty loop cannot pass silently."""

from __future__ import annotations

import json

from components.eks import plan
from tests.support.eks import (
    CLUSTER,
    KUBECONFIG,
    NODE_GROUP,
    ProvisionRun,
    eks_config,
    eks_of,
    run_provision,
)


def test_vpc_cni_cluster_inputs(vpc_cni: ProvisionRun) -> None:
    cluster = vpc_cni.one(CLUSTER)
    assert cluster.name == "eks-aws-vpc-cni"
    inputs = cluster.inputs
    assert inputs["name"] == plan.cluster_physical_name("test", eks_of())
    assert inputs["skipDefaultNodeGroup"] is True
    assert inputs["skipDefaultSecurityGroups"] is True
    assert inputs["authenticationMode"] == "API"
    assert inputs["bootstrapSelfManagedAddons"] is True
    assert "useDefaultVpcCni" not in inputs
    # The SDK's own defaults; no prefix delegation, MTU or version unless set.
    assert inputs["vpcCniOptions"] == {
        "resolveConflictsOnCreate": "OVERWRITE",
        "resolveConflictsOnUpdate": "OVERWRITE",
    }
    assert inputs["corednsAddonOptions"]["enabled"] is False
    assert inputs["version"] == "1.35"
    assert inputs["kubernetesServiceIpAddressRange"] == "10.100.0.0/16"
    assert inputs["endpointPublicAccess"] is True and inputs["endpointPrivateAccess"] is True
    assert inputs["publicAccessCidrs"] == ["0.0.0.0/0"]
    assert inputs["deletionProtection"] is False
    assert inputs["tags"] == {"owner": "qa"}
    assert inputs["vpcId"] == "eks-network-vpc-id"
    assert inputs["publicSubnetIds"] == ["eks-network-public-0-id", "eks-network-public-1-id"]
    assert inputs["privateSubnetIds"] == ["eks-network-private-0-id", "eks-network-private-1-id"]


def test_calico_cluster_inputs(calico: ProvisionRun) -> None:
    cluster = calico.one(CLUSTER)
    assert cluster.name == "eks-calico-vxlan"
    assert cluster.inputs["bootstrapSelfManagedAddons"] is False
    assert cluster.inputs["useDefaultVpcCni"] is True
    assert "vpcCniOptions" not in cluster.inputs


def test_kubernetes_provider_from_the_secret_kubeconfig(vpc_cni: ProvisionRun) -> None:
    provider = vpc_cni.one("pulumi:providers:kubernetes")
    assert json.loads(provider.inputs["kubeconfig"]) == KUBECONFIG
    assert "kubeconfig" in provider.secret_inputs
    assert provider.inputs["clusterIdentifier"] == vpc_cni.exports["clusterName"]
    assert vpc_cni.access.provider is not None
    assert json.loads(vpc_cni.exports["kubeconfig"]) == KUBECONFIG


def test_switching_cni_registers_a_different_cluster() -> None:
    """bootstrapSelfManagedAddons is ignored on update by pulumi-eks, so a CNI switch must not
    look like an update of the same cluster: the cluster's Pulumi name (URN) and its EKS name both
    change, which the engine turns into creating the new cluster and deleting the old one."""
    before = run_provision(eks_config())
    after = run_provision(eks_config({"cni": {"type": "calico-vxlan"}}))
    old, new = before.one(CLUSTER), after.one(CLUSTER)
    assert old.urn != new.urn
    assert old.inputs["name"] != new.inputs["name"]
    assert old.inputs["bootstrapSelfManagedAddons"] != new.inputs["bootstrapSelfManagedAddons"]
    # The Kubernetes provider follows the cluster, so every agent object moves with it.
    old_provider = before.one("pulumi:providers:kubernetes").inputs["clusterIdentifier"]
    new_provider = after.one("pulumi:providers:kubernetes").inputs["clusterIdentifier"]
    assert old_provider != new_provider
    # The node groups are pointed at the new cluster (a new clusterName replaces them).
    assert {g.inputs["cluster"] for g in after.of_type(NODE_GROUP)} == {new.urn}


def test_same_cni_keeps_the_cluster() -> None:
    first = run_provision(eks_config())
    second = run_provision(
        eks_config({"nodeGroups": {"client": {"desiredSize": 2}}, "tags": {"a": "b"}})
    )
    assert first.one(CLUSTER).urn == second.one(CLUSTER).urn
    assert first.one(CLUSTER).inputs["name"] == second.one(CLUSTER).inputs["name"]


def test_support_type_reaches_the_cluster_as_its_upgrade_policy(
    logged_warnings: list[str],
) -> None:
    """Unset, no upgradePolicy input (EKS applies EXTENDED) and a preview warning naming the key
    (1.35 leaves standard support within 120 days of the table's date); set, the policy is sent
    and the warning is gone."""
    run = run_provision(eks_config())
    assert "upgradePolicy" not in run.one(CLUSTER).inputs
    assert [w for w in logged_warnings if "eks.cluster.supportType" in w] != []
    for support_type in ("STANDARD", "EXTENDED"):
        logged_warnings.clear()
        run = run_provision(eks_config({"cluster": {"supportType": support_type}}))
        assert run.one(CLUSTER).inputs["upgradePolicy"] == {"supportType": support_type}
        assert [w for w in logged_warnings if "supportType" in w] == []
