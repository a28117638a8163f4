"""Redaction by the program's secrecy rule: env values that mention a secret, in any object; log
lines; controller records."""

from __future__ import annotations

import json

from components import secrecy
from ops.redact import Redactor, secret_strings
from ops.stack import stack_info

PROXY = "http://tester:pa55-proxy@proxy.example:3128"


def pod(env: list[dict[str, str]]) -> dict[str, object]:
    return {
        "metadata": {"name": "client-a", "labels": {"cyperf-k8s/agent-group": "client"}},
        "spec": {"containers": [{"name": "agent", "env": env}]},
    }


def test_env_values_that_mention_a_secret_are_hidden_in_pods_and_deployments() -> None:
    redactor = Redactor({PROXY, "lab-7"})
    env = [
        {"name": "HTTPS_PROXY", "value": PROXY},
        {"name": "AGENT_TAGS", "value": "cyperf-k8s=s.client,site=lab-7"},  # a `,`/`=` part
        {"name": "AGENT_CONTROLLER", "value": "192.0.2.10"},
    ]
    deployment = {"spec": {"template": pod(env)}}
    redacted = redactor.value(deployment)
    values = [e["value"] for e in redacted["spec"]["template"]["spec"]["containers"][0]["env"]]
    assert values == ["[secret]", "[secret]", "192.0.2.10"]
    assert redacted["spec"]["template"]["metadata"]["name"] == "client-a"  # names stay
    assert PROXY not in json.dumps(redacted)


def test_the_rule_is_the_programs() -> None:
    secrets = frozenset({PROXY, "lab-7", "ab"})
    for value in (PROXY, f"x{PROXY}y", "site=lab-7", "k=ab", "ab", "abc", "lab-", "192.0.2.1"):
        hidden = Redactor(secrets).value(pod([{"name": "X", "value": value}]))
        shown = hidden["spec"]["containers"][0]["env"][0]["value"]
        assert (shown == "[secret]") == secrecy.mentions(value, secrets), value


def test_log_lines_lose_the_secret_env_values_and_tokens_and_keep_the_rest() -> None:
    redactor = Redactor({PROXY}, always=["offline-token-for-tests"])
    redactor.value(pod([{"name": "HTTPS_PROXY", "value": PROXY}]))
    assert redactor.text(f"connecting via {PROXY} now") == "connecting via [secret] now"
    assert redactor.text("token offline-token-for-tests") == "token [secret]"
    assert redactor.text("agent started") == "agent started"


def test_agent_records_hide_every_string_that_mentions_a_secret() -> None:
    record = {"id": "a1", "configuredProxy": PROXY, "AgentTags": ["site=lab-7", "g=1"]}
    redacted = Redactor({PROXY, "lab-7"}).record(record)
    assert redacted == {"id": "a1", "configuredProxy": "[secret]", "AgentTags": ["[secret]", "g=1"]}


def test_secret_strings_decode_objects_and_leave_the_kubeconfig_out() -> None:
    config = {
        "cyperf-k8s:agentGroups": (json.dumps([{"name": "c", "env": {"P": PROXY}}]), True),
        "cyperf-k8s:kubeconfig": ('{"apiVersion": "v1", "kind": "Config"}', True),
        "cyperf-k8s:namespace": ("cyperf", False),
        "cyperf-ops:controllerOfflineToken": ("tok-123456", True),
    }
    found = secret_strings(config)
    assert {PROXY, "c", "P", "tok-123456"} <= found
    assert not {"v1", "Config", "cyperf"} & found


def test_for_stack_hides_the_controller_token_and_the_secret_config() -> None:
    stack = stack_info(
        "east-west",
        {
            "cyperf-k8s:agentGroups": (json.dumps([{"env": {"P": PROXY}}]), True),
            "cyperf-ops:controllerOfflineToken": ("tok-123456", True),
            "cyperf-ops:controllerUsername": ("tester", False),
        },
        {},
    )
    redactor = Redactor.for_stack(stack)
    assert redactor.text("refresh_token=tok-123456 user tester") == (
        "refresh_token=[secret] user tester"
    )
    hidden = redactor.value(pod([{"name": "P", "value": PROXY}]))
    assert hidden["spec"]["containers"][0]["env"][0]["value"] == "[secret]"
