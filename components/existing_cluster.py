"""Access to a cluster the stack does not own: a Kubernetes provider from kubeconfig/context."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.settings import StackSettings


class ExistingCluster(pulumi.ComponentResource):
    provider: k8s.Provider

    def __init__(
        self, name: str, settings: StackSettings, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cyperf-k8s:index:ExistingCluster", name, None, opts)
        kubeconfig = (
            pulumi.Output.secret(settings.kubeconfig.get_secret_value())
            if settings.kubeconfig is not None
            else None
        )
        self.provider = k8s.Provider(
            f"{name}-kubernetes",
            kubeconfig=kubeconfig,
            context=settings.kube_context,
            # Rotating credentials or moving the kubeconfig file must not replace every agent
            # object; only pointing at another context (another cluster) does.
            cluster_identifier=settings.kube_context or "kubeconfig-default-context",
            # The engine keeps the provider's stored kubeconfig secret too.
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["kubeconfig"]),
        )
        self.register_outputs({"context": settings.kube_context})
