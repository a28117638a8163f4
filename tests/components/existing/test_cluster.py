"""The provider of a cluster the stack does not own: the kubeconfig registered secret (or left to
the operator's ambient one), the context, and a cluster identifier that only a change of context
changes."""

from __future__ import annotations

from typing import Any

from tests.support.program import (
    Registered,
    StackRun,
    config_of,
    default_cluster_state,
    run_stack,
)

KUBECONFIG = (
    "apiVersion: v1\nkind: Config\nusers: [{name: u, user: {token: t0k3n}}]\n"
    "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:6443'}}]\n"
    "contexts: [{name: lab, context: {cluster: c, user: u}}]\n"
)
# The default server group's Endpoints, as the cluster reports them.
SERVED = default_cluster_state(
    endpoints={"cyperf-agent-service": {"subsets": [{"addresses": [{"ip": "10.244.0.5"}]}]}}
)


def cluster_of(**settings: Any) -> tuple[StackRun, Registered, Registered]:
    run = run_stack(config_of(**settings), SERVED)
    component = run.one("cyperf-k8s:index:ExistingCluster", "cluster")
    provider = run.one("pulumi:providers:kubernetes", "cluster-kubernetes")
    return run, component, provider


def test_a_configured_kubeconfig_is_registered_secret_with_its_context() -> None:
    run, component, provider = cluster_of(kubeconfig=KUBECONFIG, kubeContext="lab")
    assert provider.parent == component.urn
    assert provider.inputs["kubeconfig"] == KUBECONFIG
    assert provider.secret_inputs == {"kubeconfig"}
    # The engine keeps the provider's stored kubeconfig secret too.
    assert provider.additional_secret_outputs == ["kubeconfig"]
    assert (provider.inputs["context"], provider.inputs["clusterIdentifier"]) == ("lab", "lab")
    assert run.component_outputs[component.urn] == {"context": "lab"}


def test_without_a_kubeconfig_the_operators_own_is_used() -> None:
    run, component, provider = cluster_of()
    # Empty: the provider reads KUBECONFIG / ~/.kube/config of whoever runs `pulumi up`.
    assert provider.inputs["kubeconfig"] == ""
    assert provider.secret_inputs == set()
    assert "context" not in provider.inputs
    assert provider.inputs["clusterIdentifier"] == "kubeconfig-default-context"
    # No context: the output is left out (the engine drops unset values).
    assert run.component_outputs[component.urn] == {}
