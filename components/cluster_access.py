"""What the agents need from whichever cluster component ran: where to deploy, what to await."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s


@dataclass(frozen=True)
class ClusterAccess:
    provider: k8s.Provider
    # Resources that must exist before any agent object (node labels, node groups, CNI, CoreDNS).
    agents_depend_on: Sequence[pulumi.Resource] = ()
    # Tolerations the cluster's node taints require, per agent role ("client" / "server").
    tolerations_by_role: Mapping[str, Sequence[Mapping[str, str]]] = field(default_factory=dict)
    # The cluster DNS Service IP when the cluster component knows it (EKS: `.10` of the service
    # CIDR); None means read it from the cluster (`clusterDnsService`).
    dns_server_ip: pulumi.Input[str] | None = None
    # Extra stack outputs the cluster component exports (cluster name, secret kubeconfig, ...).
    outputs: Mapping[str, pulumi.Input[Any]] = field(default_factory=dict)
