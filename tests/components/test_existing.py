"""The existing-cluster path (`components.existing.provision`): a provider for the cluster the
kubeconfig points at, node labels only when `nodeLabels` names nodes, and nothing else for the
agents to wait for, tolerate or export."""

from __future__ import annotations

from typing import Any

import pulumi

from components.cluster_access import ClusterAccess
from components.existing import provision
from components.existing.node_labels import NodeLabels
from components.settings.loading import parse_settings
from components.settings.problems import PROJECT
from mocks.cluster import ClusterMocks
from mocks.harness import run_program
from mocks.monitor import RecordingMonitor, Registered


def provisioned(**settings: Any) -> tuple[ClusterAccess, list[Registered]]:
    """`provision` run under the mocks: what it returned and what it registered."""
    config = {f"{PROJECT}:{k}": v for k, v in settings.items()}
    mocks = ClusterMocks()
    monitor = RecordingMonitor(mocks)
    returned: list[ClusterAccess] = []

    def program() -> None:
        access = provision(parse_settings(config))
        returned.append(access)
        pulumi.export("done", access.provider.urn.apply(lambda _: True))

    run_program(program, config, mocks, monitor, PROJECT, "test")
    return returned[0], monitor.registered


def test_without_node_labels_only_the_cluster_is_registered() -> None:
    access, registered = provisioned(kubeContext="lab")
    assert sorted((r.typ, r.name) for r in registered) == [
        ("cyperf-k8s:index:ExistingCluster", "cluster"),
        ("pulumi:providers:kubernetes", "cluster-kubernetes"),
    ]
    assert list(access.agents_depend_on) == []
    # Nothing the cluster asks of the agents, and the DNS address is read from the cluster.
    assert access.tolerations_by_role == {}
    assert access.dns_server_ip is None
    assert access.outputs == {}


def test_node_labels_come_first_through_the_clusters_provider() -> None:
    access, registered = provisioned(nodeLabels='{"worker-a": "client"}')
    (labels,) = access.agents_depend_on
    assert isinstance(labels, NodeLabels)
    provider = next(r for r in registered if r.typ == "pulumi:providers:kubernetes")
    component = next(r for r in registered if r.typ == "cyperf-k8s:index:NodeLabels")
    (patch,) = [r for r in registered if r.typ == "kubernetes:core/v1:NodePatch"]
    assert component.name == "node-labels" and patch.parent == component.urn
    assert patch.provider.startswith(provider.urn + "::")
