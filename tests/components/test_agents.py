"""The agents component: an existing namespace whose Pod Security level rejects the agents stops
the program before any agent object is registered, and an unlabelled one is warned about."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.program import (
    config_of,
    default_cluster_state,
    run_stack,
    run_stack_expecting_error,
)

ENFORCE = "pod-security.kubernetes.io/enforce"
EMPTY: dict[str, dict[str, Any]] = {"cyperf-agent-service": {"subsets": []}}
AGENT_TYPES = ("kubernetes:apps/v1:Deployment", "kubernetes:core/v1:Service")


@pytest.mark.parametrize("level", ["baseline", "restricted"])
def test_existing_namespace_that_rejects_agents_stops_before_any_agent_object(level: str) -> None:
    state = default_cluster_state(namespace="lab", namespace_labels={ENFORCE: level})
    error, run = run_stack_expecting_error(config_of(namespace="lab", createNamespace=False), state)
    message = str(error)
    assert message.startswith(
        "invalid stack configuration:\n"
        "  - cyperf-k8s:namespace: namespace 'lab' enforces Pod Security"
    )
    assert f"label {ENFORCE}" in message
    assert f"kubectl label --overwrite namespace lab {ENFORCE}=privileged" in message
    assert message.endswith(f"(got {level!r})")
    # The namespace was read, and not a single agent object was registered.
    assert [r.read_id for r in run.reads("kubernetes:core/v1:Namespace")] == ["lab"]
    assert [r.name for r in run.resources if r.typ in AGENT_TYPES and r.read_id is None] == []


def test_unlabelled_existing_namespace_warns(logged_warnings: list[str]) -> None:
    state = default_cluster_state(namespace="lab", namespace_labels={}, endpoints=EMPTY)
    run = run_stack(
        config_of(namespace="lab", createNamespace=False, controllerAddress="h.lab"), state
    )
    assert len(run.of_type("kubernetes:apps/v1:Deployment")) == 2
    [warning] = [w for w in logged_warnings if "Pod Security" in w]
    assert "namespace 'lab' has no pod-security.kubernetes.io/enforce label" in warning
