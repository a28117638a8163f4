"""Where the controller credentials come from, and the refusals that name the key, never the
value."""

from __future__ import annotations

import pytest

from ops.credentials import CREDENTIALS_HELP, credentials, credentials_configured
from ops.errors import CredentialsError
from ops.stack import Secret


def test_credentials_come_from_the_environment_first_then_secret_stack_config() -> None:
    token_env = credentials({"CYPERF_OFFLINE_TOKEN": "t"}, {"controllerOfflineToken": Secret("c")})
    assert token_env.offline_token == Secret("t") and token_env.source == "CYPERF_OFFLINE_TOKEN"
    user_env = credentials({"CYPERF_USERNAME": "u", "CYPERF_PASSWORD": "p"}, {})
    assert (user_env.username, user_env.password) == ("u", Secret("p"))
    config = credentials({}, {"controllerOfflineToken": Secret("c")})
    assert (
        config.offline_token == Secret("c") and config.source == "cyperf-ops:controllerOfflineToken"
    )
    user_config = credentials({}, {"controllerUsername": "u", "controllerPassword": Secret("p")})
    assert user_config.username == "u"


@pytest.mark.parametrize(
    ("env", "config", "message"),
    [
        ({}, {}, "no controller credentials: set CYPERF_OFFLINE_TOKEN"),
        ({"CYPERF_USERNAME": "u"}, {}, "CYPERF_USERNAME and CYPERF_PASSWORD: set both"),
        (
            {},
            {"controllerOfflineToken": "plain-token"},
            "cyperf-ops:controllerOfflineToken: must be stack secret config",
        ),
        (
            {},
            {"controllerUsername": "u"},
            "cyperf-ops:controllerUsername and cyperf-ops:controllerPassword",
        ),
    ],
)
def test_credential_problems_are_refused_by_name_without_the_value(
    env: dict[str, str], config: dict[str, object], message: str
) -> None:
    with pytest.raises(CredentialsError) as raised:
        credentials(env, config)  # type: ignore[arg-type]
    assert message in str(raised.value)
    assert "plain-token" not in str(raised.value)


def test_the_help_names_every_source() -> None:
    for source in (
        "CYPERF_OFFLINE_TOKEN",
        "CYPERF_USERNAME",
        "cyperf-ops:controllerOfflineToken",
        "cyperf-ops:controllerPassword",
        "KUBECONFIG",
    ):
        assert source in CREDENTIALS_HELP


def test_credentials_configured_from_env_or_secret_config() -> None:
    assert not credentials_configured({}, {})
    assert credentials_configured({"CYPERF_OFFLINE_TOKEN": "t"}, {})
    assert credentials_configured({"CYPERF_USERNAME": "u"}, {})  # half-set: refused later
    assert credentials_configured({}, {"controllerOfflineToken": Secret("t")})
    assert not credentials_configured({"CYPERF_OFFLINE_TOKEN": ""}, {"other": "x"})
