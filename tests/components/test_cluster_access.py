"""The Kubernetes provider's registered inputs (components.cluster_access:
ENVIRONMENT_INDEPENDENT_PROVIDER_ARGS, AMBIENT_KUBECONFIG) do not depend on the operator's
environment: two operators with different KUBECONFIG paths and PULUMI_K8S_* variables register
the same ones."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.eks import run_eks_stack
from tests.support.program import STACKS, config_of, default_cluster_state, engine_config, run_stack

PROVIDER = "pulumi:providers:kubernetes"
AMBIENT = {
    "KUBECONFIG": "operator-a/.kube/lab-config",
    "PULUMI_K8S_DELETE_UNREACHABLE": "true",
    "PULUMI_K8S_ENABLE_SERVER_SIDE_APPLY": "false",
    "PULUMI_K8S_SUPPRESS_DEPRECATION_WARNINGS": "true",
    "PULUMI_K8S_UPSERT_EXISTING_OBJECTS": "true",
    "PULUMI_K8S_ENABLE_PATCH_FORCE": "true",
}


def existing_provider_inputs() -> dict[str, Any]:
    state = default_cluster_state(endpoints={"cyperf-agent-service": {"subsets": []}})
    run = run_stack(config_of(controllerAddress="192.0.2.10"), state)
    [provider] = run.of_type(PROVIDER)
    return provider.inputs


def eks_provider_inputs() -> dict[str, Any]:
    config = engine_config(STACKS / "Pulumi.eks-east-west-vpc-cni.yaml")
    [provider] = run_eks_stack(config).of_type(PROVIDER)
    inputs = dict(provider.inputs)
    inputs.pop("kubeconfig")  # the cluster's own, checked by the EKS tests
    return inputs


@pytest.mark.parametrize("inputs_of", [existing_provider_inputs, eks_provider_inputs])
def test_provider_inputs_ignore_the_operators_environment(
    monkeypatch: pytest.MonkeyPatch, inputs_of: Any
) -> None:
    for name in AMBIENT:
        monkeypatch.delenv(name, raising=False)
    clean = inputs_of()
    for name, value in AMBIENT.items():
        monkeypatch.setenv(name, value)
    assert inputs_of() == clean
    monkeypatch.setenv("KUBECONFIG", "operator-b/kubeconfig")
    assert inputs_of() == clean
    # The settings the environment would otherwise decide, as the provider's defaults have them.
    assert clean["deleteUnreachable"] == "false"
    assert clean["enableServerSideApply"] == "true"
    assert clean["upsertExistingObjects"] == "false"


def test_ambient_kubeconfig_is_registered_as_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", "operator-a/.kube/lab-config")
    inputs = existing_provider_inputs()
    # Empty means "the ambient configuration" to the provider; the operator's path stays out.
    assert inputs["kubeconfig"] == ""
    assert "operator-a" not in repr(inputs)
