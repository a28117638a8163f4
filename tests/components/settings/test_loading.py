"""Loading the settings from the stack config: engine strings decoded (text keys never as JSON),
every problem reported at once and located, unknown keys named but never shown, secrets never
echoed."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr

from components.settings.loading import STRING_KEYS, parse_settings, string_keys
from components.settings.problems import Problems
from components.settings.stack import StackSettings
from tests.components.settings.test_stack import KUBECONFIG
from tests.support.program import config_of, refused, rejected, server


def test_engine_shaped_values_are_decoded() -> None:
    settings = parse_settings(
        {
            "cyperf-k8s:createNamespace": "false",
            "cyperf-k8s:rolloutTimeoutSeconds": "120",
            "cyperf-k8s:controllerAddress": "cyperf.lab.example",
            "cyperf-k8s:agentGroups": '[{"name": "s1", "role": "server", "replicas": 3}]',
            "cyperf-k8s:kubeconfig": '{"apiVersion": "v1", "clusters": [{"name": "c"}], '
            '"contexts": [{"name": "c"}]}',
            "aws:region": "eu-west-1",
        }
    )
    assert settings.create_namespace is False
    assert settings.rollout_timeout_seconds == 120
    assert settings.agent_groups[0].replicas == 3
    assert settings.kubeconfig is not None
    # JSON kubeconfig content stays text, and stays masked.
    assert settings.kubeconfig.get_secret_value().startswith('{"apiVersion"')
    assert "apiVersion" not in repr(settings)


def test_secret_kubeconfig_is_never_echoed_in_errors() -> None:
    with pytest.raises(Problems) as err:
        parse_settings({"cyperf-k8s:kubeconfig": '["token-abc123"]'} | config_of(namespace="X"))
    assert "token-abc123" not in str(err.value)


def test_secret_values_are_never_shown_in_problems() -> None:
    with pytest.raises(Problems) as err:
        parse_settings(
            config_of(
                controllerAddress="https://tok-91ac.lab",
                agentGroups=[{"name": "s", "role": "server", "env": {"AGENT_TAGS": "tok-77aa"}}],
                cyperfRelease="release7.0",
            )
            | config_of(
                agentGroups=[{"name": "tok-77aa", "role": "server", "architecture": "arm64"}]
            ),
            frozenset({"cyperf-k8s:controllerAddress", "cyperf-k8s:agentGroups"}),
        )
    text = str(err.value)
    assert "cyperf-k8s:controllerAddress:" in text
    assert "tok-91ac" not in text and "tok-77aa" not in text
    assert text.count("value hidden: it is a secret") == len(err.value.problems)


def test_a_cross_key_message_does_not_quote_another_keys_secret() -> None:
    with pytest.raises(Problems) as err:
        parse_settings(
            config_of(
                cyperfRelease="release7.0",
                agentGroups=[{"name": "s", "role": "server", "architecture": "arm64"}],
            ),
            frozenset({"cyperf-k8s:cyperfRelease"}),
        )
    (line,) = err.value.lines
    assert line.startswith("cyperf-k8s:agentGroups[0].architecture:")
    assert "release7.0" not in line and "<secret>" in line


def test_string_keys_follow_the_field_types() -> None:
    assert {
        "cluster",
        "cyperfRelease",
        "controllerAddress",
        "kubeconfig",
        "kubeContext",
        "namespace",
        "clusterDnsService",
    } == STRING_KEYS

    class Extended(StackSettings):
        new_name: str = "x"
        new_optional_name: str | None = None
        new_secret: SecretStr | None = None
        new_count: int = 1
        new_switch: bool | None = None

    assert string_keys(Extended) - STRING_KEYS == {"newName", "newOptionalName", "newSecret"}


@pytest.mark.parametrize("key", sorted(STRING_KEYS))
def test_a_numeric_looking_text_value_reaches_the_key_check_not_json(key: str) -> None:
    """JSON would make `123` a number, which every text key refuses as "must be a string"."""
    try:
        settings = parse_settings({f"cyperf-k8s:{key}": "123"})
    except Problems as err:
        [problem] = err.problems
        assert problem.path == (key,)
        assert "must be a string" not in problem.message
    else:
        names = {field.alias: name for name, field in StackSettings.model_fields.items()}
        assert getattr(settings, names[key]) == "123"


def test_a_numeric_controller_address_is_checked_as_an_address() -> None:
    assert rejected({"cyperf-k8s:controllerAddress": "10"}) == [
        "cyperf-k8s:controllerAddress: must be an IPv4 address or a DNS name (no scheme, port or "
        "path) (got '10')"
    ]
    assert parse_settings({"cyperf-k8s:namespace": "123"}).namespace == "123"


@pytest.mark.parametrize(
    ("settings", "key", "allowed"),
    [
        pytest.param(
            {"controlerAddress": "10.0.0.1"}, "controlerAddress", "not a known", id="top-level"
        ),
        pytest.param(
            {"agentGroups": [server(replicsa=2)]},
            "agentGroups[0].replicsa",
            "not a known",
            id="group",
        ),
        pytest.param(
            {"eks": {}},
            "eks",
            "applies only with cluster 'eks' (cluster is 'existing'); set cyperf-k8s:cluster to "
            "'eks'",
            id="eks section",
        ),
    ],
)
def test_keys_the_model_does_not_take_are_refused(
    settings: dict[str, Any], key: str, allowed: str
) -> None:
    refused(settings, key, allowed)


YAML_SCALARS_AS_INTEGERS = [
    ({"agentGroups": [server(replicas=True)]}, "agentGroups[0].replicas", "whole number"),
    ({"agentGroups": [server(replicas="3")]}, "agentGroups[0].replicas", "whole number"),
    ({"agentGroups": [server(replicas=3.0)]}, "agentGroups[0].replicas", "whole number"),
    ({"rolloutTimeoutSeconds": True}, "rolloutTimeoutSeconds", "whole number"),
    ({"rolloutTimeoutSeconds": 120.0}, "rolloutTimeoutSeconds", "whole number"),
    (
        {"agentGroups": [server(service={"ports": [{"port": False}]})]},
        "agentGroups[0].service.ports[0].port",
        "whole number",
    ),
    (
        {"agentGroups": [server(oneAgentPerNode=1)]},
        "agentGroups[0].oneAgentPerNode",
        "true or false",
    ),
    ({"createNamespace": "yes"}, "createNamespace", "true or false"),
    ({"agentGroups": [server(tags={"n": 1})]}, "agentGroups[0].tags.n", "must be a string"),
]


@pytest.mark.parametrize(("settings", "key", "allowed"), YAML_SCALARS_AS_INTEGERS)
def test_scalars_are_not_coerced(settings: dict[str, Any], key: str, allowed: str) -> None:
    refused(settings, key, allowed)


def test_all_problems_are_reported_at_once() -> None:
    with pytest.raises(Problems) as err:
        parse_settings(
            config_of(
                controllerAddress="::1",
                namespace="Bad",
                agentGroups=[server(replicas=-2, testInterface="")],
            )
        )
    assert len(err.value.problems) == 4, err.value.problems


def test_unknown_keys_are_named_but_never_shown() -> None:
    with pytest.raises(Problems) as err:
        parse_settings(
            config_of(kubeConfig=KUBECONFIG, agentGroups=[server(enVars={"T": "tok-9f8e7d"})])
        )
    text = str(err.value)
    assert "cyperf-k8s:kubeConfig: is not a known setting" in text
    assert "cyperf-k8s:agentGroups[0].enVars: is not a known setting" in text
    assert "tok-9f8e7d" not in text
