"""`python -m ops` end to end in-process: exit codes, --json on stdout, progress on stderr, and
no secret in any output. The stack read is replaced by a StackInfo pointing at the fakes."""

from __future__ import annotations

import dataclasses
import io
import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import ops.stack
from ops.cli import main
from tests.ops.conftest import CLIENT_TAGS, SERVER_TAGS, make_stack
from tests.ops.fake_controller import INVALID_GRANT, FakeController, agent_json, malformed_agent
from tests.ops.fake_kube import FakeKube, LogSource, pod_json

SECRETS = ("kube-token-for-tests", "offline-token-for-tests")


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    stdout = io.StringIO()
    code = main(argv, stdout=stdout)
    err = capsys.readouterr().err
    for text in (stdout.getvalue(), err):
        assert not any(secret in text for secret in SECRETS)
    return code, stdout.getvalue(), err


def log_of(pod: str) -> LogSource:
    return lambda: iter([f"log of {pod}\n".encode()])


@pytest.fixture
def deployed(kube: FakeKube, monkeypatch: pytest.MonkeyPatch) -> FakeKube:
    kube.pods = [
        pod_json(f"client-{i}", "client", f"10.244.0.{i}", f"node-c{i}") for i in (1, 2)
    ] + [
        pod_json(
            "server-1",
            "server",
            "10.244.0.3",
            "node-s1",
            containers=("cyperf-agent-server",),
            tags=SERVER_TAGS,
        )
    ]
    kube.logs = {
        (p["metadata"]["name"], p["spec"]["containers"][0]["name"], False): log_of(
            p["metadata"]["name"]
        )
        for p in kube.pods
    }
    stack = make_stack(kube.url)
    monkeypatch.setattr(ops.stack, "read_stack", lambda name, project_dir: stack)
    return kube


def test_logs_json_and_progress(
    deployed: FakeKube, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        ["logs", "--stack", "east-west", "--output-dir", str(tmp_path), "--json"], capsys
    )
    assert code == 0
    result = json.loads(out)
    assert (result["pods"], result["logs"], result["failed"]) == (3, 3, [])
    assert Path(result["bundle"]).is_file() and result["bytes"] > 0
    assert "reading stack east-west" in err and "3 agent pods in namespace cyperf" in err


def test_logs_with_a_failed_item_exits_3(
    deployed: FakeKube, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    del deployed.logs[("client-1", "cyperf-agent-client", False)]
    code, out, _ = run(["logs", "--stack", "east-west", "--output-dir", str(tmp_path)], capsys)
    assert code == 3
    assert "not collected: pods/client-1/cyperf-agent-client.log: 400" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["logs", "--stack", "s", "--group", "nope"], "--group: one of the stack's agent groups"),
        (["logs", "--stack", "s", "--since", "1d"], "--since: a positive duration"),
        (["logs", "--stack", "s", "--concurrency", "0"], "--concurrency: 1 to 16 (got 0)"),
        (["verify", "--stack", "s", "--wait", "-1"], "--wait >= 0 and --interval > 0"),
        (["verify", "--stack", "s", "--ca-cert", "missing.pem"], "--ca-cert: no such file"),
        (
            ["verify", "--stack", "s", "--ca-cert", "x", "--insecure-skip-tls-verify"],
            "not allowed with argument",
        ),
    ],
)
def test_usage_errors_exit_2(
    deployed: FakeKube,
    argv: list[str],
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CYPERF_OFFLINE_TOKEN", raising=False)
    monkeypatch.delenv("CYPERF_USERNAME", raising=False)
    monkeypatch.delenv("CYPERF_PASSWORD", raising=False)
    monkeypatch.chdir(tmp_path)
    code, _, err = run(argv, capsys)
    assert code == 2
    assert message in err


def test_unreachable_cluster_exits_4(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = make_stack("http://127.0.0.1:9")  # discard port: nothing listens
    monkeypatch.setattr(ops.stack, "read_stack", lambda name, project_dir: stack)
    code, _, err = run(["logs", "--stack", "east-west", "--output-dir", str(tmp_path)], capsys)
    assert code == 4
    assert "error: cannot reach the cluster's API server" in err


def verify_argv(controller: FakeController, *extra: str) -> list[str]:
    assert controller.cert_file is not None
    host = controller.url.removeprefix("https://")
    return [
        "verify",
        "--stack",
        "east-west",
        "--controller",
        host,
        "--ca-cert",
        str(controller.cert_file),
        "--json",
        *extra,
    ]


def test_verify_reports_the_missing_agent_and_exits_1(
    deployed: FakeKube,
    controller: FakeController,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CYPERF_OFFLINE_TOKEN", controller.offline_token)
    controller.agents = [
        agent_json("c1", "10.244.0.1", CLIENT_TAGS.split(",")),
        agent_json("s1", "10.244.0.3", SERVER_TAGS.split(",")),
    ]
    code, out, err = run(verify_argv(controller, "--wait", "0"), capsys)
    assert code == 1
    report: dict[str, Any] = json.loads(out)
    assert report["ok"] is False and report["controller"] == controller.url
    client = report["groups"]["client"]
    assert [r["pod"] for r in client["registered"]] == ["client-1"]
    assert [(r["pod"], r["reason"]) for r in client["missing"]] == [
        ("client-2", "no agent with management IP 10.244.0.2 or hostname client-2")
    ]
    assert [r["pod"] for r in report["groups"]["server"]["registered"]] == ["server-1"]
    assert "credentials from CYPERF_OFFLINE_TOKEN" in err


def test_verify_waits_for_agents_still_starting(
    deployed: FakeKube,
    controller: FakeController,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CYPERF_OFFLINE_TOKEN", controller.offline_token)
    controller.agents = [agent_json("s1", "10.244.0.3", SERVER_TAGS.split(","))]
    late = [agent_json(f"c{i}", f"10.244.0.{i}", CLIENT_TAGS.split(",")) for i in (1, 2)]
    timer = threading.Timer(1.0, lambda: controller.agents.extend(late))
    timer.start()
    try:
        code, out, err = run(verify_argv(controller, "--wait", "30", "--interval", "0.3"), capsys)
    finally:
        timer.cancel()
    assert code == 0
    assert json.loads(out)["ok"] is True
    assert "2 of 3 agent pods not registered yet; checking again" in err


def test_verify_refuses_a_proxy_address_and_an_untrusted_certificate(
    deployed: FakeKube,
    controller: FakeController,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CYPERF_OFFLINE_TOKEN", controller.offline_token)
    proxy_stack = make_stack(deployed.url, **{"cyperf-k8s:controllerIsProxy": ("true", False)})
    monkeypatch.setattr(ops.stack, "read_stack", lambda name, project_dir: proxy_stack)
    code, _, err = run(["verify", "--stack", "east-west"], capsys)
    assert code == 2 and "Controller Proxy; give the controller's own address" in err
    host = controller.url.removeprefix("https://")
    code, _, err = run(["verify", "--stack", "east-west", "--controller", host], capsys)
    assert code == 6 and "TLS certificate not trusted" in err


def test_missing_credentials_exit_7_and_say_where_they_come_from(
    deployed: FakeKube, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("CYPERF_OFFLINE_TOKEN", "CYPERF_USERNAME", "CYPERF_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    code, _, err = run(["verify", "--stack", "east-west"], capsys)
    assert code == 7 and "no controller credentials: set CYPERF_OFFLINE_TOKEN" in err


def test_an_expired_token_exits_7_and_a_malformed_answer_10(
    deployed: FakeKube,
    controller: FakeController,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CYPERF_OFFLINE_TOKEN", controller.offline_token)
    controller.token_error = INVALID_GRANT
    code, _, err = run(verify_argv(controller, "--wait", "0"), capsys)
    assert code == 7 and "400 invalid_grant" in err and "Offline Tokens" in err
    controller.token_error = None
    controller.agents = [malformed_agent()]
    code, _, err = run(verify_argv(controller, "--wait", "0"), capsys)
    assert code == 10 and "malformed answer" in err


def test_an_empty_namespace_fails_and_names_the_cluster_it_read(
    kube: FakeKube,
    controller: FakeController,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # Before: `0/0 registered`, exit 0 (the ambient context pointed at another cluster).
    setup = {"agentAssignment": {"client": {"replicas": 2}, "server": {"replicas": 1}}}
    stack = make_stack(kube.url)
    stack = dataclasses.replace(stack, replicas=ops.stack.deployed_replicas(setup, None))
    monkeypatch.setattr(ops.stack, "read_stack", lambda name, project_dir: stack)
    monkeypatch.setenv("CYPERF_OFFLINE_TOKEN", controller.offline_token)
    code, out, err = run(verify_argv(controller, "--wait", "0"), capsys)
    assert code == 1
    report = json.loads(out)
    assert report["cluster"] == f"{kube.url} (context fake of the stack's kubeconfig)"
    assert report["groups"]["client"]["short"] == 2
    assert f"cluster {kube.url} (context fake" in err
    code, out, _ = run(["logs", "--stack", "east-west", "--output-dir", str(tmp_path)], capsys)
    assert code == 3
    assert "not collected: pods of group client: 0 of the 2 the stack deployed" in out


def test_verify_stops_waiting_when_nothing_left_can_change(
    deployed: FakeKube,
    controller: FakeController,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every agent there, one mistagged: waiting 60 s would change nothing.
    monkeypatch.setenv("CYPERF_OFFLINE_TOKEN", controller.offline_token)
    controller.agents = [
        agent_json("c1", "10.244.0.1", CLIENT_TAGS.split(",")),
        agent_json("c2", "10.244.0.2", ["K8s-Group=elsewhere"]),
        agent_json("s1", "10.244.0.3", SERVER_TAGS.split(",")),
    ]
    started = time.monotonic()
    code, out, _ = run(verify_argv(controller, "--wait", "60", "--interval", "0.2"), capsys)
    assert code == 1 and time.monotonic() - started < 20
    (entry,) = json.loads(out)["groups"]["client"]["mistagged"]
    assert entry["actualTags"] == ["K8s-Group=elsewhere"]


@pytest.mark.parametrize("command", ["logs", "verify"])
def test_every_commands_help_says_where_credentials_come_from_and_lists_exit_codes(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        main([command, "--help"], stdout=io.StringIO())
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert "CYPERF_OFFLINE_TOKEN" in text and "cyperf-ops:controllerOfflineToken" in text
    assert "KUBECONFIG" in text
    assert "10   internal error" in text and "7    controller credentials" in text


def test_the_stack_defaults_to_the_selected_one(
    deployed: FakeKube,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ops.stack, "selected_stack", lambda project_dir: "east-west")
    code, _, err = run(["logs", "--output-dir", str(tmp_path)], capsys)
    assert code == 0 and "reading stack east-west (the selected stack)" in err
