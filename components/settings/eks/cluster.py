"""The EKS control plane section (`eks.cluster`): version, API access, service CIDR."""

from __future__ import annotations

import ipaddress

from pydantic import Field, model_validator

from components.settings.eks.fields import (
    DEFAULT_SERVICE_CIDR,
    Ipv4Cidr,
    KubernetesVersion,
    PrincipalArn,
    ServiceCidr,
    duplicates,
)
from components.settings.eks.versions import DEFAULT_KUBERNETES_VERSION
from components.settings.fields import Model
from components.settings.problems import Problem, raise_any


class ClusterSettings(Model):
    kubernetes_version: KubernetesVersion = DEFAULT_KUBERNETES_VERSION
    # IAM roles/users that get cluster-admin access entries (besides the identity running Pulumi,
    # which EKS makes admin at creation).
    admin_principal_arns: list[PrincipalArn] = Field(default_factory=list)
    endpoint_public_access: bool = True
    endpoint_private_access: bool = True
    public_access_cidrs: list[Ipv4Cidr] = Field(default_factory=lambda: ["0.0.0.0/0"])
    deletion_protection: bool = False
    # Kubernetes Service ClusterIPs; the cluster DNS (kube-dns) is its `.10` address.
    service_cidr: ServiceCidr = DEFAULT_SERVICE_CIDR

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
                    "applies only with endpointPublicAccess true",
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
        if duplicates(self.admin_principal_arns):
            problems.append(
                Problem(
                    ("adminPrincipalArns",),
                    f"lists {duplicates(self.admin_principal_arns)} more than once",
                    self.admin_principal_arns,
                )
            )
        raise_any(problems)
        return self


def cluster_dns_ip(service_cidr: str) -> str:
    """EKS's kube-dns ClusterIP: the `.10` address of the service CIDR."""
    return str(ipaddress.IPv4Network(service_cidr).network_address + 10)
