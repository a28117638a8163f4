"""Same config, same program: identical names and inputs. A change touches only what it must."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.program import config_of, default_cluster_state, run_stack

DEPLOYMENT = "kubernetes:apps/v1:Deployment"


def settings(**changes: Any) -> dict[str, Any]:
    groups = [
        {"name": "client", "role": "client", "replicas": 2, "tags": {"segment": "a"}},
        {"name": "server", "role": "server", "replicas": 2, "tags": {"segment": "b"}},
    ]
    base: dict[str, Any] = {
        "controllerAddress": "192.0.2.10",
        "agentGroups": groups,
        "nodeLabels": {"n1": "client", "n2": "server"},
    }
    for group, key, value in changes.pop("group_changes", []):
        next(g for g in groups if g["name"] == group)[key] = value
    return base | changes


def managed(**changes: Any) -> dict[tuple[str, str], dict[str, Any]]:
    state = default_cluster_state(
        endpoints={"cyperf-agent-service": {"subsets": [{"addresses": [{"ip": "10.244.0.5"}]}]}}
    )
    return run_stack(config_of(**settings(**changes)), state).managed()


def changed(before: dict[Any, Any], after: dict[Any, Any]) -> set[tuple[str, str]]:
    assert before.keys() == after.keys(), "a setting change must not add or remove resources"
    return {key for key in before if before[key] != after[key]}


@pytest.fixture(scope="module")
def baseline() -> dict[tuple[str, str], dict[str, Any]]:
    return managed()


def test_two_runs_register_identical_resources(baseline: dict[Any, Any]) -> None:
    assert len(baseline) == 11
    assert managed() == baseline


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            {"group_changes": [("server", "replicas", 5)]},
            {(DEPLOYMENT, "agents-server")},
            id="server replicas",
        ),
        pytest.param(
            {"group_changes": [("client", "tags", {"segment": "c"})]},
            {(DEPLOYMENT, "agents-client")},
            id="client tags",
        ),
        pytest.param(
            {"controllerAddress": "192.0.2.99"},
            {(DEPLOYMENT, "agents-client"), (DEPLOYMENT, "agents-server")},
            id="controller address",
        ),
        pytest.param(
            {"nodeLabels": {"n1": "client", "n2": "client"}},
            {
                ("kubernetes:core/v1:NodePatch", "node-labels-n2"),
            },
            id="one node label",
        ),
    ],
)
def test_a_change_touches_only_what_it_must(
    baseline: dict[Any, Any], change: dict[str, Any], expected: set[tuple[str, str]]
) -> None:
    assert changed(baseline, managed(**change)) == expected
