"""`ops prune`: which registrations are stale (pure), and the command against the fake controller:
a dry run deletes nothing, `--yes` deletes exactly the stale ones through the client's delete
call, and an empty namespace is refused."""

from __future__ import annotations

import io
import json

import pytest

import ops.stack
from ops.cli import main
from ops.pods import agent_pod
from ops.prune import plan
from ops.verify import ControllerAgent, stack_tag
from tests.ops.conftest import CLIENT_TAGS, SERVER_TAGS, make_stack
from tests.ops.fake_controller import FakeController, agent_json
from tests.ops.fake_kube import FakeKube, pod_json

STACK = "east-west"
CLIENT = [*CLIENT_TAGS.split(","), stack_tag(STACK, "client")]
SERVER = [*SERVER_TAGS.split(","), stack_tag(STACK, "server")]


def agent(
    agent_id: str, ip: str, tags: list[str], offline: bool = True, host: str = ""
) -> ControllerAgent:
    return ControllerAgent(agent_id, ip, tuple(tags), offline, None, host or agent_id)


def test_stale_means_offline_with_the_stacks_tag_and_no_pod() -> None:
    pods = [agent_pod(pod_json("client-1", "client", "10.0.0.1", "n1"))]
    agents = [
        agent("live", "10.0.0.1", CLIENT, offline=False),
        agent("stale-client", "10.0.0.9", CLIENT),
        agent("stale-server", "10.0.1.9/24", SERVER),
        agent("nat", "192.0.2.7", CLIENT, host="client-1"),  # its hostname is a pod of the stack
        agent("same-ip-old", "10.0.0.1", CLIENT),  # the pod's IP: a live pod's address
        agent("running", "10.0.0.8", CLIENT, offline=False),
        agent("other-stack", "10.0.0.7", [*CLIENT_TAGS.split(","), stack_tag("lab", "client")]),
        agent("default-tags-only", "10.0.0.6", CLIENT_TAGS.split(",")),
    ]
    found = plan(pods, agents, STACK, ["client", "server"])
    assert [a.id for a in found.stale] == ["stale-client", "stale-server"]
    assert [(a.id, why.split(":")[0]) for a, why in found.kept] == [("running", "online")]
    assert [a.id for a in plan(pods, agents, STACK, ["client"]).stale] == ["stale-client"]


@pytest.fixture
def deployed(kube: FakeKube, controller: FakeController, monkeypatch: pytest.MonkeyPatch) -> None:
    kube.pods = [
        pod_json("client-1", "client", "10.244.0.1", "node-c1"),
        pod_json("server-1", "server", "10.244.0.3", "node-s1", tags=SERVER_TAGS),
    ]
    stack = make_stack(kube.url)
    monkeypatch.setattr(ops.stack, "read_stack", lambda name, project_dir: stack)
    monkeypatch.setenv("CYPERF_OFFLINE_TOKEN", controller.offline_token)
    controller.agents = [
        agent_json("c1", "10.244.0.1", CLIENT),
        agent_json("s1", "10.244.0.3", SERVER),
        agent_json("gone-1", "10.244.0.7", CLIENT, offline=True),
        agent_json("gone-2", "10.244.0.8", SERVER, offline=True),
        agent_json("busy", "10.244.0.9", CLIENT),
        agent_json("lab", "10.244.0.6", [stack_tag("lab", "client")], offline=True),
    ]


def run(
    controller: FakeController, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, str, str]:
    assert controller.cert_file is not None
    stdout = io.StringIO()
    argv = ["prune", "--stack", STACK, "--controller", controller.url.removeprefix("https://")]
    code = main([*argv, "--ca-cert", str(controller.cert_file), *extra], stdout=stdout)
    return code, stdout.getvalue(), capsys.readouterr().err


def ids(controller: FakeController) -> list[str]:
    return sorted(a["id"] for a in controller.agents)


def deletes(controller: FakeController) -> list[str]:
    return [path for method, path, _ in controller.requests if method == "DELETE"]


@pytest.mark.usefixtures("deployed")
def test_prune_is_a_dry_run_by_default(
    controller: FakeController, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(controller, capsys)
    assert code == 0
    assert out.splitlines()[0] == "2 stale registrations; would remove (dry run; --yes removes)"
    assert "  kept busy at 10.244.0.9 (busy): online" in out
    assert deletes(controller) == [] and len(controller.agents) == 6


@pytest.mark.usefixtures("deployed")
def test_prune_yes_deletes_exactly_the_stale_ones(
    controller: FakeController, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(controller, capsys, "--yes", "--json")
    assert code == 0
    document = json.loads(out)
    assert document["dryRun"] is False and document["removed"] == ["gone-1", "gone-2"]
    assert deletes(controller) == ["/api/v2/agents/gone-1", "/api/v2/agents/gone-2"]
    assert ids(controller) == ["busy", "c1", "lab", "s1"]
    code, out, _ = run(controller, capsys, "--yes")
    assert code == 0 and out.splitlines()[0].startswith("0 stale registrations")


@pytest.mark.usefixtures("deployed")
def test_prune_reports_a_failed_delete_and_exits_1(
    controller: FakeController, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = controller.delete_response

    def refuse_one(authorization: str | None, agent_id: str) -> tuple[int, object]:
        if agent_id == "gone-2":
            return 409, {"message": "agent is reserved"}
        return real(authorization, agent_id)

    monkeypatch.setattr(controller, "delete_response", refuse_one)
    code, out, _ = run(controller, capsys, "--yes")
    assert code == 1
    assert "  gone-1 at 10.244.0.7 (gone-1): removed" in out
    assert "  gone-2 at 10.244.0.8 (gone-2): failed, 409" in out


@pytest.mark.usefixtures("deployed")
def test_prune_refuses_an_empty_namespace(
    kube: FakeKube, controller: FakeController, capsys: pytest.CaptureFixture[str]
) -> None:
    kube.pods = []
    code, _, err = run(controller, capsys, "--yes")
    assert code == 4 and "no agent pods in namespace cyperf: refusing to prune" in err
    assert deletes(controller) == [] and len(controller.agents) == 6
