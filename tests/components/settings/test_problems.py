"""The one problem type and its one rendering: `cyperf-k8s:<path[i]>: <allowed> (got ...)`."""

from __future__ import annotations

import json

import pytest
from pydantic import SecretStr

from components.settings.problems import (
    KeyWarning,
    Problem,
    Problems,
    config_key,
    only_with,
    raise_any,
    render,
    repeated,
)


def test_paths_read_like_the_stack_file() -> None:
    assert config_key(("agentGroups", 1, "service", "ports", 0, "nodePort")) == (
        "cyperf-k8s:agentGroups[1].service.ports[0].nodePort"
    )
    assert config_key(("eks", "nodeGroups", "server", "desiredSize")) == (
        "cyperf-k8s:eks.nodeGroups.server.desiredSize"
    )


def test_values_are_shown_and_secrets_are_not() -> None:
    assert render(Problem(("namespace",), "must be a DNS label", "Bad")) == (
        "cyperf-k8s:namespace: must be a DNS label (got 'Bad')"
    )
    assert render(Problem(("tags",), "too many", {"b": 1, "a": [2]})) == (
        'cyperf-k8s:tags: too many (got {"a": [2], "b": 1})'
    )
    value = ["v" * 50] * 5
    shown = json.dumps(value)[:117] + "..."
    assert render(Problem(("x",), "too long", value)) == f"cyperf-k8s:x: too long (got {shown})"
    hidden = render(Problem(("kubeconfig",), "must be text", SecretStr("token-abc")))
    assert hidden == "cyperf-k8s:kubeconfig: must be text (value hidden: it is a secret)"


def test_problems_are_reported_together() -> None:
    raise_any([])  # nothing found, nothing raised
    found = [Problem(("a",), "one", 1), Problem(("b", 0), "two", 2)]
    with pytest.raises(Problems) as caught:
        raise_any(found)
    assert caught.value.problems == found
    assert str(caught.value) == (
        "invalid stack configuration:\n"
        "  - cyperf-k8s:a: one (got 1)\n"
        "  - cyperf-k8s:b[0]: two (got 2)"
    )


def test_a_warning_reads_like_a_problem_without_a_value() -> None:
    warning = KeyWarning(("agentGroups", 0, "replicas"), "is more than the nodes")
    assert str(warning) == "cyperf-k8s:agentGroups[0].replicas: is more than the nodes"
    assert str(KeyWarning(("profile",), "is unset", namespace="aws")) == "aws:profile: is unset"


def test_one_sentence_for_a_key_that_applies_only_with_another_setting() -> None:
    assert only_with("type LoadBalancer", "type is 'ClusterIP'") == (
        "applies only with type LoadBalancer (type is 'ClusterIP'); remove it"
    )
    assert only_with("role 'server'", "role is 'client'", "remove it from this group") == (
        "applies only with role 'server' (role is 'client'); remove it from this group"
    )


def test_repeated_values_are_each_named_once_in_order() -> None:
    assert repeated([3, 1, 3, 2, 1, 3]) == [1, 3]
    assert repeated(["a", "b"]) == []
