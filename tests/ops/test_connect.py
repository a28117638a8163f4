"""The shared controller options, connection and poll, against the fakes on 127.0.0.1."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import pytest

from ops.connect import add_controller_options, check_controller_options, connect, poll
from ops.errors import UsageError
from ops.kube import core_api
from tests.ops.conftest import CLIENT_TAGS, SERVER_TAGS, make_stack
from tests.ops.fake_controller import FakeController, agent_json
from tests.ops.fake_kube import FakeKube, pod_json


def options(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_controller_options(parser)
    return parser.parse_args(list(argv))


def test_a_missing_ca_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--ca-cert: no such file"):
        check_controller_options(options("--ca-cert", str(tmp_path / "none.pem")))
    check_controller_options(options("--insecure-skip-tls-verify"))


def test_connect_logs_in_and_poll_matches_the_stacks_pods(
    kube: FakeKube, controller: FakeController, monkeypatch: pytest.MonkeyPatch
) -> None:
    kube.pods = [
        pod_json("client-1", "client", "10.244.0.1", "n1"),
        pod_json("server-1", "server", "10.244.0.3", "n2", tags=SERVER_TAGS),
    ]
    controller.agents = [agent_json("c1", "10.244.0.1", CLIENT_TAGS.split(","))]
    monkeypatch.setenv("CYPERF_OFFLINE_TOKEN", controller.offline_token)
    stack = make_stack(kube.url)
    args = options("--controller", controller.url, "--ca-cert", str(controller.cert_file))
    said: list[str] = []
    client = connect(args, stack, 5, said.append)
    assert said == [f"controller {controller.url}, credentials from CYPERF_OFFLINE_TOKEN"]
    assert 30 < client.deadline.remaining() <= 35  # --wait 5 plus the last check's 30 s
    report = poll(core_api(stack), client, stack, [])
    assert [m.state for m in report.pods] == ["registered", "missing"]
    assert [m.pod.name for m in report.pods] == ["client-1", "server-1"]


def test_connect_refuses_a_proxy_and_a_stack_without_an_address(kube: FakeKube) -> None:
    proxy = make_stack(kube.url, **{"cyperf-k8s:controllerIsProxy": ("true", False)})
    with pytest.raises(UsageError, match="Controller Proxy"):
        connect(options(), proxy, 0, lambda _: None)
    bare = dataclasses.replace(make_stack(kube.url), controller_address=None)
    with pytest.raises(UsageError, match="sets no cyperf-k8s:controllerAddress"):
        connect(options(), bare, 0, lambda _: None)
