"""Controller access through Keysight's client against the fake controller on 127.0.0.1."""

from __future__ import annotations

import pytest

from ops.controller import Controller, Credentials, Tls, controller_url, credentials, preflight
from ops.errors import OpsError, UsageError
from ops.stack import Secret
from tests.ops.fake_controller import TOKEN_PATH, FakeController, agent_json


def token(fake: FakeController) -> Credentials:
    return Credentials(Secret(fake.offline_token), source="test")


def test_lists_every_agent_across_pages_with_an_offline_token(controller: FakeController) -> None:
    controller.agents = [
        agent_json(f"a{i}", f"10.0.{i // 250}.{i % 250}", ["g=1"], offline=i == 7)
        for i in range(230)
    ]
    assert controller.cert_file is not None
    agents = Controller(
        controller.url, token(controller), Tls(ca_cert=str(controller.cert_file))
    ).agents()
    assert len(agents) == 230 and len({a.id for a in agents}) == 230
    assert [a.id for a in agents if a.offline] == ["a7"]
    assert agents[1].ip == "10.0.0.1" and agents[1].tags == ("g=1",)
    pages = [q for method, path, q in controller.requests if path == "/api/v2/agents"]
    assert [(q["take"], q["skip"]) for q in pages] == [
        (["100"], ["0"]),
        (["100"], ["100"]),
        (["100"], ["200"]),
    ]
    login = [form for method, path, form in controller.requests if path == TOKEN_PATH]
    assert login == [
        {
            "client_id": ["clt-wap"],
            "grant_type": ["refresh_token"],
            "refresh_token": [controller.offline_token],
        }
    ]


def test_plain_list_answer_and_password_login(controller: FakeController) -> None:
    controller.paged = False  # answers every agent, whatever take/skip say
    controller.agents = [agent_json(f"a{i}", f"10.0.0.{i}", ["g=1"]) for i in range(150)]
    creds = Credentials(username=controller.username, password=Secret(controller.password))
    agents = Controller(controller.url, creds, Tls(verify=False)).agents()
    assert sorted(a.id for a in agents) == sorted(f"a{i}" for i in range(150))


def test_wrong_token_is_a_clear_error_without_the_token(controller: FakeController) -> None:
    creds = Credentials(Secret("not-the-token"))
    with pytest.raises(OpsError) as raised:
        Controller(controller.url, creds, Tls(verify=False)).agents()
    assert "login refused (401)" in str(raised.value)
    assert "not-the-token" not in str(raised.value)


def test_tls_is_verified_by_default_and_an_untrusted_certificate_fails_at_once(
    controller: FakeController,
) -> None:
    with pytest.raises(OpsError, match=r"TLS certificate not trusted .*--ca-cert.*--insecure"):
        preflight(controller.url, Tls())
    preflight(controller.url, Tls(ca_cert=str(controller.cert_file)))
    preflight(controller.url, Tls(verify=False))


def test_unreachable_controller_fails_at_once() -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(OpsError, match="cannot connect"):
        preflight(f"https://127.0.0.1:{port}", Tls(), timeout=2)


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
    with pytest.raises(UsageError) as raised:
        credentials(env, config)  # type: ignore[arg-type]
    assert message in str(raised.value)
    assert "plain-token" not in str(raised.value)


@pytest.mark.parametrize(
    ("address", "url"),
    [
        ("192.0.2.10", "https://192.0.2.10"),
        ("ctl.example:8443", "https://ctl.example:8443"),
        ("https://ctl.example/", "https://ctl.example"),
    ],
)
def test_controller_url(address: str, url: str) -> None:
    assert controller_url(address) == url


@pytest.mark.parametrize("address", ["http://ctl.example", "https://ctl.example/api", "https://"])
def test_controller_url_refused(address: str) -> None:
    with pytest.raises(UsageError, match="--controller: a host, host:port or https"):
        controller_url(address)
