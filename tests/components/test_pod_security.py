"""Pod Security Admission: the namespace the stack creates admits the agents, and an existing one
that would reject them stops the program before any agent object is registered."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from components import pod_security
from tests.support.program import (
    config_of,
    default_cluster_state,
    run_stack,
    run_stack_expecting_error,
)

ENFORCE = "pod-security.kubernetes.io/enforce"
EMPTY: dict[str, dict[str, Any]] = {"cyperf-agent-service": {"subsets": []}}
AGENT_TYPES = ("kubernetes:apps/v1:Deployment", "kubernetes:core/v1:Service")


def test_created_namespace_enforces_the_level_the_agents_need() -> None:
    run = run_stack(
        config_of(controllerAddress="192.0.2.10"), default_cluster_state(endpoints=EMPTY)
    )
    [namespace] = run.of_type("kubernetes:core/v1:Namespace")
    assert namespace.inputs["metadata"]["labels"] == {"app": "cyperf-agent", ENFORCE: "privileged"}
    # The stack's own namespace is not read back: nothing to check.
    assert run.reads("kubernetes:core/v1:Namespace") == []


@pytest.mark.parametrize(
    ("labels", "problem"),
    [
        ({ENFORCE: "privileged"}, False),
        ({ENFORCE: "privileged", "pod-security.kubernetes.io/warn": "restricted"}, False),
        ({}, False),
        (None, False),
        ({ENFORCE: "baseline"}, True),
        ({ENFORCE: "restricted"}, True),
        # Admission takes a value it does not know as the strictest level.
        ({ENFORCE: "Privileged"}, True),
    ],
)
def test_admission_problem(labels: dict[str, str] | None, problem: bool) -> None:
    assert (pod_security.admission_problem("lab", labels) is not None) == problem


@pytest.mark.parametrize("level", ["baseline", "restricted"])
def test_existing_namespace_that_rejects_agents_stops_before_any_agent_object(level: str) -> None:
    state = default_cluster_state(namespace="lab", namespace_labels={ENFORCE: level})
    error, run = run_stack_expecting_error(config_of(namespace="lab", createNamespace=False), state)
    message = str(error)
    assert message.startswith("cyperf-k8s:namespace: namespace 'lab' enforces Pod Security")
    assert f"label {ENFORCE}" in message
    assert f"kubectl label --overwrite namespace lab {ENFORCE}=privileged" in message
    assert message.endswith(f"(got {level!r})")
    # The namespace was read, and not a single agent object was registered.
    assert [r.read_id for r in run.reads("kubernetes:core/v1:Namespace")] == ["lab"]
    assert [r.name for r in run.resources if r.typ in AGENT_TYPES and r.read_id is None] == []


def test_unlabelled_existing_namespace_warns(monkeypatch: pytest.MonkeyPatch) -> None:
    warnings: list[str] = []

    def warn(message: str, *args: Any, **kwargs: Any) -> None:
        warnings.append(message)

    monkeypatch.setattr(pulumi.log, "warn", warn)
    state = default_cluster_state(namespace="lab", namespace_labels={}, endpoints=EMPTY)
    run = run_stack(
        config_of(namespace="lab", createNamespace=False, controllerAddress="h.lab"), state
    )
    assert len(run.of_type("kubernetes:apps/v1:Deployment")) == 2
    [warning] = [w for w in warnings if "Pod Security" in w]
    assert "namespace 'lab' has no pod-security.kubernetes.io/enforce label" in warning
