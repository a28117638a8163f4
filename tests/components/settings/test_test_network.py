"""A group's test network (`agentGroups[i].testNetwork`): the attachment, Whereabouts ranges that
never overlap each other or the controller, the management interface, and the cluster kinds and
releases that can carry it."""

from __future__ import annotations

from typing import Any

from components.settings.loading import parse_settings
from tests.support.program import client, config_of, refusal_table, server

MACVLAN: dict[str, Any] = {"type": "macvlan", "master": "ens224", "ipam": {"range": "10.9.0.0/24"}}
NIC = {"node": "n1", "pciId": "0000:0b:00.0", "numaNode": 0, "cpuSet": "2,3"}


def net(**extra: Any) -> dict[str, Any]:
    return {**MACVLAN, **extra}


def ipam(**extra: Any) -> dict[str, Any]:
    return net(ipam={"range": "10.9.0.0/24", **extra})


BAD_CONFIGS: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "unknown attachment type",
        {"agentGroups": [server(testNetwork=net(type="bridge"))]},
        "agentGroups[0].testNetwork.type",
        "host-device",
    ),
    (
        "macvlan without master",
        {"agentGroups": [server(testNetwork=net(master=None))]},
        "agentGroups[0].testNetwork.master",
        "needs the host NIC",
    ),
    (
        "sriov without resource",
        {"agentGroups": [server(testNetwork=net(type="sriov", master=None))]},
        "agentGroups[0].testNetwork.resourceName",
        "device plugin",
    ),
    (
        "sriov with master",
        {"agentGroups": [server(testNetwork=net(type="sriov", resourceName="intel.com/vf"))]},
        "agentGroups[0].testNetwork.master",
        "applies only with type host-device",
    ),
    (
        "resource name on macvlan",
        {"agentGroups": [server(testNetwork=net(resourceName="intel.com/vf"))]},
        "agentGroups[0].testNetwork.resourceName",
        "applies only with type 'sriov'",
    ),
    (
        "bad resource name",
        {"agentGroups": [server(testNetwork=net(type="sriov", master=None, resourceName="vf"))]},
        "agentGroups[0].testNetwork.resourceName",
        "device-plugin resource",
    ),
    (
        "range with host bits",
        {"agentGroups": [server(testNetwork=net(ipam={"range": "10.9.0.1/24"}))]},
        "agentGroups[0].testNetwork.ipam.range",
        "no host bits",
    ),
    (
        "start outside range",
        {"agentGroups": [server(testNetwork=ipam(rangeStart="10.8.0.1"))]},
        "agentGroups[0].testNetwork.ipam.rangeStart",
        "must lie in range",
    ),
    (
        "end before start",
        {"agentGroups": [server(testNetwork=ipam(rangeStart="10.9.0.50", rangeEnd="10.9.0.10"))]},
        "agentGroups[0].testNetwork.ipam.rangeEnd",
        "must not come before",
    ),
    (
        "gateway among the agents' addresses",
        {"agentGroups": [server(testNetwork=ipam(gateway="10.9.0.1"))]},
        "agentGroups[0].testNetwork.ipam.gateway",
        "outside the group's addresses",
    ),
    (
        "test interface equals management interface",
        {"agentGroups": [server(managementInterface="net1", testNetwork=net())]},
        "agentGroups[0].testNetwork.interface",
        "must differ from the management interface",
    ),
    (
        "test interface equals the default management interface",
        {"agentGroups": [server(testNetwork=net(interface="eth0"))]},
        "agentGroups[0].testNetwork.interface",
        "Keysight does not support",
    ),
    (
        "testInterface beside a test network",
        {"agentGroups": [server(testInterface="eth1", testNetwork=net())]},
        "agentGroups[0].testInterface",
        "set from testNetwork.interface",
    ),
    (
        "overlapping slices of two groups",
        {
            "agentGroups": [
                client(testNetwork=ipam(rangeEnd="10.9.0.100")),
                server(testNetwork=ipam(rangeStart="10.9.0.100")),
            ]
        },
        "agentGroups[1].testNetwork.ipam",
        "overlap those of agentGroups[0]",
    ),
    (
        "range hands out the controller's address",
        {"controllerAddress": "10.9.0.5", "agentGroups": [server(testNetwork=net())]},
        "agentGroups[0].testNetwork.ipam",
        "controller's address 10.9.0.5",
    ),
    (
        "test network on eks",
        {
            "cluster": "eks",
            "agentGroups": [server(testNetwork=net())],
        },
        "agentGroups[0].testNetwork",
        "not supported with cluster 'eks'",
    ),
    (
        "dpdk on arm64",
        {"agentGroups": [server(architecture="arm64", testNetwork=net(dpdk={"inventory": [NIC]}))]},
        "agentGroups[0].testNetwork.dpdk",
        "needs architecture 'amd64'",
    ),
    (
        "dpdk before its first image",
        {
            "cyperfRelease": "release6.0",
            "agentGroups": [server(testNetwork=net(dpdk={"inventory": [NIC]}))],
        },
        "agentGroups[0].testNetwork.dpdk",
        "known cyperf-agent-dpdk image, one of release7.0, 7.0.3.807",
    ),
    (
        "dpdk on a release without a known image",
        {
            "cyperfRelease": "release26.1.0",
            "agentGroups": [server(testNetwork=net(dpdk={"inventory": [NIC]}))],
        },
        "agentGroups[0].testNetwork.dpdk",
        "cyperfRelease is 'release26.1.0'",
    ),
    (
        "dpdk group with replicas",
        {"agentGroups": [server(replicas=2, testNetwork=net(dpdk={"inventory": [NIC]}))]},
        "agentGroups[0].replicas",
        "must equal the 1 NIC(s) of testNetwork.dpdk.inventory",
    ),
    (
        "dpdk without inventory",
        {"agentGroups": [server(testNetwork=net(dpdk={"inventory": []}))]},
        "agentGroups[0].testNetwork.dpdk.inventory",
        "at least 1",
    ),
    (
        "hugepages not a multiple of the page size",
        {
            "agentGroups": [
                server(
                    testNetwork=net(dpdk={"hugepages": "1536Mi", "inventory": [NIC]}),
                )
            ]
        },
        "agentGroups[0].testNetwork.dpdk.hugepages",
        "multiple of hugepageSize",
    ),
    (
        "same NIC twice in a group",
        {"agentGroups": [server(testNetwork=net(dpdk={"inventory": [NIC, NIC]}))]},
        "agentGroups[0].testNetwork.dpdk.inventory",
        "more than once",
    ),
    (
        "same NIC in two groups",
        {
            "agentGroups": [
                client(testNetwork={**ipam(rangeEnd="10.9.0.9"), "dpdk": {"inventory": [NIC]}}),
                server(
                    testNetwork={
                        **ipam(rangeStart="10.9.0.10"),
                        "dpdk": {"inventory": [{**NIC, "cpuSet": "4,5"}]},
                    }
                ),
            ]
        },
        "agentGroups",
        "two DPDK groups list the same NIC",
    ),
    (
        "bad PCI address",
        {
            "agentGroups": [
                server(testNetwork=net(dpdk={"inventory": [{**NIC, "pciId": "0b:00.0"}]}))
            ]
        },
        "agentGroups[0].testNetwork.dpdk.inventory[0].pciId",
        "PCI address",
    ),
    (
        "reversed CPU range",
        {"agentGroups": [server(testNetwork=net(dpdk={"inventory": [{**NIC, "cpuSet": "5-2"}]}))]},
        "agentGroups[0].testNetwork.dpdk.inventory[0].cpuSet",
        "reversed",
    ),
    (
        "CPU named twice",
        {"agentGroups": [server(testNetwork=net(dpdk={"inventory": [{**NIC, "cpuSet": "2,2"}]}))]},
        "agentGroups[0].testNetwork.dpdk.inventory[0].cpuSet",
        "each CPU once",
    ),
]


BAD_CONFIGS += [
    (
        "dpdk env set by hand",
        {
            "agentGroups": [
                server(env={"NUMA_NODE": "1"}, testNetwork=net(dpdk={"inventory": [NIC]}))
            ]
        },
        "agentGroups[0].env",
        "set from testNetwork.dpdk.inventory",
    ),
    (
        "two NICs of one node under one agent per node",
        {
            "agentGroups": [
                server(testNetwork=net(dpdk={"inventory": [NIC, {**NIC, "pciId": "0000:13:00.0"}]}))
            ]
        },
        "agentGroups[0].oneAgentPerNode",
        "must be false",
    ),
    (
        "the multus annotation by hand",
        {
            "agentGroups": [
                server(podAnnotations={"k8s.v1.cni.cncf.io/networks": "other"}, testNetwork=net())
            ]
        },
        "agentGroups[0].podAnnotations",
        "is set from testNetwork",
    ),
    (
        "a group named like a dpdk group's agent",
        {
            "agentGroups": [
                server(testNetwork=net(dpdk={"inventory": [NIC]})),
                server(name="server-0", service=None),
            ]
        },
        "agentGroups[0].name",
        "another group is named server-0",
    ),
]


BAD_CONFIGS += [
    (
        "dpdk cpu limit below the cpuSet",
        {
            "agentGroups": [
                server(
                    resources={"limits": {"cpu": "1"}}, testNetwork=net(dpdk={"inventory": [NIC]})
                )
            ]
        },
        "agentGroups[0].resources.limits.cpu",
        "must be at least 2, the CPUs of the largest cpuSet",
    ),
    (
        "dpdk cpu limit below the second NIC's cpuSet",
        {
            "agentGroups": [
                server(
                    oneAgentPerNode=False,
                    resources={"limits": {"cpu": "3500m"}},
                    testNetwork=net(
                        dpdk={"inventory": [NIC, {**NIC, "pciId": "0000:13:00.0", "cpuSet": "4-7"}]}
                    ),
                )
            ]
        },
        "agentGroups[0].resources.limits.cpu",
        "must be at least 4",
    ),
    (
        "dpdk cpu request by hand",
        {
            "agentGroups": [
                server(
                    resources={"requests": {"cpu": "1"}}, testNetwork=net(dpdk={"inventory": [NIC]})
                )
            ]
        },
        "agentGroups[0].resources.requests.cpu",
        "is set from testNetwork.dpdk.inventory",
    ),
    (
        "gateway among another group's addresses",
        {
            "agentGroups": [
                client(testNetwork=ipam(rangeEnd="10.9.0.100")),
                server(testNetwork=ipam(rangeStart="10.9.0.101", gateway="10.9.0.1")),
            ]
        },
        "agentGroups[1].testNetwork.ipam.gateway",
        "among the addresses 10.9.0.0-10.9.0.100 of agentGroups[0]",
    ),
    (
        "gateway among a later group's addresses",
        {
            "agentGroups": [
                client(testNetwork=ipam(rangeEnd="10.9.0.100", gateway="10.9.0.200")),
                server(testNetwork=ipam(rangeStart="10.9.0.101")),
            ]
        },
        "agentGroups[0].testNetwork.ipam.gateway",
        "of agentGroups[1]",
    ),
    (
        "dpdk on an sriov attachment",
        {
            "agentGroups": [
                server(
                    testNetwork=net(
                        type="sriov",
                        master=None,
                        resourceName="intel.com/vf",
                        dpdk={"inventory": [NIC]},
                    )
                )
            ]
        },
        "agentGroups[0].testNetwork.dpdk",
        "not supported with type 'sriov'",
    ),
]


BAD_CONFIGS += [
    (
        "master on a dpdk host-device attachment",
        {
            "agentGroups": [
                server(
                    testNetwork=net(type="host-device", master="ens224", dpdk={"inventory": [NIC]})
                )
            ]
        },
        "agentGroups[0].testNetwork.master",
        "each inventory NIC gets an attachment that takes it by pciId",
    ),
]


BAD_CONFIGS += [
    (
        "two NICs of one node sharing a CPU",
        {
            "agentGroups": [
                server(
                    oneAgentPerNode=False,
                    testNetwork=net(
                        dpdk={"inventory": [NIC, {**NIC, "pciId": "0000:13:00.0", "cpuSet": "3-5"}]}
                    ),
                )
            ]
        },
        "agentGroups[0].testNetwork.dpdk.inventory[1]",
        "shares CPUs 3 on node 'n1' with agentGroups[0].testNetwork.dpdk.inventory[0]",
    ),
    (
        "two groups' NICs of one node sharing CPUs",
        {
            "agentGroups": [
                client(testNetwork={**ipam(rangeEnd="10.9.0.9"), "dpdk": {"inventory": [NIC]}}),
                server(
                    testNetwork={
                        **ipam(rangeStart="10.9.0.10"),
                        "dpdk": {"inventory": [{**NIC, "pciId": "0000:13:00.0"}]},
                    }
                ),
            ]
        },
        "agentGroups[1].testNetwork.dpdk.inventory[0]",
        "shares CPUs 2,3 on node 'n1' with agentGroups[0]",
    ),
]


test_bad_config_is_rejected_before_any_resource = refusal_table(BAD_CONFIGS, at_least=39)


def test_disjoint_slices_of_one_subnet_are_accepted() -> None:
    settings = parse_settings(
        config_of(
            controllerAddress="10.9.0.200",
            agentGroups=[
                client(testNetwork=ipam(rangeStart="10.9.0.1", rangeEnd="10.9.0.99")),
                server(
                    testNetwork=ipam(
                        rangeStart="10.9.0.100", rangeEnd="10.9.0.199", gateway="10.9.0.254"
                    )
                ),
            ],
        )
    )
    slices = [g.test_network.ipam.slice() for g in settings.agent_groups if g.test_network]
    assert [(str(a), str(b)) for a, b in slices] == [
        ("10.9.0.1", "10.9.0.99"),
        ("10.9.0.100", "10.9.0.199"),
    ]


def test_a_group_without_a_range_slice_takes_its_whole_subnet() -> None:
    settings = parse_settings(config_of(agentGroups=[server(testNetwork=net())]))
    network = settings.agent_groups[0].test_network
    assert network is not None
    assert [str(a) for a in network.ipam.slice()] == ["10.9.0.0", "10.9.0.255"]
    assert network.interface == "net1"


def test_two_nics_of_one_node_run_with_one_agent_per_node_off() -> None:
    nics = [NIC, {**NIC, "pciId": "0000:13:00.0", "cpuSet": "4,5"}]
    settings = parse_settings(
        config_of(
            agentGroups=[server(oneAgentPerNode=False, testNetwork=net(dpdk={"inventory": nics}))]
        )
    )
    network = settings.agent_groups[0].test_network
    assert network is not None and network.dpdk is not None
    assert len(network.dpdk.inventory) == 2


def test_a_dpdk_groups_replicas_follow_its_inventory() -> None:
    nics = [NIC, {**NIC, "node": "n2"}]
    for group in (
        server(testNetwork=net(dpdk={"inventory": nics})),
        server(replicas=2, testNetwork=net(dpdk={"inventory": nics})),
    ):
        settings = parse_settings(config_of(agentGroups=[group]))
        assert settings.agent_groups[0].replicas == 2


def test_a_dpdk_group_with_a_cpu_limit_that_fits_its_cpu_sets_is_accepted() -> None:
    nics = [NIC, {**NIC, "pciId": "0000:13:00.0", "cpuSet": "4-7"}]
    group = server(
        oneAgentPerNode=False,
        resources={"limits": {"cpu": "4"}},
        testNetwork=net(dpdk={"inventory": nics}),
    )
    settings = parse_settings(config_of(agentGroups=[group]))
    assert settings.agent_groups[0].resources.limits.cpu == "4"
    assert settings.agent_groups[0].resources.requests.cpu is None
