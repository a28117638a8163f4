"""The EKS control plane section (`eks.cluster`): version, API access, service CIDR."""

from __future__ import annotations

import ipaddress

from pydantic import Field, model_validator

from components.settings.eks.fields import (
    DEFAULT_SERVICE_CIDR,
    AddonVersion,
    Ipv4Cidr,
    KubernetesVersion,
    PrincipalArn,
    ServiceCidr,
)
from components.settings.eks.versions import DEFAULT_KUBERNETES_VERSION, SupportType
from components.settings.fields import Model
from components.settings.problems import Problem, only_with, raise_any, repeated


class ClusterSettings(Model):
    """The EKS control plane: version, API endpoint access, admins, service CIDR."""

    kubernetes_version: KubernetesVersion = DEFAULT_KUBERNETES_VERSION
    """EKS version, one EKS still creates on the support table's date; a version in extended
    support (billed extra) is accepted with a warning."""
    support_type: SupportType | None = None
    """The cluster's upgrade policy at the end of standard support: `EXTENDED` stays on the
    version, billed at the extended-support rate; `STANDARD` has EKS upgrade it. Unset: EKS's
    default, EXTENDED, with a preview warning once the end is near. Changes in place."""
    kube_proxy_addon_version: AddonVersion | None = None
    """The kube-proxy add-on version. Unset: the version the cluster runs is kept (EKS's most
    recent when the cluster was created or `kubernetesVersion` last changed)."""
    coredns_addon_version: AddonVersion | None = None
    """calico-vxlan: the CoreDNS add-on version. Unset: the version the cluster runs is kept
    (EKS's default at creation, the most recent after a `kubernetesVersion` change)."""
    admin_principal_arns: list[PrincipalArn] = Field(default_factory=list)
    """IAM role or user ARNs that get cluster-admin access entries. Not the identity running
    Pulumi: EKS makes it admin at creation, and a second entry for it fails `up`."""
    endpoint_public_access: bool = True
    """Whether the API endpoint is reachable from the internet (from `publicAccessCidrs`); public
    or private access, or both."""
    endpoint_private_access: bool = True
    """Whether the API endpoint is reachable from inside the VPC; public or private access, or
    both."""
    public_access_cidrs: list[Ipv4Cidr] = Field(default_factory=lambda: ["0.0.0.0/0"])
    """Who reaches the public API endpoint (only with `endpointPublicAccess`); the machine running
    `pulumi up` must be inside one of them."""
    deletion_protection: bool = False
    """EKS deletion protection: while on, EKS refuses to delete the cluster."""
    service_cidr: ServiceCidr = DEFAULT_SERVICE_CIDR
    """Kubernetes Service ClusterIPs: a private /12-/24 outside the VPC; the cluster DNS
    (kube-dns) is its `.10` address. Changing it creates a new cluster."""

    @model_validator(mode="after")
    def _endpoint(self) -> ClusterSettings:
        problems: list[Problem] = []
        if not self.endpoint_public_access and not self.endpoint_private_access:
            problems.append(
                Problem(
                    ("endpointPublicAccess",),
                    "the API endpoint needs public or private access (or both)",
                    False,
                )
            )
        if not self.endpoint_public_access and "public_access_cidrs" in self.model_fields_set:
            problems.append(
                Problem(
                    ("publicAccessCidrs",),
                    only_with("endpointPublicAccess true", "endpointPublicAccess is false"),
                    self.public_access_cidrs,
                )
            )
        if self.endpoint_public_access and not self.public_access_cidrs:
            problems.append(
                Problem(
                    ("publicAccessCidrs",),
                    "must list at least one CIDR block while endpointPublicAccess is true "
                    "(the machine running `pulumi up` must be inside one of them)",
                    self.public_access_cidrs,
                )
            )
        if twice := repeated(self.admin_principal_arns):
            problems.append(
                Problem(
                    ("adminPrincipalArns",),
                    f"lists {twice} more than once",
                    self.admin_principal_arns,
                )
            )
        raise_any(problems)
        return self


def cluster_dns_ip(service_cidr: str) -> str:
    """EKS's kube-dns ClusterIP: the `.10` address of the service CIDR."""
    return str(ipaddress.IPv4Network(service_cidr).network_address + 10)
