"""Pod Security Admission: the namespace the stack creates admits the agents; a namespace that
enforces more is a problem at the `namespace` key, and one without a level is warned about."""

from __future__ import annotations

from typing import Any

import pytest

from components import pod_security
from tests.support.program import config_of, default_cluster_state, run_stack

ENFORCE = "pod-security.kubernetes.io/enforce"
EMPTY: dict[str, dict[str, Any]] = {"cyperf-agent-service": {"subsets": []}}


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


def test_the_refusal_is_a_problem_at_the_namespace_key() -> None:
    problem = pod_security.admission_problem("lab", {ENFORCE: "baseline"})
    assert problem is not None
    assert problem.path == ("namespace",)
    assert problem.value == "baseline"
    assert problem.message.startswith("namespace 'lab' enforces Pod Security level 'baseline'")
    assert "set cyperf-k8s:createNamespace to true" in problem.message


@pytest.mark.parametrize(
    ("labels", "warned"),
    [({}, True), (None, True), ({ENFORCE: "privileged"}, False), ({ENFORCE: "baseline"}, False)],
)
def test_an_unlabelled_namespace_is_warned_about_at_the_namespace_key(
    labels: dict[str, str] | None, warned: bool
) -> None:
    warning = pod_security.unlabelled_warning("lab", labels)
    assert (warning is not None) == warned
    if warning is not None:
        assert str(warning).startswith(
            f"cyperf-k8s:namespace: namespace 'lab' has no {ENFORCE} label"
        )
