"""The session client against the fake controller: requests the fake accepts, and each failure
(a refused body, a failed operation, a missing config, a test that never ends) as a RunFailed."""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from ops.controller import Controller, Deadline, Tls
from ops.credentials import Credentials
from ops.errors import CannotRunError
from ops.run import session as session_module
from ops.run.session import RunFailed, Session, api_client, follow
from ops.stack import Secret
from tests.ops.fake_controller import FakeController
from tests.ops.fake_sessions import BUNDLE, FakeSessions


@pytest.fixture
def client(controller: FakeController, monkeypatch: pytest.MonkeyPatch) -> Session:
    stats = {"client-throughput": (["Throughput"], [[1.0], [2.0]])}
    controller.routes = FakeSessions(stats=stats, controller=controller)
    monkeypatch.setattr(session_module, "POLL", 0.0)
    assert controller.cert_file is not None
    ctl = Controller(
        controller.url,
        Credentials(Secret(controller.offline_token), source="test"),
        Tls(ca_cert=str(controller.cert_file)),
        Deadline(60),
    )
    ctl.login()
    return Session(api_client(ctl), controller.url)


def fake(controller: FakeController) -> FakeSessions:
    assert isinstance(controller.routes, FakeSessions)
    return controller.routes


def test_a_whole_session(client: Session, controller: FakeController, tmp_path: Path) -> None:
    assert client.create(client.config_url(None, "HTTP throughput")) == "session-1"
    assert client.config()["Config"]["NetworkProfiles"][0]["id"] == "1"
    client.patch("NetworkProfiles/1/IPNetworkSegment/1", {"agentAssignments": {"ByTag": ["a=b"]}})
    client.start()
    info = follow(client, bound=60, report=lambda _: None, interval=0)
    assert (info.status, info.test_elapsed, info.test_id) == ("STOPPED", 30, "result-session-1")
    stats = client.stats(info.test_id, ["client-throughput", "not-there"])
    assert list(stats) == ["client-throughput"] and stats["client-throughput"].columns == [
        "Throughput"
    ]
    assert client.bundle(info.test_id, tmp_path / "out").read_bytes() == BUNDLE
    client.delete()
    assert fake(controller).deleted == ["session-1"] and fake(controller).refused == []


def test_a_body_the_client_models_refuse_fails_the_run(
    client: Session, controller: FakeController
) -> None:
    client.create("appsec-1")
    with pytest.raises(RunFailed, match="answered 422"):
        client.patch("NetworkProfiles/1/IPNetworkSegment/1", {"agentAssignment": {"ByTag": []}})
    assert fake(controller).refused == [
        "PATCH /api/v2/sessions/session-1/config/config/NetworkProfiles/1/IPNetworkSegment/1: "
        "IPNetwork: unknown field 'agentAssignment'"
    ]
    with pytest.raises(RunFailed):
        client.patch("NetworkProfiles/1/DUTNetworkSegment/1", {"ServerDUTHost": "single-label"})


def test_a_config_not_on_the_controller_is_not_run(client: Session) -> None:
    with pytest.raises(RunFailed, match="config 'Other': not on the controller"):
        client.config_url(None, "Other")
    assert issubclass(RunFailed, CannotRunError) and RunFailed.exit_code == 9


def test_a_failed_operation_and_a_test_that_never_ends(
    client: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    client.create("appsec-1")
    answers: list[Any] = [{"id": 1, "state": "ERROR", "message": "no licence"}]
    monkeypatch.setattr(client, "call", lambda *a, **k: (202, answers.pop(0), {}))
    with pytest.raises(RunFailed, match="no licence"):
        client.start()
    monkeypatch.undo()
    monkeypatch.setattr(session_module, "POLL", 0.0)
    client.start()
    with pytest.raises(RunFailed, match="did not end within 0s"):
        follow(client, bound=0, report=lambda _: None, interval=0)


def test_requests_without_the_controllers_token_are_refused(controller: FakeController) -> None:
    assert controller.cert_file is not None
    context = ssl.create_default_context(cafile=str(controller.cert_file))
    controller.routes = FakeSessions(controller=controller)
    request = urllib.request.Request(
        f"{controller.url}/api/v2/sessions", headers={"Authorization": "Bearer made-up"}
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, context=context)
    assert caught.value.code == 401
