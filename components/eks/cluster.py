"""The EKS control plane (pulumi-eks `Cluster`, no default node group, API access entries) and the
Kubernetes provider built from its kubeconfig."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_eks as eks_sdk
import pulumi_kubernetes as k8s

from components.cluster_access import ENVIRONMENT_INDEPENDENT_PROVIDER_ARGS
from components.eks import plan
from components.eks.kubeconfig import (
    AwsCredentials,
    kubeconfig_options,
    kubeconfig_with_credentials,
)
from components.eks.network import EksNetwork
from components.settings.eks.section import EksSettings


class EksCluster(pulumi.ComponentResource):
    cluster: eks_sdk.Cluster
    cluster_name: str
    # The cluster's kubeconfig as JSON, secret (it names the cluster and runs `aws eks get-token`).
    kubeconfig: pulumi.Output[str]
    provider: k8s.Provider
    # The EKS-created cluster security group, which managed nodes get.
    node_security_group_id: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        eks: EksSettings,
        network: EksNetwork,
        physical_name: str,
        credentials: AwsCredentials,
        kube_proxy_version: str | None = None,
        child_transforms: Sequence[pulumi.ResourceTransform] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """`credentials`: the stack config's AWS profile / role, for `aws eks get-token`.
        `kube_proxy_version`: the kube-proxy add-on's (components.eks.addons); None lets
        pulumi-eks take the most recent. `child_transforms`: transforms of the children
        pulumi-eks registers (access entries)."""
        super().__init__("cyperf-k8s:eks:Cluster", name, None, opts)
        self.cluster_name = physical_name
        self.cluster = eks_sdk.Cluster(
            plan.cluster_resource_name(eks.cni),
            vpc_id=network.vpc_id,
            public_subnet_ids=network.public_subnet_ids or None,
            private_subnet_ids=network.private_subnet_ids or None,
            # The component's own Kubernetes provider uses them too.
            provider_credential_opts=kubeconfig_options(credentials),
            opts=pulumi.ResourceOptions(parent=self, transforms=list(child_transforms) or None),
            kube_proxy_addon_options=(
                {"version": kube_proxy_version} if kube_proxy_version is not None else None
            ),
            **plan.cluster_args(eks, physical_name),
        )
        self.kubeconfig = pulumi.Output.secret(
            self.cluster.kubeconfig_json.apply(
                lambda text: kubeconfig_with_credentials(text, credentials)
            )
        )
        self.node_security_group_id = self.cluster.node_security_group_id
        self.provider = k8s.Provider(
            f"{name}-kubernetes",
            kubeconfig=self.kubeconfig,
            # A rewritten kubeconfig (another AWS profile, a CLI update) must not replace every
            # agent object; a new cluster (new name) does.
            cluster_identifier=physical_name,
            # The engine keeps the provider's stored kubeconfig secret too (the policy pack's
            # eks-kubeconfig-secret rule checks this option).
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["kubeconfig"]),
            **ENVIRONMENT_INDEPENDENT_PROVIDER_ARGS,
        )
        self.register_outputs({"clusterName": physical_name, "kubeconfig": self.kubeconfig})
