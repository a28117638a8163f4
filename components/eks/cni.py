"""The pod network. `aws-vpc-cni`: the vpc-cni add-on is part of the eks.Cluster (its options come
from plan.cluster_args), nothing to add here. `calico-vxlan`: the tigera-operator Helm release,
installed before any node exists so nodes come up with Calico as their only CNI."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_kubernetes as k8s

from components.eks import plan
from components.settings.eks.section import EksSettings


class EksCni(pulumi.ComponentResource):
    # The tigera-operator release (calico-vxlan), None for the VPC CNI.
    release: k8s.helm.v3.Release | None

    def __init__(
        self,
        name: str,
        eks: EksSettings,
        provider: k8s.Provider,
        after: Sequence[pulumi.Resource] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """`after`: what the CNI objects wait for (the cluster); a component's own depends_on
        does not reach its children."""
        super().__init__("cyperf-k8s:eks:Cni", name, None, opts)
        self.release = None
        if eks.cni.is_calico:
            self.release = k8s.helm.v3.Release(
                f"{name}-calico",
                name=plan.CALICO_RELEASE_NAME,
                chart=plan.CALICO_CHART,
                version=eks.cni.calico_version,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=plan.CALICO_CHART_REPOSITORY),
                namespace=plan.CALICO_NAMESPACE,
                create_namespace=True,
                values=plan.calico_values(eks.cni),
                # Nothing can be Ready before nodes exist, and nodes wait for this release.
                skip_await=True,
                opts=pulumi.ResourceOptions(parent=self, provider=provider, depends_on=list(after)),
            )
        self.register_outputs(
            {
                "type": eks.cni.type,
                "podCidr": eks.cni.effective_pod_cidr,
                "calicoVersion": eks.cni.calico_version if eks.cni.is_calico else None,
            }
        )
