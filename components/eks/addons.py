"""Versions of the kube-proxy and CoreDNS add-ons: the config's pin, else what the cluster has now.

pulumi-eks `nodejs/eks/cluster/cluster.ts` (createCore) gives its `<name>-kube-proxy` add-on the
configured version or, unset, `aws.eks.getAddonVersion(mostRecent: true)` on every run: an
unrelated `up` after an AWS add-on release would update kube-proxy on every node mid-test (and
its restart rewrites `nf_conntrack_max`). The CoreDNS add-on (Calico path) without a version keeps
the one EKS chose at creation for good (terraform-provider-aws `aws_eks_addon`: `addon_version`
optional and computed), even across a Kubernetes upgrade. So, unless pinned, each keeps the
version the stack's cluster runs, read back from the stack's state, while the cluster and its
Kubernetes version stay; a new cluster gets pulumi-eks's / EKS's choice, and a new
`kubernetesVersion` the most recent version for it (both recorded by that `up`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from components.settings.eks.cluster import ClusterSettings

ADDON_TYPE = "aws:eks/addon:Addon"
EKS_CLUSTER_TYPE = "aws:eks/cluster:Cluster"
KUBE_PROXY = "kube-proxy"
COREDNS = "coredns"


@dataclass(frozen=True)
class AddonVersions:
    kube_proxy: str | None = None
    coredns: str | None = None
    # The deployed cluster runs another Kubernetes version than the config: this `up` upgrades.
    upgrading: bool = False


def deployed_versions(
    resources: Mapping[str, Any], cluster_name: str, kubernetes_version: str
) -> AddonVersions:
    """The add-on versions the stack's cluster `cluster_name` runs (stack resources: URN -> type
    and outputs), kept only while its Kubernetes version is `kubernetes_version`."""
    running: str | None = None
    found: dict[str, str] = {}
    for resource in resources.values():
        outputs = resource.get("outputs") or {}
        if resource.get("type") == EKS_CLUSTER_TYPE and outputs.get("name") == cluster_name:
            running = outputs.get("version")
        elif (
            resource.get("type") == ADDON_TYPE
            and outputs.get("clusterName") == cluster_name
            and outputs.get("addonName") in (KUBE_PROXY, COREDNS)
            and outputs.get("addonVersion")
        ):
            found[str(outputs["addonName"])] = str(outputs["addonVersion"])
    if running is None:
        return AddonVersions()
    if running != kubernetes_version:
        return AddonVersions(upgrading=True)
    return AddonVersions(kube_proxy=found.get(KUBE_PROXY), coredns=found.get(COREDNS))


def chosen_versions(cluster: ClusterSettings, running: AddonVersions) -> AddonVersions:
    """The config's pins win over what runs."""
    return AddonVersions(
        kube_proxy=cluster.kube_proxy_addon_version or running.kube_proxy,
        coredns=cluster.coredns_addon_version or running.coredns,
        upgrading=running.upgrading,
    )


def read_addon_versions(
    cluster: ClusterSettings, cluster_name: str, deployed_resources: dict[str, Any] | None
) -> AddonVersions:
    """chosen_versions() with what the stack's state (deployed.read_own_stack's resources) says
    runs; an unreadable state (None) keeps only the pins (read_own_stack has said so)."""
    running = deployed_versions(deployed_resources or {}, cluster_name, cluster.kubernetes_version)
    return chosen_versions(cluster, running)


def coredns_version(versions: AddonVersions, kubernetes_version: str) -> pulumi.Input[str] | None:
    """The CoreDNS add-on's version input: the chosen one; on an upgrade without one, the most
    recent for the new Kubernetes version; else none (EKS's default at creation)."""
    if versions.coredns is not None:
        return versions.coredns
    if not versions.upgrading:
        return None
    import pulumi_aws as aws

    return aws.eks.get_addon_version_output(
        addon_name=COREDNS, kubernetes_version=kubernetes_version, most_recent=True
    ).version
