"""Which values count as mentioning a secret, and how they are concealed: stack outputs through
`conceal`, container env values through `conceal_env` (resolved under the shared mocks)."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from components import secrecy
from components.settings.problems import PROJECT
from mocks.cluster import ClusterMocks
from mocks.harness import run_program
from mocks.monitor import RecordingMonitor

SECRETS = frozenset({"lab-7", "10.77.0.9"})


def exported(program: Any) -> tuple[dict[str, Any], set[str]]:
    """The resolved exports of `program` and the names of those exported secret."""
    mocks = ClusterMocks()
    secret: set[str] = set()
    exports = run_program(program, {}, mocks, RecordingMonitor(mocks), PROJECT, "test", secret)
    return exports, secret


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("lab-7", True),
        ("site=lab-7,x=y", True),
        ("a", False),
        ({"k": ["x", "10.77.0.9:443"]}, True),
        ({"lab-7x": 1}, True),
        ("site=lab", False),
        (3, False),
    ],
)
def test_mentions(value: Any, expected: bool) -> None:
    assert secrecy.mentions(value, frozenset({"lab-7", "10.77.0.9", "b"})) is expected


def test_conceal_makes_secret_only_what_mentions_a_secret() -> None:
    def program() -> None:
        pulumi.export("tags", secrecy.conceal("site=lab-7", SECRETS))
        pulumi.export("nested", secrecy.conceal({"a": ["10.77.0.9:443"]}, SECRETS))
        pulumi.export("unrelated", secrecy.conceal("site=lab", SECRETS))
        pulumi.export("fromOutput", secrecy.conceal(pulumi.Output.from_input("lab-7"), SECRETS))
        pulumi.export("noSecrets", secrecy.conceal("lab-7", frozenset()))

    exports, secret = exported(program)
    assert secret == {"tags", "nested", "fromOutput"}
    # Concealing changes whether a value shows, never the value.
    assert exports == {
        "tags": "site=lab-7",
        "nested": {"a": ["10.77.0.9:443"]},
        "unrelated": "site=lab",
        "fromOutput": "lab-7",
        "noSecrets": "lab-7",
    }


def test_conceal_env_wraps_each_value_that_mentions_a_secret() -> None:
    env = [
        {"name": "AGENT_CONTROLLER", "value": "10.77.0.9"},
        {"name": "AGENT_TAGS", "value": "K8s-Group=x,node-owner=User"},
        {"name": "LICENSE", "value": "key-for-lab-7"},
    ]

    def program() -> None:
        concealed = secrecy.conceal_env(env, SECRETS)
        assert [entry["name"] for entry in concealed] == [entry["name"] for entry in env]
        # The untouched entry is a copy: the caller's list is never changed.
        assert concealed[1] == env[1] and concealed[1] is not env[1]
        for entry in concealed:
            pulumi.export(entry["name"], entry["value"])

    exports, secret = exported(program)
    assert secret == {"AGENT_CONTROLLER", "LICENSE"}
    assert exports == {entry["name"]: entry["value"] for entry in env}
    assert env[0]["value"] == "10.77.0.9"
