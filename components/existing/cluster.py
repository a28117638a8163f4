"""Access to a cluster the stack does not own: a Kubernetes provider from kubeconfig/context."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
from pydantic import SecretStr

from components.cluster_access import AMBIENT_KUBECONFIG, ENVIRONMENT_INDEPENDENT_PROVIDER_ARGS


class ExistingCluster(pulumi.ComponentResource):
    provider: k8s.Provider

    def __init__(
        self,
        name: str,
        kubeconfig: SecretStr | None,
        kube_context: str | None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("cyperf-k8s:index:ExistingCluster", name, None, opts)
        kubeconfig_text: pulumi.Input[str] = (
            pulumi.Output.secret(kubeconfig.get_secret_value())
            if kubeconfig is not None
            else AMBIENT_KUBECONFIG
        )
        self.provider = k8s.Provider(
            f"{name}-kubernetes",
            kubeconfig=kubeconfig_text,
            context=kube_context,
            # Rotating credentials or moving the kubeconfig file must not replace every agent
            # object; only pointing at another context (another cluster) does.
            cluster_identifier=kube_context or "kubeconfig-default-context",
            # The engine keeps the provider's stored kubeconfig secret too.
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["kubeconfig"]),
            **ENVIRONMENT_INDEPENDENT_PROVIDER_ARGS,
        )
        self.register_outputs({"context": kube_context})
