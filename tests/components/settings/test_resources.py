"""The agent container's resources (`agentGroups[i].resources`): quantities, the memory limit,
requests within limits, and a partial map that keeps the defaults it does not name."""

from __future__ import annotations

from typing import Any

import pytest

from components.settings.loading import parse_settings
from tests.support.program import config_of, refusal_table, server

BAD_CONFIGS: list[tuple[str, dict[str, Any], str, str]] = [
    # (case, settings, "key in message", "allowed / reason fragment")
    (
        "memory not a quantity",
        {"agentGroups": [server(resources={"limits": {"memory": "4GB"}})]},
        "agentGroups[0].resources.limits.memory",
        "memory quantity",
    ),
    (
        "cpu not a quantity",
        {"agentGroups": [server(resources={"limits": {"cpu": "two"}})]},
        "agentGroups[0].resources.limits.cpu",
        "CPU quantity",
    ),
    (
        "request above limit",
        {"agentGroups": [server(resources={"requests": {"memory": "8Gi"}})]},
        "agentGroups[0].resources.requests.memory",
        "must not exceed",
    ),
    (
        "no memory limit",
        {
            "agentGroups": [
                server(resources={"limits": {"memory": None}, "requests": {"memory": "1Gi"}})
            ]
        },
        "agentGroups[0].resources.limits.memory",
        "must be set",
    ),
]


test_bad_config_is_rejected_before_any_resource = refusal_table(BAD_CONFIGS, at_least=4)


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        ({"limits": {"cpu": "2"}}, ({"memory": "2Gi"}, {"cpu": "2", "memory": "4Gi"})),
        ({"requests": {"cpu": "1"}}, ({"cpu": "1", "memory": "2Gi"}, {"memory": "4Gi"})),
        ({"limits": {"memory": "8Gi"}}, ({"memory": "2Gi"}, {"memory": "8Gi"})),
        ({"requests": {"memory": None}}, ({}, {"memory": "4Gi"})),
    ],
)
def test_a_partial_resources_map_keeps_the_other_defaults(
    resources: dict[str, Any], expected: tuple[dict[str, str], dict[str, str]]
) -> None:
    group = parse_settings(config_of(agentGroups=[server(resources=resources)])).agent_groups[0]
    got = tuple(
        group.resources.model_dump(exclude_none=True)[kind] for kind in ("requests", "limits")
    )
    assert got == expected
