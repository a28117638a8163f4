"""The EKS pod network section (`eks.cni`): the VPC CNI or Calico with a VXLAN overlay."""

from __future__ import annotations

from pydantic import Field, model_validator

from components.settings.eks.fields import (
    DEFAULT_CALICO_MAX_PODS,
    DEFAULT_POD_CIDR,
    AddonVersion,
    CalicoVersion,
    CniType,
    PodCidr,
)
from components.settings.eks.versions import DEFAULT_CALICO_VERSION
from components.settings.fields import Model
from components.settings.problems import Problem, only_with, raise_any

# tigera/docs calico v3.30 networking/configuring/mtu.mdx: "IPv4 VXLAN uses a 50-byte header";
# on AWS jumbo frames (9001) that leaves 8951.
MAX_CALICO_VXLAN_MTU = 8951
_CALICO_ONLY = {"calico_version": "calicoVersion", "pod_cidr": "podCidr"}
_VPC_CNI_ONLY = {"prefix_delegation": "prefixDelegation", "addon_version": "addonVersion"}


class CniSettings(Model):
    """`aws-vpc-cni`: pods get VPC addresses (routable from the VPC and peered networks).
    `calico-vxlan`: the VPC CNI is replaced by Calico with a VXLAN overlay (pod IPs only inside)."""

    type: CniType = "aws-vpc-cni"
    """The pod network: `aws-vpc-cni` (pods get VPC addresses) or `calico-vxlan` (a Calico VXLAN
    overlay, pod IPs only inside the cluster). Changing it creates a new cluster."""
    prefix_delegation: bool = False
    """aws-vpc-cni only: assign /28 prefixes to the ENIs, for more pods per node. Existing nodes
    keep their maxPods until they are replaced."""
    addon_version: AddonVersion | None = None
    """aws-vpc-cni only: the vpc-cni add-on version. Unset, every `up` asks for the most recent
    one for the Kubernetes version (and upgrades the add-on)."""
    mtu: int | None = Field(default=None, ge=576, le=9001)
    """Pod interface MTU, 576-9001 (Calico: at most 8951, the VXLAN header takes 50 bytes).
    Unset: the CNI's own choice."""
    calico_version: CalicoVersion = DEFAULT_CALICO_VERSION
    """calico-vxlan only: the tigera-operator chart version (the Calico release it installs)."""
    pod_cidr: PodCidr = DEFAULT_POD_CIDR
    """calico-vxlan only: the pod address pool, a private /8-/24 overlapping neither the VPC nor
    the service CIDR; keep DUT addresses outside it."""
    max_pods: int | None = Field(default=None, ge=8, le=250)
    """Pods per node (kubelet maxPods). Unset: 110 with Calico; with the VPC CNI, EKS computes it
    from the instance's ENIs (and at most that without prefixDelegation)."""

    @model_validator(mode="after")
    def _options_match_type(self) -> CniSettings:
        problems: list[Problem] = []
        wrong = _VPC_CNI_ONLY if self.type == "calico-vxlan" else _CALICO_ONLY
        owner = "aws-vpc-cni" if self.type == "calico-vxlan" else "calico-vxlan"
        for key, alias in wrong.items():
            if key in self.model_fields_set:
                problems.append(
                    Problem(
                        (alias,),
                        only_with(f"cni type {owner!r}", f"type is {self.type!r}"),
                        getattr(self, key),
                    )
                )
        if self.is_calico and self.mtu is not None and self.mtu > MAX_CALICO_VXLAN_MTU:
            problems.append(
                Problem(
                    ("mtu",),
                    f"at most {MAX_CALICO_VXLAN_MTU} with Calico VXLAN (AWS jumbo frames 9001 "
                    "minus the 50-byte VXLAN header)",
                    self.mtu,
                )
            )
        raise_any(problems)
        return self

    @property
    def is_calico(self) -> bool:
        return self.type == "calico-vxlan"

    @property
    def effective_max_pods(self) -> int | None:
        if self.max_pods is not None:
            return self.max_pods
        return DEFAULT_CALICO_MAX_PODS if self.is_calico else None

    @property
    def effective_pod_cidr(self) -> str | None:
        """The pod address pool: Calico's pool; with the VPC CNI pods take VPC addresses."""
        return self.pod_cidr if self.is_calico else None
