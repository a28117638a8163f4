"""The pod network. `aws-vpc-cni`: the vpc-cni add-on is part of the eks.Cluster (its options come
from plan.cluster_args), nothing to add here. `calico-vxlan`: the tigera-operator Helm release,
installed before any node exists so nodes come up with Calico as their only CNI; from Calico
v3.32.0 the `crd.projectcalico.org.v1` release with Calico's CRDs goes first.

CRDs: from v3.32.0 the tigera-operator chart has no `crds/` folder (projectcalico/calico
`charts/tigera-operator/README.md` at v3.32.1, "As of Calico v3.32, CRDs are no longer bundled in
this chart and must be installed separately from the `crd.projectcalico.org.v1` chart";
projectcalico/calico#11727), yet it still renders `Installation`, `APIServer`, `Goldmane` and
`Whisker` (`templates/crs/custom-resources.yaml`), which Helm cannot map without their CRDs. Both
charts are packaged at the Calico version (the `chart` target of the Makefile at v3.32.1). The
CRD release takes ownership (Helm `--take-ownership`, pulumi-kubernetes `takeOwnership`) of the
CRDs an older tigera-operator chart left from its `crds/` folder, which carry no Helm release
annotations, so an upgrade from v3.30/v3.31 installs it. It waits for its CRDs to be Established
(Helm `pkg/kube/ready.go`), which needs no node; the operator release depends on it, so the
engine creates and updates it first (tests/components/eks/calico_chart_kinds.json records, per
pinned chart version, the kinds each chart renders and provides).

Why a Helm release and not upstream's `helm template | kubectl apply --server-side` (the chart's
README at v3.32.1: "some Calico CRDs exceed the size limit for client-side apply"): client-side
apply copies the whole object into its `kubectl.kubernetes.io/last-applied-configuration`
annotation, and an object's annotations may total 256 KiB, while
`operator.tigera.io_installations.yaml` alone is 1,464,808 bytes at v3.32.1. Helm v3's kube
client (the library pulumi-kubernetes's Release runs; helm/helm `pkg/kube/client.go`) creates
each object (createResource) and updates it by a patch computed from the previous release's
manifest and the live object (createPatch), writing no such annotation. What bounds a release is
its record instead, one Secret (`sh.helm.release.v1.<name>.v<n>`, at most 1 MiB of data) holding
base64(gzip(JSON of the release)) (helm/helm `pkg/storage/driver/util.go`, encodeRelease), and
the JSON holds the chart's templates (base64: JSON `[]byte`) and the rendered manifest. At v3.32.1
the chart's templates, with the `templates/calico` link to `libcalico-go/config/crd` resolved, are
3,043,818 bytes in 32 files; that encoding, emulated, gives a record of about 945 KB, 90% of the
limit: a later Calico whose CRDs grow by a tenth fails the CRD release's install with the Secret
"Too long" before any CRD changes (check the record size when raising the default).

Both releases are `deleted_with` the cluster's Kubernetes provider, so `pulumi destroy`, a CNI
switch and a `serviceCidr` change (each a new physical cluster) never run their Helm uninstall.
Evidence:
- projectcalico/calico `charts/tigera-operator/templates/tigera-operator/00-uninstall.yaml`
  (v3.30.3 to v3.32.1): a `pre-delete` hook Job with no activeDeadlineSeconds; with no node it
  stays Pending (projectcalico/calico#9220: "stuck forever ... when the cluster has no active
  nodes").
- pulumi-kubernetes `provider/pkg/provider/helm_release.go` Delete: the uninstall gets a wait and
  a timeout only `if release.Atomic || !release.SkipAwait`; the operator release skips await, so
  helm (`pkg/action/uninstall.go`, client-go `ContextWithOptionalTimeout`) waits for the hook
  with no deadline.
- Node groups depend on the release (create order: CNI before nodes), so a destroy or a
  replacement removes them first and the hook would have nowhere to run.
- pulumi/pulumi `pkg/resource/deploy/step.go` DeleteStep.Apply skips the provider call when
  `isDeletedWith(old.DeletedWith, otherDeletions)`; `step_generator.go` GenerateDeletes puts in
  that set both resources deleted outright and the old copies of replaced ones ("delete ... due
  to replacement"). The eks.Cluster component keeps its URN when only the physical cluster is
  replaced (a `serviceCidr` change), so it is never in the set then; the provider is: its
  `clusterIdentifier` is the physical cluster name, a change of which replaces the provider
  (pulumi-kubernetes provider `clusterIdentifier`), and the releases with it. Run by the real
  engine in tests/e2e/test_deleted_with.py.
Never LoadBalancer Services: their delete is what removes the NLB, whose ENIs would otherwise
block the subnet and VPC deletes."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_kubernetes as k8s

from components.eks import plan
from components.settings.eks.cni import CniSettings

CALICO_CRD_CHART = "crd.projectcalico.org.v1"
CALICO_CRD_RELEASE_NAME = "calico-crds"
# The first Calico whose tigera-operator chart needs the CRD chart (release notes v3.32.0).
FIRST_SEPARATE_CRD_CHART = (3, 32, 0)


def calico_charts(calico_version: str) -> list[str]:
    """The charts of a Calico version, in install order (each release depends on the one before)."""
    major, minor, patch = (int(part) for part in calico_version.removeprefix("v").split("."))
    if (major, minor, patch) >= FIRST_SEPARATE_CRD_CHART:
        return [CALICO_CRD_CHART, plan.CALICO_CHART]
    return [plan.CALICO_CHART]


class EksCni(pulumi.ComponentResource):
    # The tigera-operator release (calico-vxlan), None for the VPC CNI.
    release: k8s.helm.v3.Release | None
    # The CRD release before it (Calico v3.32 and later), None otherwise.
    crd_release: k8s.helm.v3.Release | None

    def __init__(
        self,
        name: str,
        cni: CniSettings,
        provider: k8s.Provider,
        after: Sequence[pulumi.Resource] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """`provider`: the cluster's Kubernetes provider, which the releases are deleted with.
        `after`: what the CNI objects wait for (the cluster); a component's own depends_on does
        not reach its children."""
        super().__init__("cyperf-k8s:eks:Cni", name, None, opts)
        self.release = None
        self.crd_release = None
        if cni.is_calico:
            repository = k8s.helm.v3.RepositoryOptsArgs(repo=plan.CALICO_CHART_REPOSITORY)
            before: list[pulumi.Resource] = list(after)
            if CALICO_CRD_CHART in calico_charts(cni.calico_version):
                self.crd_release = k8s.helm.v3.Release(
                    f"{name}-calico-crds",
                    name=CALICO_CRD_RELEASE_NAME,
                    chart=CALICO_CRD_CHART,
                    version=cni.calico_version,
                    repository_opts=repository,
                    namespace=plan.CALICO_NAMESPACE,
                    create_namespace=True,
                    take_ownership=True,
                    opts=pulumi.ResourceOptions(
                        parent=self, provider=provider, depends_on=before, deleted_with=provider
                    ),
                )
                before = [*before, self.crd_release]
            self.release = k8s.helm.v3.Release(
                f"{name}-calico",
                name=plan.CALICO_RELEASE_NAME,
                chart=plan.CALICO_CHART,
                version=cni.calico_version,
                repository_opts=repository,
                namespace=plan.CALICO_NAMESPACE,
                create_namespace=True,
                values=plan.calico_values(cni),
                # Nothing can be Ready before nodes exist, and nodes wait for this release.
                skip_await=True,
                opts=pulumi.ResourceOptions(
                    parent=self, provider=provider, depends_on=before, deleted_with=provider
                ),
            )
        self.register_outputs(
            {
                "type": cni.type,
                "podCidr": cni.effective_pod_cidr,
                "calicoVersion": cni.calico_version if cni.is_calico else None,
            }
        )
