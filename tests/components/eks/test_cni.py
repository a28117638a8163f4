"""The pod network component: nothing for the VPC CNI; for Calico the CRD release (v3.32 and
later) and the tigera-operator release, before the nodes and deleted with the cluster's Kubernetes
provider.

Every test reads from what the mock monitor recorded under `components.eks.provision`
(preview=False); counts are asserted so an assertion inside an empty loop cannot pass silently."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from components.eks import plan
from components.eks.cni import CALICO_CRD_CHART, calico_charts
from components.settings.eks.cni import CniSettings
from components.settings.eks.versions import DEFAULT_CALICO_VERSION
from tests.support.eks import (
    ADDON,
    CLUSTER,
    NODE_GROUP,
    RELEASE,
    ProvisionRun,
    eks_config,
    run_provision,
)
from tests.support.program import Registered

K8S_PROVIDER = "pulumi:providers:kubernetes"
# Kinds each pinned chart renders and provides, derived from projectcalico/calico at each tag
# (the file says how).
CHART_KINDS: dict[str, Any] = json.loads(
    (Path(__file__).parent / "calico_chart_kinds.json").read_text()
)["charts"]
# API groups Kubernetes serves itself ("" is the core group).
CORE_GROUPS = {"", "apps", "batch", "rbac.authorization.k8s.io", "apiextensions.k8s.io"}


def names(run: ProvisionRun, urns: list[str]) -> set[str]:
    by_urn = {r.urn: r.name for r in run.resources}
    return {by_urn[u] for u in urns if u in by_urn}


def test_vpc_cni_has_no_helm_release_and_no_coredns_addon(vpc_cni: ProvisionRun) -> None:
    assert vpc_cni.of_type(RELEASE) == []
    assert vpc_cni.of_type(ADDON) == []
    assert vpc_cni.exports["cni"] == "aws-vpc-cni" and vpc_cni.exports["podCidr"] is None


def release(run: ProvisionRun, chart: str) -> Registered:
    found = [r for r in run.of_type(RELEASE) if r.inputs["chart"] == chart]
    assert len(found) == 1, [r.name for r in run.of_type(RELEASE)]
    return found[0]


def test_calico_release_inputs(calico: ProvisionRun) -> None:
    operator = release(calico, "tigera-operator")
    inputs = operator.inputs
    assert inputs["chart"] == "tigera-operator"
    assert inputs["version"] == "v3.32.1"
    assert inputs["repositoryOpts"] == {"repo": plan.CALICO_CHART_REPOSITORY}
    assert inputs["namespace"] == "tigera-operator" and inputs["createNamespace"] is True
    assert inputs["skipAwait"] is True
    pool = inputs["values"]["installation"]["calicoNetwork"]["ipPools"][0]
    assert pool["encapsulation"] == "VXLAN" and pool["cidr"] == "192.168.0.0/16"
    assert inputs["values"]["installation"]["calicoNetwork"]["bgp"] == "Disabled"
    assert operator.provider.split("::")[-1].startswith("eks-cluster-kubernetes")


def test_calico_crd_release_comes_first(calico: ProvisionRun) -> None:
    """Calico v3.32 (the default): the CRD chart at the same version, before the operator, so
    Helm can map the operator chart's Installation (the order holds on upgrades too: the engine
    updates a dependency first)."""
    crds = release(calico, CALICO_CRD_CHART)
    operator = release(calico, "tigera-operator")
    assert len(calico.of_type(RELEASE)) == 2
    assert crds.inputs["version"] == operator.inputs["version"] == DEFAULT_CALICO_VERSION
    assert crds.inputs["name"] == "calico-crds"
    assert crds.inputs["repositoryOpts"] == {"repo": plan.CALICO_CHART_REPOSITORY}
    assert crds.inputs["namespace"] == "tigera-operator" and crds.inputs["createNamespace"]
    # CRDs an older operator chart left (no Helm annotations) are adopted, not a conflict.
    assert crds.inputs["takeOwnership"] is True
    # It waits for the CRDs to be Established (no node needed).
    assert not crds.inputs.get("skipAwait")
    assert crds.urn in operator.dependencies
    assert calico.one(CLUSTER).urn in crds.dependencies
    assert crds.provider == operator.provider


def test_an_older_calico_has_only_the_operator_release() -> None:
    run = run_provision(eks_config({"cni": {"type": "calico-vxlan", "calicoVersion": "v3.31.3"}}))
    assert [r.inputs["chart"] for r in run.of_type(RELEASE)] == ["tigera-operator"]


@pytest.mark.parametrize(
    ("version", "charts"),
    [
        ("v3.30.3", ["tigera-operator"]),
        ("v3.31.9", ["tigera-operator"]),
        ("v3.32.0", [CALICO_CRD_CHART, "tigera-operator"]),
        ("v3.32.1", [CALICO_CRD_CHART, "tigera-operator"]),
        ("v3.40.0", [CALICO_CRD_CHART, "tigera-operator"]),
    ],
)
def test_calico_charts_by_version(version: str, charts: list[str]) -> None:
    assert calico_charts(version) == charts


def enabled(chart: str, version: str, values: dict[str, Any]) -> dict[str, bool]:
    """The `<x>.enabled` guards of a chart: its defaults, then our values."""
    guards = dict(CHART_KINDS[chart][version]["defaults"])
    for key in guards:
        section = values.get(key.removesuffix(".enabled"), {})
        if "enabled" in section:
            guards[key] = bool(section["enabled"])
    return guards


def test_the_default_calico_version_has_a_recorded_chart() -> None:
    for chart in calico_charts(DEFAULT_CALICO_VERSION):
        assert DEFAULT_CALICO_VERSION in CHART_KINDS[chart], chart


@pytest.mark.parametrize("version", sorted(CHART_KINDS["tigera-operator"]))
def test_every_rendered_kind_is_provided_by_an_earlier_release(version: str) -> None:
    """Offline check of the install order: each non-core kind a chart renders (with our values)
    is defined by a CRD of an earlier release or of the chart's own crds/ folder (which Helm
    installs before the templates)."""
    values = plan.calico_values(CniSettings(type="calico-vxlan", calico_version=version))
    provided: set[str] = set()
    checked = 0
    for chart in calico_charts(version):
        record = CHART_KINDS[chart][version]
        provided |= set(record["crds"]) if chart == plan.CALICO_CHART else set()
        guards = enabled(chart, version, values if chart == plan.CALICO_CHART else {})
        for rendered in record["templates"]:
            if rendered["when"] is not None and not guards[rendered["when"]]:
                continue
            api = rendered["apiVersion"]
            group = api.rpartition("/")[0]
            if group in CORE_GROUPS:
                continue
            checked += 1
            assert f"{api}/{rendered['kind']}" in provided, (chart, rendered)
        if chart == CALICO_CRD_CHART:
            provided |= set(record["crds"])
    # Installation, APIServer, Goldmane and Whisker.
    assert checked == 4


def test_without_the_crd_release_the_operator_kinds_are_missing() -> None:
    """The check can fail: v3.32.1's operator chart alone provides none of its kinds."""
    record = CHART_KINDS["tigera-operator"]["v3.32.1"]
    assert record["crds"] == []
    assert any(t["kind"] == "Installation" for t in record["templates"])


def test_calico_order_cluster_release_nodes_coredns(calico: ProvisionRun) -> None:
    """Create order: cluster, release, nodes, CoreDNS. On destroy the nodes go before the
    release, so the release must be deleted with the provider (next test), never uninstalled."""
    cluster = calico.one(CLUSTER)
    release_ = release(calico, "tigera-operator")
    assert cluster.urn in release_.dependencies
    groups = calico.of_type(NODE_GROUP)
    assert len(groups) == 2
    for group in groups:
        assert release_.urn in group.dependencies, group.name
        assert cluster.urn in group.dependencies
        # The NAT routes private nodes pull images through come first too.
        assert {"eks-network-nat-0", "eks-network-private-0"} <= names(calico, group.dependencies)
    coredns = calico.one(ADDON)
    assert coredns.inputs["addonName"] == "coredns"
    assert coredns.inputs["clusterName"] == calico.exports["clusterName"]
    assert coredns.inputs["resolveConflictsOnCreate"] == "OVERWRITE"
    assert {g.urn for g in groups} <= set(coredns.dependencies)


def test_calico_releases_are_deleted_with_the_kubernetes_provider(calico: ProvisionRun) -> None:
    """Destroy, a CNI switch and a serviceCidr change (each deletes or replaces the physical
    cluster, and with it the provider) skip the releases' Helm uninstall, whose pre-delete hook
    Job would wait forever for a node. The eks.Cluster component keeps its URN on a serviceCidr
    change, so the engine never counts it as deleted there (pulumi/pulumi step_generator.go
    GenerateDeletes); the provider's old copy is."""
    provider = calico.one(K8S_PROVIDER)
    releases = calico.of_type(RELEASE)
    assert len(releases) == 2
    for release_ in releases:
        assert release_.deleted_with == provider.urn, release_.name
        assert release_.provider.startswith(provider.urn + "::")
    # Anything whose delete does real work stays deleted on its own: node groups, the add-on,
    # the controller rules, the network.
    others = [r for r in calico.resources if r.typ != RELEASE]
    assert len(others) > 10
    assert [r.name for r in others if r.deleted_with] == []


def test_a_service_cidr_change_replaces_the_provider_the_releases_go_with() -> None:
    """The provider's clusterIdentifier (a change replaces the provider, pulumi-kubernetes) is
    the physical cluster name, which carries the serviceCidr; the eks.Cluster's URN does not."""
    before = run_provision(eks_config({"cni": {"type": "calico-vxlan"}}))
    after = run_provision(
        eks_config({"cni": {"type": "calico-vxlan"}, "cluster": {"serviceCidr": "10.96.0.0/16"}})
    )
    assert before.one(CLUSTER).urn == after.one(CLUSTER).urn
    identifiers = [run.one(K8S_PROVIDER).inputs["clusterIdentifier"] for run in (before, after)]
    assert identifiers[0] != identifiers[1]
    for run in (before, after):
        assert {r.deleted_with for r in run.of_type(RELEASE)} == {run.one(K8S_PROVIDER).urn}
