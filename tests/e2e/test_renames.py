"""Renaming a group and moving what a Service holds, on the rig with as many agents as labelled
nodes: a rename with `previousNames` takes one `up`; without it, and a node port moved between
groups, are refused at preview with nothing changed and go through in two `up`s; a failed rename
does not stick."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from tests.e2e.conftest import CLIENT_NODES, NAMESPACE, SERVER_NODES, Rig, stack_of
from tests.e2e.test_stacks import (
    example_config,
    ip_key,
    nothing_of_the_stack_left,
    preview_steps,
    ready_ips,
)

pytestmark = pytest.mark.e2e

SERVICE = "cyperf-agent-service"


def east_west() -> dict[str, Any]:
    config = example_config("east-west")
    groups = config["cyperf-k8s:agentGroups"]
    # As many agents as labelled nodes: nothing can start before the old agents go.
    groups[0]["replicas"] = len(CLIENT_NODES)
    groups[1]["replicas"] = len(SERVER_NODES)
    config["cyperf-k8s:rolloutTimeoutSeconds"] = 60
    return config


def configure(rig: Rig, stack: str, groups: list[dict[str, Any]], **keys: Any) -> None:
    """Set the stack's `agentGroups` (and other keys) in its stack file, as a user edits it."""
    path = rig.project / "stacks" / f"Pulumi.{stack}.yaml"
    document = yaml.safe_load(path.read_text())
    document["config"]["cyperf-k8s:agentGroups"] = groups
    document["config"].update({f"cyperf-k8s:{key}": value for key, value in keys.items()})
    path.write_text(yaml.safe_dump(document))


def objects(rig: Rig) -> dict[tuple[str, str], str]:
    """(kind, name) -> uid of every Deployment, Service and pod in the agents' namespace."""
    items = rig.kubectl_json("get", "deployments,services,pods", "-n", NAMESPACE)["items"]
    return {(i["kind"], i["metadata"]["name"]): i["metadata"]["uid"] for i in items}


def live_pods(rig: Rig, selector: str) -> list[dict[str, Any]]:
    return [p for p in rig.pods(selector) if not p["metadata"].get("deletionTimestamp")]


def refused(rig: Rig, stack: str, key: str, *fragments: str) -> None:
    """`preview` and `up` both stop at the program's check, and nothing in the cluster moves."""
    before = objects(rig)
    for command in (("preview",), ("up", "--yes", "--skip-preview")):
        result = rig.pulumi(*command, stack=stack, check=False)
        assert result.returncode != 0, result.text[-3000:]
        [line] = [line for line in result.text.splitlines() if f"cyperf-k8s:{key}:" in line]
        for fragment in fragments:
            assert fragment in line, line
    assert objects(rig) == before


def urns(rig: Rig, stack: str) -> list[str]:
    state = json.loads(rig.pulumi("stack", "export", stack=stack).stdout)
    return [r["urn"] for r in state["deployment"]["resources"]]


def servers_follow(rig: Rig, stack: str, group: str) -> dict[str, Any]:
    """All server agents up, one per server node, in `group`, and the outputs list them."""
    pods = live_pods(rig, f"cyperf-k8s/agent-group={group}")
    assert len(ready_ips(pods)) == len(SERVER_NODES)
    assert {p["spec"]["nodeName"] for p in pods} == SERVER_NODES
    outputs = rig.outputs(stack)
    assert sorted(outputs["serverPodIps"][group], key=ip_key) == sorted(ready_ips(pods), key=ip_key)
    assert outputs["serverServices"][group]["name"] == SERVICE
    service = rig.kubectl_json("get", "service", SERVICE, "-n", NAMESPACE)
    assert service["spec"]["selector"]["cyperf-k8s/agent-group"] == group
    return outputs


def test_a_rename_takes_one_up_with_previous_names_and_two_without(rig: Rig) -> None:
    config = east_west()
    with stack_of(rig, "renames", config) as stack:
        rig.up(stack)
        servers_follow(rig, stack, "server")
        groups = config["cyperf-k8s:agentGroups"]

        # The server group renamed, its Service keeps its name: refused, nothing changes.
        groups[1]["name"] = "server-a"
        configure(rig, stack, groups)
        refused(
            rig,
            stack,
            "agentGroups[1].service.name",
            "held by the Service of group 'server', which this update removes",
            "declare `previousNames: [server]` on it (one `up`)",
            "otherwise use two `up`s: one that removes group 'server'",
            "(got 'cyperf-agent-service')",
        )

        # With the previous name: one `up`; the Deployment is replaced old-first, the Service
        # updated in place; no spare node, the same number of agents, the clients untouched.
        groups[1]["previousNames"] = ["server"]
        configure(rig, stack, groups)
        planned = {
            (s["op"], s["urn"].rsplit("::", 1)[-1])
            for s in preview_steps(rig, stack)
            if ":Deployment::" in s["urn"] or ":Service::" in s["urn"]
        }
        print(f"renames: planned {sorted(planned)}")
        assert ("update", "agents-server-a-service") in planned, planned
        assert ("replace", "agents-server-a") in planned, planned
        assert not {step for step in planned if step[0] in ("create", "delete")}, planned
        service_uid = objects(rig)[("Service", SERVICE)]
        clients = {p["metadata"]["uid"] for p in live_pods(rig, "run=cyperf-agent-client")}
        up = rig.up(stack)
        print(f"renames: the one-up rename took {up.seconds:.1f}s")
        outputs = servers_follow(rig, stack, "server-a")
        assert set(outputs["agentTags"]) == {"client", "server-a"}
        assert set(outputs["serverServices"]) == {"server-a"}
        now = objects(rig)
        assert now[("Service", SERVICE)] == service_uid
        assert sorted(name for kind, name in now if kind == "Deployment") == [
            "cyperf-agent-client-deployment",
            "cyperf-agent-server-a-deployment",
        ]
        assert {p["metadata"]["uid"] for p in live_pods(rig, "run=cyperf-agent-client")} == clients
        names = [urn.rsplit("::", 1)[-1] for urn in urns(rig, stack)]
        assert "agents-server-a" in names and "agents-server-a-service" in names
        assert "agents-server" not in names and "agents-server-service" not in names
        rig.pulumi("preview", "--expect-no-changes", stack=stack)
        # Once renamed, the previous name has done its work: dropping it changes nothing.
        del groups[1]["previousNames"]
        configure(rig, stack, groups)
        rig.pulumi("preview", "--expect-no-changes", stack=stack)

        # The next rename in two `up`s: the servers go, then come back under the new name.
        groups[1]["name"] = "server-b"
        configure(rig, stack, groups[:1])
        rig.up(stack)
        assert live_pods(rig, "run=cyperf-agent-server") == []
        configure(rig, stack, groups)
        rig.up(stack)
        outputs = servers_follow(rig, stack, "server-b")
        assert set(outputs["agentTags"]) == {"client", "server-b"}
        rig.pulumi("preview", "--expect-no-changes", stack=stack)

        rig.remove_stack(stack)
        nothing_of_the_stack_left(rig)


def test_a_failed_rename_does_not_stick(rig: Rig) -> None:
    config = east_west()
    config["cyperf-k8s:rolloutTimeoutSeconds"] = 30
    with stack_of(rig, "rename-fails", config) as stack:
        rig.up(stack)
        groups = config["cyperf-k8s:agentGroups"]
        # A rename whose new agents find no node: `up` fails after the rollout timeout, with
        # the old agents already deleted.
        groups[1].update(
            name="server-a", previousNames=["server"], nodeSelector={"agenttype": "nowhere"}
        )
        configure(rig, stack, groups)
        failed = rig.up(stack, check=False)
        assert failed.returncode != 0, failed.text[-3000:]
        assert "agents-server-a **creating failed**" in failed.text, failed.text[-3000:]
        # The corrected configuration goes through in the next `up`.
        del groups[1]["nodeSelector"]
        configure(rig, stack, groups)
        rig.up(stack)
        servers_follow(rig, stack, "server-a")
        rig.pulumi("preview", "--expect-no-changes", stack=stack)
        rig.remove_stack(stack)
        nothing_of_the_stack_left(rig)


def test_a_fixed_node_port_moves_between_groups_in_two_ups(rig: Rig) -> None:
    def server(name: str, replicas: int, *node_ports: int) -> dict[str, Any]:
        ports = [
            {"name": f"p{port}", "port": 8000 + i, "targetPort": 80, "nodePort": port}
            for i, port in enumerate(node_ports)
        ]
        return {
            "name": name,
            "role": "server",
            "replicas": replicas,
            "service": {"name": f"{name}-svc", "type": "NodePort", "ports": ports},
        }

    def node_ports(rig: Rig) -> dict[str, set[int]]:
        services = rig.kubectl_json("get", "services", "-n", NAMESPACE)["items"]
        return {
            s["metadata"]["name"]: {p["nodePort"] for p in s["spec"]["ports"]} for s in services
        }

    # Two server groups on the three server nodes, one agent per node.
    config = {
        "cyperf-k8s:controllerAddress": "192.0.2.10",
        "cyperf-k8s:rolloutTimeoutSeconds": 60,
        "cyperf-k8s:agentGroups": [server("web", 2, 30080, 30443), server("dut", 1, 30081)],
    }
    with stack_of(rig, "node-ports", config) as stack:
        rig.up(stack)
        assert node_ports(rig) == {"web-svc": {30080, 30443}, "dut-svc": {30081}}
        configure(rig, stack, [server("web", 2, 30082, 30443), server("dut", 1, 30080)])
        refused(
            rig,
            stack,
            "agentGroups[1].service.ports[0].nodePort",
            "node port 30080 is held by the Service of group 'web', which keeps it",
            "Use two `up`s: one that takes node port 30080 off group 'web'",
            "(got 30080)",
        )
        # First take it off `web`, then give it to `dut`.
        configure(rig, stack, [server("web", 2, 30082, 30443), server("dut", 1, 30081)])
        rig.up(stack)
        configure(rig, stack, [server("web", 2, 30082, 30443), server("dut", 1, 30080)])
        rig.up(stack)
        assert node_ports(rig) == {"web-svc": {30082, 30443}, "dut-svc": {30080}}
        assert rig.outputs(stack)["serverServices"]["dut"]["ports"][0]["nodePort"] == 30080
        rig.pulumi("preview", "--expect-no-changes", stack=stack)
        rig.remove_stack(stack)
        nothing_of_the_stack_left(rig)
