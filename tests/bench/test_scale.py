"""The pure helpers of part 5 (bench/scale.py); the part itself runs only in the benchmark."""

from __future__ import annotations

from typing import Any

import pytest

from bench.scale import (
    POLL_WAIT,
    POLL_WAIT_PER_AGENT,
    controller_agents,
    growth,
    per_added,
    poll_seconds,
    poll_wait,
    rig_nodes,
    scaled_config,
)


def test_rig_nodes_split_between_client_and_server_nodes() -> None:
    assert rig_nodes(1000) == {
        "CYPERF_RIG_CLIENT_NODES": "500",
        "CYPERF_RIG_SERVER_NODES": "500",
        "CYPERF_RIG_PLAIN_NODES": "0",
    }
    assert rig_nodes(5)["CYPERF_RIG_SERVER_NODES"] == "3"


def test_scaled_config_splits_the_agents_over_the_groups_in_its_namespace() -> None:
    config = scaled_config(1001, "cyperf-scale")
    groups = config["cyperf-k8s:agentGroups"]
    assert [(g["name"], g["replicas"]) for g in groups] == [("client", 501), ("server", 500)]
    assert config["cyperf-k8s:namespace"] == "cyperf-scale"
    # the example itself is left alone
    assert scaled_config(10, "x")["cyperf-k8s:agentGroups"][0]["replicas"] == 5


def pod(name: str, group: str, ip: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "labels": {"cyperf-k8s/agent-group": group}},
        "status": {"podIP": ip},
    }


def test_controller_lists_one_agent_per_pod_but_the_first_and_one_extra() -> None:
    pods = [pod("b", "server", "10.0.0.2"), pod("a", "client", "10.0.0.1")]
    pods.append(pod("c", "client", "10.0.0.3"))
    tags = {"client": "K=c,cyperf-k8s=s.client", "server": "K=s,cyperf-k8s=s.server"}
    agents = controller_agents(pods, tags)
    assert len(agents) == len(pods)
    by_host = {a["hostname"]: a for a in agents}
    assert "a" not in by_host  # the first pod by name stays missing
    assert (by_host["b"]["IP"], by_host["b"]["AgentTags"]) == (
        "10.0.0.2",
        tags["server"].split(","),
    )
    assert (by_host["c"]["IP"], by_host["c"]["AgentTags"]) == (
        "10.0.0.3",
        tags["client"].split(","),
    )
    extra = agents[-1]
    assert extra["IP"] not in {p["status"]["podIP"] for p in pods}
    assert extra["AgentTags"] == tags["client"].split(",")


def test_poll_seconds_are_the_gaps_between_poll_lines_less_the_sleep() -> None:
    progress = [
        [0.5, "reading stack s"],
        [1.0, "3 of 4 agent pods not registered yet; checking again (up to 5s more)"],
        [1.5, "unrelated"],
        [1.31, "1 of 4 agent pods not ready or not registered yet"],
        [1.72, "1 of 4 agent pods not registered yet; checking again (up to 4s more)"],
    ]
    assert poll_seconds(progress, 0.01) == pytest.approx([0.30, 0.40])
    assert poll_seconds(progress[:2], 0.01) == []


def test_per_added_and_growth_of_a_linear_and_a_quadratic_cost() -> None:
    linear = {10: 1.1, 100: 2.0, 1000: 11.0}  # 1 + 0.01 per agent
    steps = per_added(linear)
    assert [(a, b) for a, b, _ in steps] == [(10, 100), (100, 1000)]
    assert [cost for _, _, cost in steps] == pytest.approx([0.01, 0.01])
    assert growth(linear) == "5.5x; per added agent, later/earlier 1.00"
    quadratic = {10: 1.0, 100: 100.0, 1000: 10000.0}
    assert growth(quadratic).startswith("100.0x; per added agent, later/earlier 10.00")
    assert growth({100: 1.0, 1000: 8.0}) == "8.0x"


def test_the_poll_wait_grows_with_the_stack_so_the_largest_is_sampled_more_than_once() -> None:
    assert poll_wait(10) == POLL_WAIT + 10 * POLL_WAIT_PER_AGENT
    # A poll took about 2.3 s at 1,000 agents: the wait leaves room for several.
    assert poll_wait(1000) >= 4 * 2.3 + POLL_WAIT
