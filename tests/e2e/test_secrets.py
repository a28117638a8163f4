"""Secrets on the rig: a controller address and an env value set with
`pulumi config set --secret` reach the agents, yet `pulumi stack export` holds neither in
plaintext (`--show-secrets` does, so the search below could see them)."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import Rig, stack_of
from tests.e2e.test_day2 import agent_pods, env_of
from tests.e2e.test_stacks import example_config, nothing_of_the_stack_left

pytestmark = pytest.mark.e2e

CONTROLLER = "10.213.47.91"
LICENSE = "lic-6d1f0c9e2b"


def test_secret_config_never_reaches_the_state_in_plaintext(rig: Rig) -> None:
    config = example_config("east-west")
    del config["cyperf-k8s:controllerAddress"]
    with stack_of(rig, "secrets", config) as stack:
        rig.pulumi("config", "set", "--secret", "controllerAddress", CONTROLLER, stack=stack)
        rig.pulumi(
            "config",
            "set",
            "--secret",
            "--path",
            "agentGroups[0].env.LICENSE",
            LICENSE,
            stack=stack,
        )
        rig.up(stack)

        # The agents got both values.
        pods = agent_pods(rig)
        assert pods
        assert {env_of(p)["AGENT_CONTROLLER"] for p in pods} == {CONTROLLER}
        clients = [p for p in pods if "LICENSE" in env_of(p)]
        assert clients and {env_of(p)["LICENSE"] for p in clients} == {LICENSE}

        exported = rig.pulumi("stack", "export", stack=stack).stdout
        assert CONTROLLER not in exported
        assert LICENSE not in exported
        revealed = rig.pulumi("stack", "export", "--show-secrets", stack=stack).stdout
        assert CONTROLLER in revealed and LICENSE in revealed

        outputs = json.loads(rig.pulumi("stack", "output", "--json", stack=stack).stdout)
        assert outputs["controllerAddress"] == "[secret]"
        assert outputs["controllerSetup"] == "[secret]"
        shown = json.loads(
            rig.pulumi("stack", "output", "--json", "--show-secrets", stack=stack).stdout
        )
        assert shown["controllerAddress"] == CONTROLLER

        rig.pulumi("preview", "--expect-no-changes", stack=stack)
        rig.remove_stack(stack)
        nothing_of_the_stack_left(rig)
