"""The pod network. `aws-vpc-cni`: the vpc-cni add-on is part of the eks.Cluster (its options come
from plan.cluster_args), nothing to add here. `calico-vxlan`: the tigera-operator Helm release,
installed before any node exists so nodes come up with Calico as their only CNI.

The release is `deleted_with` the eks.Cluster, so `pulumi destroy` (and a CNI switch, which
deletes the old cluster in the same `up`) never runs its Helm uninstall. Evidence:
- projectcalico/calico `charts/tigera-operator/templates/tigera-operator/00-uninstall.yaml`
  (v3.30.3 to v3.32.1): a `pre-delete` hook Job with no activeDeadlineSeconds; with no node it
  stays Pending (projectcalico/calico#9220: "stuck forever ... when the cluster has no active
  nodes").
- pulumi-kubernetes `provider/pkg/provider/helm_release.go` Delete: the uninstall gets a wait and
  a timeout only `if release.Atomic || !release.SkipAwait`; this release skips await, so helm
  (`pkg/action/uninstall.go`, `pkg/kube/client.go`, client-go `ContextWithOptionalTimeout`) waits
  for the hook with no deadline.
- Node groups depend on the release (create order: CNI before nodes), so a destroy removes them
  first and the hook would have nowhere to run.
- pulumi/pulumi `pkg/resource/deploy/step.go` DeleteStep skips a resource whose DeletedWith is
  being deleted in the same operation; the tigera objects vanish with the cluster.
Never LoadBalancer Services: their delete is what removes the NLB, whose ENIs would otherwise
block the subnet and VPC deletes."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_kubernetes as k8s

from components.eks import plan
from components.settings.eks.cni import CniSettings


class EksCni(pulumi.ComponentResource):
    # The tigera-operator release (calico-vxlan), None for the VPC CNI.
    release: k8s.helm.v3.Release | None

    def __init__(
        self,
        name: str,
        cni: CniSettings,
        provider: k8s.Provider,
        cluster: pulumi.Resource,
        after: Sequence[pulumi.Resource] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """`cluster`: the eks.Cluster the release is deleted with. `after`: what the CNI objects
        wait for (the cluster); a component's own depends_on does not reach its children."""
        super().__init__("cyperf-k8s:eks:Cni", name, None, opts)
        self.release = None
        if cni.is_calico:
            self.release = k8s.helm.v3.Release(
                f"{name}-calico",
                name=plan.CALICO_RELEASE_NAME,
                chart=plan.CALICO_CHART,
                version=cni.calico_version,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=plan.CALICO_CHART_REPOSITORY),
                namespace=plan.CALICO_NAMESPACE,
                create_namespace=True,
                values=plan.calico_values(cni),
                # Nothing can be Ready before nodes exist, and nodes wait for this release.
                skip_await=True,
                opts=pulumi.ResourceOptions(
                    parent=self,
                    provider=provider,
                    depends_on=list(after),
                    deleted_with=cluster,
                ),
            )
        self.register_outputs(
            {
                "type": cni.type,
                "podCidr": cni.effective_pod_cidr,
                "calicoVersion": cni.calico_version if cni.is_calico else None,
            }
        )
