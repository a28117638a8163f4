"""The pod network component: nothing for the VPC CNI; for Calico the tigera-operator release,
before the nodes and deleted with the cluster.

Every test reads from what the mock monitor recorded under `components.eks.provision`
(preview=False); counts are asserted so an assertion inside an empty loop cannot pass silently."""

from __future__ import annotations

from components.eks import plan
from tests.support.eks import ADDON, CLUSTER, NODE_GROUP, RELEASE, ProvisionRun


def names(run: ProvisionRun, urns: list[str]) -> set[str]:
    by_urn = {r.urn: r.name for r in run.resources}
    return {by_urn[u] for u in urns if u in by_urn}


def test_vpc_cni_has_no_helm_release_and_no_coredns_addon(vpc_cni: ProvisionRun) -> None:
    assert vpc_cni.of_type(RELEASE) == []
    assert vpc_cni.of_type(ADDON) == []
    assert vpc_cni.exports["cni"] == "aws-vpc-cni" and vpc_cni.exports["podCidr"] is None


def test_calico_release_inputs(calico: ProvisionRun) -> None:
    release = calico.one(RELEASE).inputs
    assert release["chart"] == "tigera-operator"
    assert release["version"] == "v3.32.1"
    assert release["repositoryOpts"] == {"repo": plan.CALICO_CHART_REPOSITORY}
    assert release["namespace"] == "tigera-operator" and release["createNamespace"] is True
    assert release["skipAwait"] is True
    pool = release["values"]["installation"]["calicoNetwork"]["ipPools"][0]
    assert pool["encapsulation"] == "VXLAN" and pool["cidr"] == "192.168.0.0/16"
    assert release["values"]["installation"]["calicoNetwork"]["bgp"] == "Disabled"
    assert calico.one(RELEASE).provider.split("::")[-1].startswith("eks-cluster-kubernetes")


def test_calico_order_cluster_release_nodes_coredns(calico: ProvisionRun) -> None:
    """Create order: cluster, release, nodes, CoreDNS. On destroy the nodes go before the
    release, so the release must be deleted with the cluster (next test), never uninstalled."""
    cluster = calico.one(CLUSTER)
    release = calico.one(RELEASE)
    assert cluster.urn in release.dependencies
    groups = calico.of_type(NODE_GROUP)
    assert len(groups) == 2
    for group in groups:
        assert release.urn in group.dependencies, group.name
        assert cluster.urn in group.dependencies
        # The NAT routes private nodes pull images through come first too.
        assert {"eks-network-nat-0", "eks-network-private-0"} <= names(calico, group.dependencies)
    coredns = calico.one(ADDON)
    assert coredns.inputs["addonName"] == "coredns"
    assert coredns.inputs["clusterName"] == calico.exports["clusterName"]
    assert coredns.inputs["resolveConflictsOnCreate"] == "OVERWRITE"
    assert {g.urn for g in groups} <= set(coredns.dependencies)


def test_calico_release_is_deleted_with_the_cluster(calico: ProvisionRun) -> None:
    """Destroy (and a CNI switch, which deletes the old cluster in the same `up`) skips the
    release's Helm uninstall, whose pre-delete hook Job would wait forever for a node."""
    cluster = calico.one(CLUSTER)
    release = calico.one(RELEASE)
    assert cluster.urn.endswith("::eks-calico-vxlan")
    assert release.deleted_with == cluster.urn
    # Anything whose delete does real work stays deleted on its own: node groups, the add-on,
    # the controller rules, the network.
    others = [r for r in calico.resources if r.typ != RELEASE]
    assert len(others) > 10
    assert [r.name for r in others if r.deleted_with] == []
