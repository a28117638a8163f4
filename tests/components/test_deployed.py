"""What the program reads back of its own stack (components/deployed.py), and what it does with
it before any resource: a rename refused or continued, a first `up` left alone."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import grpc
import pulumi
import pytest

from components import deployed as deployed_module
from components.deployed import READ_STACK_OUTPUTS, READ_STACK_RESOURCES, deployed_agents
from components.settings.renames import DeployedGroup, DeployedService
from mocks.harness import run_program
from mocks.monitor import RecordingMonitor
from mocks.stack_state import StackState
from tests.support.program import (
    STACKS,
    ClusterMocks,
    config_of,
    default_cluster_state,
    engine_config,
    run_stack,
)

EAST_WEST = engine_config(STACKS / "Pulumi.east-west.yaml")
NORTH_SOUTH = engine_config(STACKS / "Pulumi.north-south.yaml")
SERVICE_NAME_KEY = "cyperf-k8s:agentGroups[1].service.name"
# The examples' Service, which the DUT outputs read the Endpoints of.
CLUSTER = default_cluster_state(endpoints={"cyperf-agent-service": {"subsets": []}})


class AliasMonitor(RecordingMonitor):
    """Also keeps the names each registration declares as its previous names (aliases)."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.aliases: dict[str, list[str]] = {}

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        self.aliases[request.name] = [a.spec.name for a in request.aliases if a.spec.name]
        return response


def deployed(config: dict[str, str]) -> StackState:
    """The stack's state after a completed `up` of `config`."""
    run = run_stack(config, CLUSTER)
    return StackState.after(run.resources, run.exports)


def updating(state: StackState) -> ClusterMocks:
    """The mocks of an `up` of a stack that holds `state`."""
    mocks = ClusterMocks(CLUSTER)
    mocks.stack_state = state
    return mocks


def with_groups(config: dict[str, str], agent_groups: list[dict[str, Any]]) -> dict[str, str]:
    return {**config, **config_of(agentGroups=agent_groups)}


def east_west_groups() -> list[dict[str, Any]]:
    """The example's groups, a fresh copy to change."""
    groups: list[dict[str, Any]] = json.loads(EAST_WEST["cyperf-k8s:agentGroups"])
    return groups


def test_the_state_names_each_groups_objects_and_what_its_service_holds() -> None:
    state = deployed(NORTH_SOUTH)
    agents = deployed_agents("agents", state.resources)
    assert agents.groups == (DeployedGroup("server", "server"),)
    assert agents.services == (
        DeployedService("server", "cyperf", "cyperf-agent-service", frozenset({30080, 30443})),
    )
    east_west = deployed_agents("agents", deployed(EAST_WEST).resources)
    assert sorted(east_west.groups, key=lambda g: g.name) == [
        DeployedGroup("client", "client"),
        DeployedGroup("server", "server"),
    ]


def test_objects_of_other_components_and_kinds_are_not_the_agents() -> None:
    state = deployed(NORTH_SOUTH)
    outputs = {"metadata": {"name": "x", "namespace": "cyperf", "labels": {"run": "x"}}}
    others = {
        # Another component's Deployment, a DaemonSet of the agents, a name of another prefix.
        "urn:pulumi:test::cyperf-k8s::cyperf-k8s:index:NodeTuning$kubernetes:apps/v1:Deployment"
        "::agents-server": {"type": "kubernetes:apps/v1:Deployment", "outputs": outputs},
        "urn:pulumi:test::cyperf-k8s::cyperf-k8s:index:CyperfAgents$kubernetes:apps/v1:DaemonSet"
        "::agents-server": {"type": "kubernetes:apps/v1:DaemonSet", "outputs": outputs},
        "urn:pulumi:test::cyperf-k8s::cyperf-k8s:index:CyperfAgents$kubernetes:core/v1:Service"
        "::dut-server-service": {"type": "kubernetes:core/v1:Service", "outputs": outputs},
    }
    assert deployed_agents("agents", {**state.resources, **others}) == deployed_agents(
        "agents", state.resources
    )
    # A group named like a Service suffix is told apart by the object's type.
    deployment = "urn:pulumi:test::cyperf-k8s::cyperf-k8s:index:CyperfAgents$kubernetes:apps/v1"
    labelled = {"metadata": {"labels": {"run": "cyperf-agent-client"}}}
    odd = deployed_agents(
        "agents", {f"{deployment}:Deployment::agents-x-service": {"outputs": labelled}}
    )
    assert odd.groups == (DeployedGroup("x-service", "client"),) and odd.services == ()


def test_a_first_up_reads_the_stack_outputs_only() -> None:
    mocks = ClusterMocks(CLUSTER)
    run_stack(EAST_WEST, mocks=mocks)
    reads = [i for i in mocks.invokes if i.token.startswith("pulumi:pulumi:")]
    assert [i.token for i in reads] == [READ_STACK_OUTPUTS]
    assert reads[0].args == {"name": "None/cyperf-k8s/test"}


def test_a_deployed_stack_reads_its_resources() -> None:
    mocks = updating(deployed(EAST_WEST))
    run_stack(EAST_WEST, mocks=mocks)
    reads = [i.token for i in mocks.invokes if i.token.startswith("pulumi:pulumi:")]
    assert reads == [READ_STACK_OUTPUTS, READ_STACK_RESOURCES]


def test_a_rename_without_previous_names_is_refused_before_any_resource() -> None:
    groups = east_west_groups()
    groups[1]["name"] = "server-a"
    mocks = updating(deployed(EAST_WEST))
    with pytest.raises(pulumi.RunError) as err:
        run_stack(with_groups(EAST_WEST, groups), mocks=mocks)
    message = str(err.value)
    assert message.startswith("invalid stack configuration:")
    [line] = [line for line in message.splitlines() if SERVICE_NAME_KEY in line]
    assert "declare `previousNames: [server]` on it" in line
    assert "use two `up`s" in line
    assert line.endswith("(got 'cyperf-agent-service')")
    assert isinstance(mocks.monitor, RecordingMonitor)
    assert mocks.monitor.registered == []


def test_a_rename_with_previous_names_continues_the_groups_objects(
    logged_warnings: list[str],
) -> None:
    groups = east_west_groups()
    groups[1]["name"] = "server-a"
    groups[1]["previousNames"] = ["server"]
    mocks = updating(deployed(EAST_WEST))
    run = run_stack(with_groups(EAST_WEST, groups), mocks=mocks, monitor_class=AliasMonitor)
    assert isinstance(mocks.monitor, AliasMonitor)
    aliases = mocks.monitor.aliases
    assert aliases["agents-server-a"] == ["agents-server"]
    assert aliases["agents-server-a-service"] == ["agents-server-service"]
    assert aliases["agents-client"] == []
    deployment = run.one("kubernetes:apps/v1:Deployment", "agents-server-a")
    assert deployment.inputs["metadata"]["name"] == "cyperf-agent-server-a-deployment"
    service = run.one("kubernetes:core/v1:Service", "agents-server-a-service")
    assert service.inputs["metadata"]["name"] == "cyperf-agent-service"
    assert set(run.exports["serverServices"]) == {"server-a"}
    assert set(run.exports["agentTags"]) == {"client", "server-a"}
    assert not [w for w in logged_warnings if "previousNames" in w]


def test_a_client_rename_without_previous_names_warns(logged_warnings: list[str]) -> None:
    groups = east_west_groups()
    groups[0]["name"] = "client-a"
    mocks = updating(deployed(EAST_WEST))
    run_stack(with_groups(EAST_WEST, groups), mocks=mocks)
    [warning] = [w for w in logged_warnings if "previousNames" in w]
    assert warning.startswith("cyperf-k8s:agentGroups[0].name: group 'client-a' is new")


def test_a_renamed_groups_node_tuning_daemonset_continues_too() -> None:
    client = {
        "name": "client-a",
        "previousNames": ["client"],
        "role": "client",
        "replicas": 3,
        "conntrack": {"peakConnectionsPerSecond": 3000, "concurrentConnections": 60000},
    }
    config = config_of(
        conntrack={"nodeTuning": True}, agentGroups=[client, {"name": "server", "role": "server"}]
    )
    mocks = ClusterMocks(CLUSTER)
    run = run_stack(config, mocks=mocks, monitor_class=AliasMonitor)
    assert isinstance(mocks.monitor, AliasMonitor)
    daemonset = run.one("kubernetes:apps/v1:DaemonSet", "node-tuning-client-a")
    assert daemonset.inputs["metadata"]["name"] == "cyperf-node-tuning-client-a"
    assert mocks.monitor.aliases["node-tuning-client-a"] == ["node-tuning-client"]


class CheckpointReadError(grpc.RpcError):  # type: ignore[misc]  # grpc ships no types
    """How the engine answers a builtin read that meets its own checkpoint write."""

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.UNKNOWN

    def details(self) -> str:
        return "failed to load checkpoint: EOF"


class FlakyState(StackState):
    """A state whose reads fail `failures` times first, as a read that meets the engine's own
    checkpoint write does on the local file backend."""

    def __init__(self, state: StackState, failures: int) -> None:
        super().__init__(state.outputs, state.resources)
        self.failures = failures

    def answer(self, token: str, args: Mapping[str, Any]) -> dict[str, Any]:
        if self.failures > 0:
            self.failures -= 1
            raise CheckpointReadError()
        return super().answer(token, args)


def test_a_read_that_meets_a_checkpoint_write_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deployed_module, "READ_RETRY_SECONDS", 0)
    groups = east_west_groups()
    groups[1]["name"] = "server-a"
    mocks = updating(FlakyState(deployed(EAST_WEST), failures=3))
    with pytest.raises(pulumi.RunError, match="declare `previousNames: \\[server\\]`"):
        run_stack(with_groups(EAST_WEST, groups), mocks=mocks)
    reads = [i.token for i in mocks.invokes if i.token.startswith("pulumi:pulumi:")]
    assert reads.count(READ_STACK_OUTPUTS) == 4 and reads[-1] == READ_STACK_RESOURCES


def test_a_state_that_cannot_be_read_leaves_the_check_out_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, logged_warnings: list[str]
) -> None:
    monkeypatch.setattr(deployed_module, "READ_RETRY_SECONDS", 0)
    groups = east_west_groups()
    groups[1]["name"] = "server-a"
    failures = deployed_module.READ_ATTEMPTS
    run_stack(
        with_groups(EAST_WEST, groups),
        mocks=updating(FlakyState(deployed(EAST_WEST), failures)),
    )
    [warning] = [w for w in logged_warnings if "own state could not be read" in w]
    assert "failed to load checkpoint: EOF" in warning
    assert "docs/renaming-groups.md" in warning


def test_read_own_stack_returns_the_outputs_and_resources(
    monkeypatch: pytest.MonkeyPatch, logged_warnings: list[str]
) -> None:
    """What the EKS node groups read before registering (kept images, rolled groups): nothing
    for a stack without a completed `up` (its resources are not read: see read_deployed), the
    outputs and resources otherwise, and None with a warning naming what is left out when the
    reads keep failing."""
    monkeypatch.setattr(deployed_module, "READ_RETRY_SECONDS", 0)
    state = deployed(EAST_WEST)
    logged_warnings.clear()

    def read(stack_state: StackState) -> Any:
        mocks = ClusterMocks(CLUSTER)
        mocks.stack_state = stack_state
        result: dict[str, Any] = {}

        def body() -> None:
            result["read"] = deployed_module.read_own_stack("the checks are left out")

        run_program(body, {}, mocks, RecordingMonitor(mocks), "cyperf-k8s", "test")
        reads = [i.token for i in mocks.invokes if i.token.startswith("pulumi:pulumi:")]
        return result["read"], reads

    empty, reads = read(StackState())
    assert empty == ({}, {}) and reads == [READ_STACK_OUTPUTS]
    (outputs, resources), reads = read(state)
    # As the engine hands them over (numbers arrive as floats).
    assert sorted(outputs) == sorted(state.outputs) and sorted(resources) == sorted(state.resources)
    assert outputs["namespace"] == state.outputs["namespace"]
    assert reads == [READ_STACK_OUTPUTS, READ_STACK_RESOURCES]
    assert logged_warnings == []
    failed, _ = read(FlakyState(state, 2 * deployed_module.READ_ATTEMPTS))
    assert failed is None
    [warning] = logged_warnings
    assert warning.startswith("the stack's own state could not be read (")
    assert warning.endswith("; the checks are left out")


def test_a_dpdk_groups_deployments_are_read_as_its_one_group() -> None:
    nics = [
        {"node": f"n{i}", "pciId": "0000:0b:00.0", "numaNode": 0, "cpuSet": "2,3"} for i in (1, 2)
    ]
    network = {"type": "macvlan", "master": "ens224", "ipam": {"range": "10.9.0.0/24"}}
    node = {
        "metadata": {"labels": {"agenttype": "client"}},
        "status": {"allocatable": {"hugepages-1Gi": "8Gi"}},
    }
    cluster = {
        **CLUSTER,
        (
            "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
            "network-attachment-definitions.k8s.cni.cncf.io",
        ): {"spec": {"versions": [{"name": "v1", "served": True}]}},
        ("kubernetes:core/v1:Node", "n1"): node,
        ("kubernetes:core/v1:Node", "n2"): node,
    }
    groups = [
        {
            "name": "dpdk",
            "role": "client",
            "testNetwork": {**network, "dpdk": {"inventory": nics}},
        }
    ]
    run = run_stack(config_of(agentGroups=groups), cluster)
    agents = deployed_agents("agents", StackState.after(run.resources, run.exports).resources)
    assert agents.groups == (DeployedGroup("dpdk", "client"),)
