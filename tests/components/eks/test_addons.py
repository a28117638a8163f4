"""kube-proxy and CoreDNS add-on versions: the pin, else what the stack's cluster runs (read from
its state), else pulumi-eks's / EKS's choice; a Kubernetes upgrade takes the most recent."""

from __future__ import annotations

from typing import Any

from components.eks import plan
from components.eks.addons import (
    AddonVersions,
    chosen_versions,
    deployed_versions,
)
from mocks.aws import LATEST_ADDON_BUILD
from mocks.stack_state import StackState
from tests.support.eks import (
    ADDON,
    CLUSTER,
    NO_AGENTS,
    EksMocks,
    eks_config,
    eks_of,
    eks_settings,
    run_provision,
)
from tests.support.program import refused

NAME = "cyperf-test-calico-abc123"
PREFIX = "urn:pulumi:test::cyperf-k8s::cyperf-k8s:eks:Cluster$eks:index:Cluster"


def state(cluster_name: str, version: str) -> dict[str, dict[str, Any]]:
    """The pulumi-eks children and the CoreDNS add-on as a completed `up` leaves them."""
    return {
        f"{PREFIX}$aws:eks/cluster:Cluster::eks-calico-vxlan-eksCluster": {
            "type": "aws:eks/cluster:Cluster",
            "outputs": {"name": cluster_name, "version": version},
        },
        f"{PREFIX}$aws:eks/addon:Addon::eks-calico-vxlan-kube-proxy": {
            "type": "aws:eks/addon:Addon",
            "outputs": {
                "addonName": "kube-proxy",
                "addonVersion": "v1.35.0-eksbuild.2",
                "clusterName": cluster_name,
            },
        },
        "urn:pulumi:test::cyperf-k8s::cyperf-k8s:eks:CoreDns$aws:eks/addon:Addon::c": {
            "type": "aws:eks/addon:Addon",
            "outputs": {
                "addonName": "coredns",
                "addonVersion": "v1.12.1-eksbuild.3",
                "clusterName": cluster_name,
            },
        },
    }


def test_the_running_versions_are_kept_while_cluster_and_version_stay() -> None:
    assert deployed_versions(state(NAME, "1.35"), NAME, "1.35") == AddonVersions(
        kube_proxy="v1.35.0-eksbuild.2", coredns="v1.12.1-eksbuild.3"
    )
    # Another cluster (a new one in the same `up`): nothing of the old one carries over.
    assert deployed_versions(state("old-cluster", "1.35"), NAME, "1.35") == AddonVersions()
    # A new Kubernetes version: an upgrade, no version kept.
    assert deployed_versions(state(NAME, "1.34"), NAME, "1.35") == AddonVersions(upgrading=True)
    assert deployed_versions({}, NAME, "1.35") == AddonVersions()


def test_the_config_pins_win() -> None:
    cluster = eks_of(
        {
            "cluster": {"kubeProxyAddonVersion": "v1.35.1-eksbuild.1"},
            "cni": {"type": "calico-vxlan"},
        }
    ).cluster
    running = AddonVersions(kube_proxy="v1.35.0-eksbuild.2", coredns="v1.12.1-eksbuild.3")
    assert chosen_versions(cluster, running) == AddonVersions(
        kube_proxy="v1.35.1-eksbuild.1", coredns="v1.12.1-eksbuild.3"
    )


def deployed_run(version: str, eks: dict[str, Any] | None = None) -> Any:
    config = eks_config({"cni": {"type": "calico-vxlan"}, **(eks or {})})
    name = plan.cluster_physical_name("test", eks_of({"cni": {"type": "calico-vxlan"}}))
    mocks = EksMocks()
    mocks.stack_state = StackState(outputs={"namespace": "cyperf"}, resources=state(name, version))
    return run_provision(config, mocks)


def coredns_version(run: Any) -> Any:
    [addon] = [a for a in run.of_type(ADDON) if a.inputs["addonName"] == "coredns"]
    return addon.inputs.get("addonVersion")


def test_an_unrelated_up_keeps_the_running_versions() -> None:
    """A second `up` (here with nothing changed) sends the versions the cluster runs, so
    pulumi-eks does not resolve the most recent kube-proxy again."""
    run = deployed_run("1.35")
    assert run.one(CLUSTER).inputs["kubeProxyAddonOptions"] == {"version": "v1.35.0-eksbuild.2"}
    assert coredns_version(run) == "v1.12.1-eksbuild.3"


def test_a_kubernetes_upgrade_moves_both_to_the_most_recent() -> None:
    """kube-proxy: no version, so pulumi-eks takes the most recent for the new version;
    CoreDNS: the most recent for the new version, asked of EKS (it would never move otherwise)."""
    run = deployed_run("1.34")
    assert "kubeProxyAddonOptions" not in run.one(CLUSTER).inputs
    assert coredns_version(run) == f"v1.35.0-eksbuild.{LATEST_ADDON_BUILD}"
    asked = [i for i in run.mocks.invokes if i.token == "aws:eks/getAddonVersion:getAddonVersion"]
    assert [i.args for i in asked] == [
        {"addonName": "coredns", "kubernetesVersion": "1.35", "mostRecent": True}
    ]


def test_a_new_cluster_leaves_the_choice_to_pulumi_eks_and_eks() -> None:
    run = run_provision(eks_config({"cni": {"type": "calico-vxlan"}}))
    assert "kubeProxyAddonOptions" not in run.one(CLUSTER).inputs
    assert coredns_version(run) is None


def test_pinned_versions_are_sent() -> None:
    run = deployed_run(
        "1.34",
        {
            "cluster": {
                "kubeProxyAddonVersion": "v1.35.1-eksbuild.1",
                "corednsAddonVersion": "v1.12.4-eksbuild.1",
            }
        },
    )
    assert run.one(CLUSTER).inputs["kubeProxyAddonOptions"] == {"version": "v1.35.1-eksbuild.1"}
    assert coredns_version(run) == "v1.12.4-eksbuild.1"


def test_coredns_version_only_with_calico() -> None:
    refused(
        eks_settings(
            {"cluster": {"corednsAddonVersion": "v1.12.4-eksbuild.1"}}, agentGroups=NO_AGENTS
        ),
        "eks.cluster.corednsAddonVersion",
        "applies only with cni type 'calico-vxlan'",
    )


def test_the_state_is_read_once_and_its_resources_only_when_an_up_completed() -> None:
    """deployed.read_own_stack, once per run: a stack without outputs (no completed `up`) is not
    asked for its resources (the CLI fails on a stack whose state it never wrote)."""
    reads = ("pulumi:pulumi:readStackOutputs", "pulumi:pulumi:readStackResourceOutputs")
    new = run_provision(eks_config({"cni": {"type": "calico-vxlan"}}))
    assert [i.token for i in new.mocks.invokes if i.token in reads] == [reads[0]]
    old = deployed_run("1.35")
    assert [i.token for i in old.mocks.invokes if i.token in reads] == list(reads)
