"""The agents component: its namespace, one Deployment per group and each server group's Service,
all its children, placed in the namespace and registered so a replacement deletes first; an
existing namespace whose Pod Security level rejects the agents stops the program before any agent
object is registered, and an unlabelled one is warned about."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.program import (
    StackRun,
    client,
    config_of,
    default_cluster_state,
    run_stack,
    run_stack_expecting_error,
    server,
)

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"
NAMESPACE = "kubernetes:core/v1:Namespace"


def run_groups(*groups: dict[str, Any], namespace: str = "cyperf") -> StackRun:
    """Run the program with these groups; each server Service's Endpoints reads as empty."""
    services = [g.get("service", {}) for g in groups if g["role"] == "server"]
    endpoints: dict[str, dict[str, Any]] = {
        s.get("name", "cyperf-agent-service"): {"subsets": []} for s in services if s is not None
    }
    return run_stack(
        config_of(agentGroups=list(groups), namespace=namespace),
        default_cluster_state(namespace, endpoints),
    )


def test_one_deployment_per_group_and_a_service_per_server_group_that_has_one() -> None:
    run = run_groups(
        client(),
        server(service={"name": "web"}),
        server(name="quiet", service=None),
    )
    agents = run.one("cyperf-k8s:index:CyperfAgents", "agents")
    assert run.component_outputs[agents.urn] == {
        "deployments": {
            "client": "cyperf-agent-client-deployment",
            "server": "cyperf-agent-server-deployment",
            "quiet": "cyperf-agent-quiet-deployment",
        },
        "services": {"server": "web"},
    }
    children = [r for r in run.resources if r.parent == agents.urn and r.read_id is None]
    assert sorted((r.typ, r.name) for r in children) == [
        (DEPLOYMENT, "agents-client"),
        (DEPLOYMENT, "agents-quiet"),
        (DEPLOYMENT, "agents-server"),
        (NAMESPACE, "agents-namespace"),
        (SERVICE, "agents-server-service"),
    ]


def test_agent_objects_wait_for_the_namespace_they_are_placed_in() -> None:
    run = run_groups(client(), server(), namespace="perf")
    namespace = run.one(NAMESPACE, "agents-namespace")
    assert namespace.inputs["metadata"]["name"] == "perf"
    for obj in run.of_type(DEPLOYMENT) + run.of_type(SERVICE):
        assert obj.inputs["metadata"]["namespace"] == "perf", obj.name
        assert obj.dependencies == [namespace.urn], obj.name


def test_agent_objects_are_deleted_before_they_are_replaced_and_templates_replace() -> None:
    from mocks.monitor import RecordingMonitor

    replaced_first: dict[str, bool] = {}
    replaced_on: dict[str, list[str]] = {}

    class OptionsMonitor(RecordingMonitor):
        def RegisterResource(self, request: Any) -> Any:
            replaced_first[request.name] = request.deleteBeforeReplace
            replaced_on[request.name] = list(request.replaceOnChanges)
            return super().RegisterResource(request)

    run = run_stack(
        config_of(controllerAddress="192.0.2.10"),
        default_cluster_state(endpoints={"cyperf-agent-service": {"subsets": []}}),
        monitor_class=OptionsMonitor,
    )
    agent_objects = {r.name for r in run.of_type(DEPLOYMENT) + run.of_type(SERVICE)}
    assert agent_objects == {"agents-client", "agents-server", "agents-server-service"}
    assert {n: replaced_first[n] for n in agent_objects} == dict.fromkeys(agent_objects, True)
    # The namespace keeps the default order: a new one can exist beside the old.
    assert replaced_first["agents-namespace"] is False
    # A pod-template change recreates a Deployment (the create await waits for the new pods);
    # scaling still updates it in place.
    assert replaced_on["agents-client"] == replaced_on["agents-server"] == ["spec.template"]
    assert replaced_on["agents-server-service"] == []


ENFORCE = "pod-security.kubernetes.io/enforce"
EMPTY: dict[str, dict[str, Any]] = {"cyperf-agent-service": {"subsets": []}}
AGENT_TYPES = ("kubernetes:apps/v1:Deployment", "kubernetes:core/v1:Service")


@pytest.mark.parametrize("level", ["baseline", "restricted"])
def test_existing_namespace_that_rejects_agents_stops_before_any_agent_object(level: str) -> None:
    state = default_cluster_state(namespace="lab", namespace_labels={ENFORCE: level})
    error, run = run_stack_expecting_error(config_of(namespace="lab", createNamespace=False), state)
    message = str(error)
    assert message.startswith(
        "invalid stack configuration:\n"
        "  - cyperf-k8s:namespace: namespace 'lab' enforces Pod Security"
    )
    assert f"label {ENFORCE}" in message
    assert f"kubectl label --overwrite namespace lab {ENFORCE}=privileged" in message
    assert message.endswith(f"(got {level!r})")
    # The namespace was read, and not a single agent object was registered.
    assert [r.read_id for r in run.reads("kubernetes:core/v1:Namespace")] == ["lab"]
    assert [r.name for r in run.resources if r.typ in AGENT_TYPES and r.read_id is None] == []


def test_unlabelled_existing_namespace_warns(logged_warnings: list[str]) -> None:
    state = default_cluster_state(namespace="lab", namespace_labels={}, endpoints=EMPTY)
    run = run_stack(
        config_of(namespace="lab", createNamespace=False, controllerAddress="h.lab"), state
    )
    assert len(run.of_type("kubernetes:apps/v1:Deployment")) == 2
    [warning] = [w for w in logged_warnings if "Pod Security" in w]
    assert "namespace 'lab' has no pod-security.kubernetes.io/enforce label" in warning
