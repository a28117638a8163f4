"""The test networks in the cluster: the Multus CRD and inventory nodes read before any agent
object, each refusal of a node that cannot run the group's DPDK agent, and one
NetworkAttachmentDefinition per group that its Deployments depend on."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from components import test_network
from mocks.cluster import ClusterMocks, ClusterState, default_cluster_state
from tests.support.program import config_of, run_stack, run_stack_expecting_error, server

CRD_TYPE = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"
NODE_TYPE = "kubernetes:core/v1:Node"
NAD_TYPE = "kubernetes:k8s.cni.cncf.io/v1:NetworkAttachmentDefinition"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
NAMESPACE = "kubernetes:core/v1:Namespace"
NIC = {"node": "n1", "pciId": "0000:0b:00.0", "numaNode": 0, "cpuSet": "2,3"}
MACVLAN: dict[str, Any] = {"type": "macvlan", "master": "ens224", "ipam": {"range": "10.9.0.0/24"}}


def crd(served: bool = True) -> dict[str, Any]:
    return {
        "metadata": {"name": test_network.NAD_CRD},
        "spec": {"group": "k8s.cni.cncf.io", "versions": [{"name": "v1", "served": served}]},
    }


def node(labels: dict[str, str], allocatable: dict[str, str]) -> dict[str, Any]:
    return {"metadata": {"name": "n1", "labels": labels}, "status": {"allocatable": allocatable}}


GOOD_NODE = node({"agenttype": "server"}, {"hugepages-1Gi": "8Gi", "intel.com/vf": "4"})


def created(run: Any) -> list[str]:
    """Every object the run created, besides the provider the reads go through."""
    return [
        r.name
        for r in run.resources
        if r.read_id is None and r.custom and not r.typ.startswith("pulumi:providers:")
    ]


def cluster(
    with_crd: dict[str, Any] | None = None, nodes: dict[str, dict[str, Any]] | None = None
) -> ClusterState:
    state = default_cluster_state(endpoints={"cyperf-agent-service": {"subsets": []}})
    if with_crd is not None:
        state[(CRD_TYPE, test_network.NAD_CRD)] = with_crd
    for name, obj in (nodes or {}).items():
        state[(NODE_TYPE, name)] = obj
    return state


def test_a_kernel_mode_group_gets_its_nad_and_its_deployment_waits_for_it() -> None:
    run = run_stack(config_of(agentGroups=[server(testNetwork=MACVLAN)]), cluster(crd()))
    assert [r.read_id for r in run.reads(CRD_TYPE)] == [test_network.NAD_CRD]
    nad = run.one(NAD_TYPE)
    assert nad.inputs["metadata"]["name"] == "cyperf-server-test"
    assert nad.inputs["metadata"]["namespace"] == "cyperf"
    assert '"type": "whereabouts"' in nad.inputs["spec"]["config"]
    deployment = run.one(DEPLOYMENT)
    assert nad.urn in deployment.dependencies
    # The namespace waits for the checks: its name comes from them.
    namespace = run.one(NAMESPACE)
    crd_read = run.reads(CRD_TYPE)[0]
    assert crd_read.urn in namespace.property_dependencies["metadata"]


def test_a_stack_without_a_test_network_reads_no_crd() -> None:
    run = run_stack(config_of(agentGroups=[server()]), cluster())
    assert run.reads(CRD_TYPE) == [] and run.of_type(NAD_TYPE) == []


def test_a_dpdk_inventory_registers_one_deployment_per_nic_after_reading_its_nodes() -> None:
    second = {**NIC, "node": "n2", "pciId": "0000:13:00.0"}
    network = {**MACVLAN, "dpdk": {"inventory": [NIC, second]}}
    run = run_stack(
        config_of(agentGroups=[server(testNetwork=network)]),
        cluster(crd(), {"n1": GOOD_NODE, "n2": GOOD_NODE}),
    )
    assert sorted(r.read_id or "" for r in run.reads(NODE_TYPE)) == ["n1", "n2"]
    assert sorted(d.name for d in run.of_type(DEPLOYMENT)) == ["agents-server-0", "agents-server-1"]
    # The group counts one agent per NIC, wherever its replicas are shown.
    assert run.exports["controllerSetup"]["agentAssignment"]["server"]["replicas"] == 2


def test_dpdk_over_host_device_gets_one_nad_per_nic_that_its_deployments_wait_for() -> None:
    second = {**NIC, "node": "n2", "pciId": "0000:13:00.0"}
    network = {"type": "host-device", "ipam": MACVLAN["ipam"], "dpdk": {"inventory": [NIC, second]}}
    run = run_stack(
        config_of(agentGroups=[server(testNetwork=network)]),
        cluster(crd(), {"n1": GOOD_NODE, "n2": GOOD_NODE}),
    )
    nads = sorted(run.of_type(NAD_TYPE), key=lambda r: r.name)
    assert [n.name for n in nads] == [
        "agents-server-0-test-network",
        "agents-server-1-test-network",
    ]
    assert [n.inputs["metadata"]["name"] for n in nads] == [
        "cyperf-server-0-test",
        "cyperf-server-1-test",
    ]
    assert ['"pciBusID": "0000:0b:00.0"' in n.inputs["spec"]["config"] for n in nads] == [
        True,
        False,
    ]
    assert '"pciBusID": "0000:13:00.0"' in nads[1].inputs["spec"]["config"]
    for deployment in run.of_type(DEPLOYMENT):
        assert {n.urn for n in nads} <= set(deployment.dependencies)


def refusal(network: dict[str, Any], state: ClusterState, **group: Any) -> str:
    error, run = run_stack_expecting_error(
        config_of(agentGroups=[server(testNetwork=network, **group)]), mocks=ClusterMocks(state)
    )
    assert isinstance(error, pulumi.RunError), repr(error)
    # Only reads: nothing is created when the cluster cannot carry the network.
    assert created(run) == []
    lines = str(error).splitlines()
    assert lines[0] == "invalid stack configuration:", error
    assert len(lines) == 2, error
    return lines[1]


KEY = "cyperf-k8s:agentGroups[0].testNetwork.dpdk.inventory[0].node"


@pytest.mark.parametrize(
    ("network", "state", "key", "fragment"),
    [
        (
            {**MACVLAN, "dpdk": {"inventory": [NIC]}},
            cluster(crd(), {"n1": node({"agenttype": "client"}, {"hugepages-1Gi": "8Gi"})}),
            KEY,
            "does not match the group's node selector (it lacks agenttype=server)",
        ),
        (
            {**MACVLAN, "dpdk": {"inventory": [NIC]}},
            cluster(crd(), {"n1": node({"agenttype": "server"}, {"hugepages-2Mi": "8Gi"})}),
            KEY,
            "has hugepages-1Gi 0 allocatable, less than the agent's 2Gi",
        ),
        (
            MACVLAN,
            cluster(crd(served=False)),
            "cyperf-k8s:agentGroups",
            "does not serve v1",
        ),
    ],
)
def test_a_cluster_that_cannot_carry_the_network_is_refused_before_any_object(
    network: dict[str, Any], state: ClusterState, key: str, fragment: str
) -> None:
    line = refusal(network, state)
    assert line.startswith(f"  - {key}: "), line
    assert fragment in line, line


def test_a_node_lacking_the_hugepages_of_all_its_dpdk_agents_is_refused() -> None:
    # Two agents on one node, of two groups: 2Gi each, 3Gi there.
    second = {**NIC, "pciId": "0000:13:00.0", "cpuSet": "4,5"}
    groups = [
        server(testNetwork={**MACVLAN, "dpdk": {"inventory": [NIC]}}),
        server(
            name="more",
            service=None,
            testNetwork={
                **MACVLAN,
                "ipam": {"range": "10.8.0.0/24"},
                "dpdk": {"inventory": [second]},
            },
        ),
    ]
    state = cluster(crd(), {"n1": node({"agenttype": "server"}, {"hugepages-1Gi": "3Gi"})})
    error, run = run_stack_expecting_error(config_of(agentGroups=groups), mocks=ClusterMocks(state))
    assert created(run) == []
    wanted = "node 'n1' has hugepages-1Gi 3Gi allocatable, less than the 4096Mi its 2 DPDK agents"
    lines = str(error).splitlines()[1:]
    assert [line.partition(": ")[0] for line in lines] == [
        f"  - cyperf-k8s:agentGroups[{i}].testNetwork.dpdk.inventory[0].node" for i in (0, 1)
    ], error
    assert all(wanted in line for line in lines), error


def test_a_range_holding_the_api_servers_service_ip_is_refused_before_any_object() -> None:
    network = {**MACVLAN, "ipam": {"range": "10.96.0.0/24"}}
    assert refusal(network, cluster(crd())) == (
        "  - cyperf-k8s:agentGroups[0].testNetwork.ipam: hands out 10.96.0.1, the ClusterIP of "
        "Service default/kubernetes: the test range overlaps the cluster's service CIDR; choose a "
        "test subnet outside the cluster's service and pod CIDRs (got '10.96.0.0/24')"
    )


def test_a_slice_that_leaves_the_service_ip_out_passes() -> None:
    network = {**MACVLAN, "ipam": {"range": "10.96.0.0/24", "rangeStart": "10.96.0.100"}}
    run = run_stack(config_of(agentGroups=[server(testNetwork=network)]), cluster(crd()))
    assert sorted(str(r.read_id) for r in run.reads("kubernetes:core/v1:Service")) == [
        "default/kubernetes",
        "kube-system/kube-dns",
    ]
    assert len(run.of_type(NAD_TYPE)) == 1


def test_a_cluster_without_multus_fails_at_the_crd_read_before_any_object() -> None:
    error, run = run_stack_expecting_error(
        config_of(agentGroups=[server(testNetwork=MACVLAN)]), mocks=ClusterMocks(cluster())
    )
    assert test_network.NAD_CRD in str(error)
    assert created(run) == []
