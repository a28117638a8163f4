"""The existing-cluster path (`cluster: existing`): a Kubernetes provider for a cluster the stack
does not own, and the node labels the guide sets with `kubectl label nodes`. The counterpart of
`components.eks.provision`."""

from __future__ import annotations

import pulumi

from components.cluster_access import ClusterAccess
from components.existing.cluster import ExistingCluster
from components.existing.node_labels import NodeLabels
from components.settings.stack import StackSettings


def provision(settings: StackSettings) -> ClusterAccess:
    cluster = ExistingCluster("cluster", settings.kubeconfig, settings.kube_context)
    labels: list[pulumi.Resource] = []
    if settings.node_labels:
        labels.append(
            NodeLabels(
                "node-labels",
                dict(settings.node_labels),
                opts=pulumi.ResourceOptions(provider=cluster.provider),
            )
        )
    return ClusterAccess(provider=cluster.provider, agents_depend_on=labels)
