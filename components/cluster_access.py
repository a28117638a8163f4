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


# Provider inputs that pulumi-kubernetes' Python SDK fills from the operator's environment when
# left unset (KUBECONFIG, PULUMI_K8S_*: see `pulumi_kubernetes/provider.py`). Set explicitly, two
# operators of one stack register the same provider inputs and preview no changes. The provider
# reads an empty kubeconfig as "use the ambient configuration" (pulumi-kubernetes
# provider/pkg/provider/provider.go, `Configure`), so an ambient kubeconfig still works; only its
# path stays out of the state.
ENVIRONMENT_INDEPENDENT_PROVIDER_ARGS: Mapping[str, Any] = {
    "delete_unreachable": False,
    "enable_config_map_mutable": False,
    "enable_patch_force": False,
    "enable_secret_mutable": False,
    "enable_server_side_apply": True,
    "skip_update_unreachable": False,
    "suppress_deprecation_warnings": False,
    "suppress_helm_hook_warnings": False,
    "upsert_existing_objects": False,
}
AMBIENT_KUBECONFIG = ""
