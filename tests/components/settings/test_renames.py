"""Renames and the changes one `up` cannot apply, decided from the configuration and what the
stack holds (components/settings/renames.py)."""

from __future__ import annotations

from typing import Any

import pytest

from components.settings.agent_groups import AgentGroup
from components.settings.loading import parse_settings
from components.settings.problems import Problems, config_key
from components.settings.renames import (
    Deployed,
    DeployedGroup,
    DeployedService,
    claim_problems,
    continued,
    rename_warnings,
)
from tests.support.program import client, config_of, server

SERVICE = "cyperf-agent-service"


def groups(*specs: dict[str, Any]) -> list[AgentGroup]:
    return [AgentGroup.model_validate(spec) for spec in specs]


def node_port_service(name: str, *node_ports: int) -> dict[str, Any]:
    ports = [
        {"name": f"p{port}", "port": 80 + i, "targetPort": 80, "nodePort": port}
        for i, port in enumerate(node_ports)
    ]
    return {"name": name, "type": "NodePort", "ports": ports}


# The east-west example as deployed: a client group and a server group with the default Service.
EAST_WEST = Deployed(
    groups=(DeployedGroup("client", "client"), DeployedGroup("server", "server")),
    services=(DeployedService("server", "cyperf", SERVICE, frozenset()),),
)


def lines(problems: list[Any]) -> dict[str, str]:
    return {config_key(p.path): p.message for p in problems}


def test_renaming_without_previous_names_is_refused_with_both_fixes() -> None:
    renamed = groups(client(), server(name="server-a"))
    [problem] = claim_problems(renamed, "cyperf", EAST_WEST)
    assert config_key(problem.path) == "cyperf-k8s:agentGroups[1].service.name"
    assert problem.value == SERVICE
    assert "held by the Service of group 'server', which this update removes" in problem.message
    assert "declare `previousNames: [server]` on it (one `up`)" in problem.message
    assert (
        "use two `up`s: one that removes group 'server' without giving this Service name to "
        "another group, then this configuration"
    ) in problem.message


def test_renaming_with_the_previous_name_continues_the_service() -> None:
    renamed = groups(client(), server(name="server-a", previousNames=["server"]))
    assert claim_problems(renamed, "cyperf", EAST_WEST) == []
    assert rename_warnings(renamed, EAST_WEST) == []


def test_a_first_up_and_an_unchanged_stack_claim_nothing_held() -> None:
    east_west = groups(client(), server())
    assert claim_problems(east_west, "cyperf", Deployed()) == []
    assert claim_problems(east_west, "cyperf", EAST_WEST) == []
    assert rename_warnings(east_west, Deployed()) == []
    assert rename_warnings(east_west, EAST_WEST) == []


def test_a_fixed_node_port_of_a_removed_group_is_refused_at_its_key() -> None:
    deployed = Deployed(
        groups=(DeployedGroup("web", "server"),),
        services=(DeployedService("web", "cyperf", "web", frozenset({30080, 30443})),),
    )
    added = groups(server(name="dut", service=node_port_service("dut", 30443)))
    [problem] = claim_problems(added, "cyperf", deployed)
    assert config_key(problem.path) == "cyperf-k8s:agentGroups[0].service.ports[0].nodePort"
    assert problem.value == 30443
    assert "node port 30443 is held by the Service of group 'web'" in problem.message
    assert "`previousNames: [web]`" in problem.message
    assert "without giving node port 30443 to another group" in problem.message


def test_a_node_port_moved_between_kept_groups_needs_two_ups() -> None:
    deployed = Deployed(
        groups=(DeployedGroup("a", "server"), DeployedGroup("b", "server")),
        services=(
            DeployedService("a", "cyperf", "svc-a", frozenset({30080})),
            DeployedService("b", "cyperf", "svc-b", frozenset({31000})),
        ),
    )
    moved = groups(
        server(name="a", service=node_port_service("svc-a", 30081)),
        server(name="b", service=node_port_service("svc-b", 30080)),
    )
    [problem] = claim_problems(moved, "cyperf", deployed)
    assert config_key(problem.path) == "cyperf-k8s:agentGroups[1].service.ports[0].nodePort"
    assert "held by the Service of group 'a', which keeps it until this update changes" in (
        problem.message
    )
    assert "Use two `up`s: one that takes node port 30080 off group 'a'" in problem.message
    # A group's own Service keeps what it holds, whatever else changes (its name, its type).
    kept = groups(
        server(name="a", service=node_port_service("svc-a2", 30080)),
        server(name="b", service=node_port_service("svc-b", 31000)),
    )
    assert claim_problems(kept, "cyperf", deployed) == []


def test_swapped_service_names_are_refused_for_both_groups() -> None:
    deployed = Deployed(
        services=(
            DeployedService("a", "cyperf", "svc-a", frozenset()),
            DeployedService("b", "cyperf", "svc-b", frozenset()),
        )
    )
    swapped = groups(
        server(name="a", service={"name": "svc-b"}), server(name="b", service={"name": "svc-a"})
    )
    assert sorted(lines(claim_problems(swapped, "cyperf", deployed))) == [
        "cyperf-k8s:agentGroups[0].service.name",
        "cyperf-k8s:agentGroups[1].service.name",
    ]


def test_a_renamed_holder_is_named_with_its_new_name() -> None:
    deployed = Deployed(services=(DeployedService("server", "cyperf", SERVICE, frozenset()),))
    config = groups(
        server(name="server-a", previousNames=["server"], service={"name": "other"}),
        server(name="server-b"),
    )
    [problem] = claim_problems(config, "cyperf", deployed)
    assert config_key(problem.path) == "cyperf-k8s:agentGroups[1].service.name"
    assert "group 'server' (renamed 'server-a')" in problem.message
    assert "previousNames" not in problem.message


def test_service_names_are_claimed_per_namespace_and_node_ports_cluster_wide() -> None:
    deployed = Deployed(services=(DeployedService("web", "old", "svc", frozenset({30080})),))
    same_name_elsewhere = groups(server(name="dut", service={"name": "svc"}))
    assert claim_problems(same_name_elsewhere, "new", deployed) == []
    same_port_elsewhere = groups(server(name="dut", service=node_port_service("x", 30080)))
    assert len(claim_problems(same_port_elsewhere, "new", deployed)) == 1


def test_a_group_without_a_service_claims_nothing_and_continues_no_service() -> None:
    # `server` became headless under a new name: its old Service goes, and another group that
    # takes its name would be created before it is deleted.
    config = groups(
        server(name="server-a", previousNames=["server"], service=None),
        server(name="dut"),
    )
    [problem] = claim_problems(config, "cyperf", EAST_WEST)
    assert config_key(problem.path) == "cyperf-k8s:agentGroups[1].service.name"
    # The old name is taken: the fix is two `up`s, not declaring it a second time.
    assert "group 'server' (renamed 'server-a')" in problem.message
    assert "previousNames" not in problem.message


def test_the_engine_continues_the_own_name_before_a_previous_name() -> None:
    [group] = groups(server(name="b", previousNames=["a", "z"]))
    assert continued(group, {"a", "b"}) == "b"
    assert continued(group, {"z", "a"}) == "a"
    assert continued(group, {"q"}) is None


def test_a_new_group_of_the_role_of_a_leaving_one_warns_of_free_nodes() -> None:
    renamed = groups(client(name="client-a"), server())
    [warning] = rename_warnings(renamed, EAST_WEST)
    text = str(warning)
    assert text.startswith("cyperf-k8s:agentGroups[0].name: group 'client-a' is new and client ")
    assert "group 'client' leaves the stack" in text
    assert "they need free nodes, or `up` fails after rolloutTimeoutSeconds" in text
    assert "declare `previousNames: [client]` on it" in text
    assert "remove 'client' in one `up` and add 'client-a' in the next" in text
    # A group of another role, or one added while nothing leaves, is no rename.
    assert rename_warnings(groups(client(), server(), server(name="more")), EAST_WEST) == []
    assert rename_warnings(groups(server()), EAST_WEST) == []


@pytest.mark.parametrize(
    ("agent_groups", "key", "fragment"),
    [
        (
            [server(previousNames=["server"])],
            "agentGroups[0].previousNames",
            "'server' is the name of a group of this configuration",
        ),
        (
            [client(), server(name="server-a", previousNames=["client"])],
            "agentGroups[1].previousNames",
            "'client' is the name of a group of this configuration",
        ),
        (
            [client(previousNames=["old"]), server(previousNames=["old"])],
            "agentGroups",
            "'old' is in the previousNames of more than one group",
        ),
        (
            [server(previousNames=["Server_1"])],
            "agentGroups[0].previousNames[0]",
            "must be a Kubernetes DNS label",
        ),
    ],
)
def test_previous_names_name_only_names_no_other_group_has(
    agent_groups: list[dict[str, Any]], key: str, fragment: str
) -> None:
    with pytest.raises(Problems) as err:
        parse_settings(config_of(agentGroups=agent_groups))
    line = next(line for line in err.value.lines if line.startswith(f"cyperf-k8s:{key}:"))
    assert fragment in line
