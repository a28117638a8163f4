"""The whole program's wiring (`components.stack`): settings parsed once, a refused config stops
before any resource, the existing-cluster path chosen by `cluster`, one set of stack outputs, and
the settings warnings logged at their keys before any resource."""

from __future__ import annotations

import pulumi

from tests.support.program import (
    client,
    config_of,
    default_cluster_state,
    run_stack,
    run_stack_expecting_error,
    server,
)

EXPORTS = [
    "agentTags",
    "clusterDnsIp",
    "controllerAddress",
    "controllerSetup",
    "namespace",
    "serverPodIps",
    "serverPodIpsNotReady",
    "serverServices",
]


def test_an_existing_cluster_stack_exports_the_agents_outputs() -> None:
    state = default_cluster_state(
        "perf", {"cyperf-agent-service": {"subsets": [{"addresses": [{"ip": "10.244.0.5"}]}]}}
    )
    run = run_stack(
        config_of(
            controllerAddress="192.0.2.10",
            namespace="perf",
            agentGroups=[client(tags={"site": "lab"}), server()],
        ),
        state,
    )
    # The existing-cluster path adds no outputs of its own (the EKS path adds the cluster's).
    assert sorted(run.exports) == EXPORTS
    assert run.exports["namespace"] == "perf"
    assert run.exports["controllerAddress"] == "192.0.2.10"
    assert run.exports["agentTags"] == {
        "client": "cyperf-k8s=test.client,site=lab",
        "server": "K8s-Group=CyPerf-Agent-Server,cyperf-k8s=test.server,node-owner=User",
    }
    assert run.exports["serverPodIps"] == {"server": ["10.244.0.5"]}
    # The components hang off the stack, each cluster object off the cluster's provider.
    components = sorted(r.typ for r in run.resources if not r.custom)
    assert components == [
        "cyperf-k8s:index:CyperfAgents",
        "cyperf-k8s:index:DutOutputs",
        "cyperf-k8s:index:ExistingCluster",
    ]
    assert run.secret_exports == set()


def test_a_refused_config_stops_before_any_resource() -> None:
    error, run = run_stack_expecting_error(config_of(agentGroups=[client(replicas=-1)]))
    # A RunError: the engine prints its message alone, without a Python traceback.
    assert isinstance(error, pulumi.RunError), repr(error)
    assert str(error).startswith("invalid stack configuration:\n  - ")
    assert "cyperf-k8s:agentGroups[0].replicas:" in str(error)
    assert run.resources == []


def test_the_program_warns_about_a_documentation_address(logged_warnings: list[str]) -> None:
    state = default_cluster_state(endpoints={"cyperf-agent-service": {"subsets": []}})
    run_stack(config_of(controllerAddress="192.0.2.10"), state)
    assert any("documentation address" in w for w in logged_warnings), logged_warnings
    assert [w for w in logged_warnings if w.startswith("cyperf-k8s:controllerAddress: ")] == [
        "cyperf-k8s:controllerAddress: '192.0.2.10' is a documentation address (RFC 5737), the "
        "example stacks' placeholder: set the controller's real address"
    ]


def test_the_program_warns_about_a_server_group_with_a_test_network_and_no_service(
    logged_warnings: list[str],
) -> None:
    state = default_cluster_state(endpoints={"cyperf-agent-service": {"subsets": []}})
    state[
        (
            "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
            "network-attachment-definitions.k8s.cni.cncf.io",
        )
    ] = {"spec": {"versions": [{"name": "v1", "served": True}]}}
    network = {"type": "macvlan", "master": "ens224", "ipam": {"range": "10.9.0.0/24"}}
    groups = [
        client(testNetwork={**network, "ipam": {"range": "10.8.0.0/24"}}),
        server(testNetwork=network),
        server(
            name="quiet", service=None, testNetwork={**network, "ipam": {"range": "10.7.0.0/24"}}
        ),
    ]
    run_stack(config_of(controllerAddress="10.1.2.3", agentGroups=groups), state)
    assert [w for w in logged_warnings if "test network" in w] == [
        "cyperf-k8s:agentGroups[2].service: is null on a server group with a test network: "
        "serverTestIps and controllerSetup.dutHost list no test addresses for it (they are read "
        "through the Service's Endpoints); read them from each pod's "
        "k8s.v1.cni.cncf.io/network-status annotation"
    ]
