"""Controller access through Keysight's client against the fake controller on 127.0.0.1."""

from __future__ import annotations

import time

import pytest

from ops.controller import Controller, Deadline, Tls, controller_url, preflight
from ops.credentials import Credentials
from ops.errors import (
    CredentialsError,
    MalformedAnswerError,
    OpsError,
    UnreachableError,
    UsageError,
)
from ops.stack import Secret
from tests.ops.fake_controller import (
    AGENTS_PATH,
    INVALID_GRANT,
    TOKEN_PATH,
    FakeController,
    agent_json,
    malformed_agent,
)


def token(fake: FakeController) -> Credentials:
    return Credentials(Secret(fake.offline_token), source="test")


def client(
    fake: FakeController, creds: Credentials | None = None, seconds: float = 60
) -> Controller:
    assert fake.cert_file is not None
    return Controller(
        fake.url, creds or token(fake), Tls(ca_cert=str(fake.cert_file)), Deadline(seconds)
    )


def test_lists_every_agent_across_pages_with_an_offline_token(controller: FakeController) -> None:
    controller.agents = [
        agent_json(f"a{i}", f"10.0.{i // 250}.{i % 250}", ["g=1"], offline=i == 7)
        for i in range(230)
    ]
    agents = client(controller).agents()
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
    agents = Controller(controller.url, creds, Tls(verify=False), Deadline(60)).agents()
    assert sorted(a.id for a in agents) == sorted(f"a{i}" for i in range(150))


def test_wrong_token_is_a_clear_error_without_the_token(controller: FakeController) -> None:
    creds = Credentials(Secret("not-the-token"))
    with pytest.raises(CredentialsError) as raised:
        Controller(controller.url, creds, Tls(verify=False), Deadline(60)).agents()
    assert "login refused (401 invalid_grant: Invalid credentials" in str(raised.value)
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


def test_an_expired_offline_token_is_explained_not_a_bad_request(
    controller: FakeController,
) -> None:
    # Before: "400 Bad Request" (only 401 was explained), exit code 4.
    controller.token_error = INVALID_GRANT
    with pytest.raises(CredentialsError) as raised:
        client(controller).agents()
    message = str(raised.value)
    assert "login refused (400 invalid_grant: Offline user session not found" in message
    assert "fix: the offline token is wrong, expired or revoked" in message
    assert raised.value.exit_code == 7 and controller.offline_token not in message


def test_an_access_token_that_expires_during_a_wait_is_renewed(controller: FakeController) -> None:
    # Before: the first 401 after a good login ended the run as "login refused".
    controller.agents = [agent_json(f"a{i}", f"10.0.0.{i}", ["g=1"]) for i in range(250)]
    controller.expire_after = 2  # the token serves 2 pages, then the third gets a 401
    agents = client(controller).agents()
    assert len(agents) == 250
    logins = [path for _, path, _ in controller.requests if path == TOKEN_PATH]
    assert len(logins) == 2


def test_a_token_refused_again_after_renewal_is_a_credentials_error(
    controller: FakeController,
) -> None:
    controller.agents = [agent_json("a", "10.0.0.1", ["g=1"])]
    controller.expire_after = 0
    with pytest.raises(CredentialsError, match="login refused"):
        client(controller).agents()


def test_a_hung_keycloak_ends_at_the_deadline(controller: FakeController) -> None:
    # Before: the token request had no timeout at all.
    controller.stall[TOKEN_PATH] = 30
    started = time.monotonic()
    with pytest.raises(UnreachableError) as raised:
        client(controller, seconds=1.5).agents()
    assert time.monotonic() - started < 6
    assert raised.value.exit_code == 5


def test_a_stalled_agent_page_is_tried_a_bounded_number_of_times(
    controller: FakeController,
) -> None:
    # Before: about 255 s of hidden retries for one page.
    controller.agents = [agent_json("a", "10.0.0.1", ["g=1"])]
    controller.stall[AGENTS_PATH] = 30
    started = time.monotonic()
    with pytest.raises(UnreachableError, match=r"no answer within the run's deadline|attempt"):
        client(controller, seconds=2.5).agents()
    assert time.monotonic() - started < 8
    pages = [path for _, path, _ in controller.requests if path == AGENTS_PATH]
    assert 1 <= len(pages) <= 3


def test_a_malformed_agent_is_an_internal_error_with_a_message(controller: FakeController) -> None:
    # Before: the client's validation error escaped (exit 1, as "agents not registered").
    controller.agents = [agent_json("a", "10.0.0.1", ["g=1"]), malformed_agent()]
    with pytest.raises(MalformedAnswerError, match="malformed answer") as raised:
        client(controller).agents()
    assert raised.value.exit_code == 10


def test_the_clients_extra_agent_fields_are_read(controller: FakeController) -> None:
    controller.agents = [
        agent_json(
            "a",
            "192.168.0.9",
            ["g=1"],
            mgmtInterface={"Name": "eth0", "IP": [{"IP": "10.0.0.1", "NetMask": 24}]},
            ntpInfo={"status": "synchronized", "servers": ["ntp.example"]},
            requiresUpdating=True,
            configuredProxy="198.51.100.4",
            SessionName="team-b",
        )
    ]
    (agent,) = client(controller).agents()
    assert agent.mgmt_ips == ("10.0.0.1",) and agent.ips == ("192.168.0.9", "10.0.0.1")
    assert (agent.ntp_status, agent.requires_updating, agent.configured_proxy, agent.session) == (
        "synchronized",
        True,
        "198.51.100.4",
        "team-b",
    )


def test_delete_agent_removes_one_registration_and_tells_an_unknown_one(
    controller: FakeController,
) -> None:
    controller.agents = [agent_json("a1", "10.0.0.1", ["g=1"]), agent_json("a2", "10.0.0.2", [])]
    fake = client(controller)
    fake.login()
    assert fake.delete_agent("a1") is True
    assert [a["id"] for a in controller.agents] == ["a2"]
    assert fake.delete_agent("a1") is False  # already gone (404): not an error
    deletes = [path for method, path, _ in controller.requests if method == "DELETE"]
    assert deletes == [f"{AGENTS_PATH}/a1", f"{AGENTS_PATH}/a1"]
