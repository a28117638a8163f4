"""The test network's specs: the NetworkAttachmentDefinition per attachment type, what the agent
pod template gains per mode, the DPDK inventory's expansion, and reading network-status."""

from __future__ import annotations

import json
from typing import Any

import kubernetes_validate
import pytest

from components import specs, test_network
from components.settings.loading import parse_settings
from components.settings.stack import StackSettings
from tests.support.program import config_of, server

NIC0 = {"node": "n1", "pciId": "0000:0b:00.0", "numaNode": 0, "cpuSet": "2,3"}
NIC1 = {"node": "n2", "pciId": "0000:13:00.0", "numaNode": 1, "cpuSet": "8-11"}


def settings_with(network: dict[str, Any], **group: Any) -> StackSettings:
    return parse_settings(config_of(agentGroups=[server(testNetwork=network, **group)]))


def nad_config(network: dict[str, Any]) -> dict[str, Any]:
    settings = settings_with(network)
    group = settings.agent_groups[0]
    assert group.test_network is not None
    nad = test_network.network_attachment(group, group.test_network, "lab", {"app": "x"})
    assert (nad["apiVersion"], nad["kind"]) == ("k8s.cni.cncf.io/v1", "NetworkAttachmentDefinition")
    assert nad["metadata"]["name"] == "cyperf-server-test"
    assert nad["metadata"]["namespace"] == "lab"
    config: dict[str, Any] = json.loads(nad["spec"]["config"])
    return {**config, "annotations": nad["metadata"].get("annotations")}


WHEREABOUTS = {"type": "whereabouts", "range": "10.9.0.0/24"}


@pytest.mark.parametrize(
    ("network", "expected"),
    [
        (
            {"type": "host-device", "master": "ens224"},
            {"type": "host-device", "device": "ens224"},
        ),
        (
            {"type": "macvlan", "master": "ens224"},
            {"type": "macvlan", "master": "ens224", "mode": "bridge"},
        ),
        (
            {"type": "ipvlan", "master": "ens224"},
            {"type": "ipvlan", "master": "ens224", "mode": "l2"},
        ),
        ({"type": "sriov", "resourceName": "intel.com/vf"}, {"type": "sriov"}),
    ],
)
def test_each_attachment_type_becomes_its_cni_config_with_whereabouts(
    network: dict[str, Any], expected: dict[str, Any]
) -> None:
    config = nad_config({**network, "ipam": {"range": "10.9.0.0/24"}})
    annotations = config.pop("annotations")
    assert config == {
        "cniVersion": "0.3.1",
        "name": "cyperf-server-test",
        **expected,
        "ipam": WHEREABOUTS,
    }
    if network["type"] == "sriov":
        assert annotations == {"k8s.v1.cni.cncf.io/resourceName": "intel.com/vf"}
    else:
        assert annotations is None


def test_a_slice_and_gateway_reach_the_whereabouts_config() -> None:
    config = nad_config(
        {
            "type": "macvlan",
            "master": "ens224",
            "ipam": {
                "range": "10.9.0.0/24",
                "rangeStart": "10.9.0.100",
                "rangeEnd": "10.9.0.199",
                "gateway": "10.9.0.1",
            },
        }
    )
    assert config["ipam"] == {
        **WHEREABOUTS,
        "range_start": "10.9.0.100",
        "range_end": "10.9.0.199",
        "gateway": "10.9.0.1",
    }


def deployments(network: dict[str, Any], **group: Any) -> list[dict[str, Any]]:
    settings = settings_with(network, **group)
    grp = settings.agent_groups[0]
    return test_network.expand(grp, specs.deployment(grp, settings.agents_in("test")))


def env_of(deployment: dict[str, Any]) -> dict[str, str]:
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    return {e["name"]: e["value"] for e in container["env"]}


def test_a_kernel_mode_group_gets_the_multus_annotation_and_both_interfaces() -> None:
    [deployment] = deployments(
        {"type": "macvlan", "master": "ens224", "ipam": {"range": "10.9.0.0/24"}}
    )
    template = deployment["spec"]["template"]
    assert json.loads(template["metadata"]["annotations"]["k8s.v1.cni.cncf.io/networks"]) == [
        {"name": "cyperf-server-test", "interface": "net1"}
    ]
    env = env_of(deployment)
    assert (env["AGENT_MANAGEMENT_INTERFACE"], env["AGENT_TEST_INTERFACE"]) == ("eth0", "net1")
    container = template["spec"]["containers"][0]
    assert container["image"] == "public.ecr.aws/keysight/cyperf-agent:release26.0.0"
    assert container["securityContext"]["privileged"] is False
    assert "volumes" not in template["spec"]
    assert test_network.DPDK_LABEL not in template["metadata"]["labels"]


def test_an_sriov_group_requests_one_device_as_request_and_limit() -> None:
    [deployment] = deployments(
        {"type": "sriov", "resourceName": "intel.com/vf", "ipam": {"range": "10.9.0.0/24"}}
    )
    resources = deployment["spec"]["template"]["spec"]["containers"][0]["resources"]
    assert resources["requests"]["intel.com/vf"] == resources["limits"]["intel.com/vf"] == "1"


def test_a_changed_network_changes_the_pod_template() -> None:
    # Multus reads the attachment only when a pod starts: the agents must restart.
    before = deployments({"type": "macvlan", "master": "ens224", "ipam": {"range": "10.9.0.0/24"}})
    after = deployments({"type": "macvlan", "master": "ens224", "ipam": {"range": "10.8.0.0/24"}})
    assert before[0]["spec"]["template"] != after[0]["spec"]["template"]
    assert before == deployments(
        {"type": "macvlan", "master": "ens224", "ipam": {"range": "10.9.0.0/24"}}
    )


DPDK_NET = {
    "type": "host-device",
    "ipam": {"range": "10.9.0.0/24"},
    "dpdk": {"hugepages": "4Gi", "inventory": [NIC0, NIC1]},
}


def test_a_dpdk_inventory_expands_into_one_pinned_deployment_per_nic() -> None:
    expanded = deployments(DPDK_NET)
    assert [d["metadata"]["name"] for d in expanded] == [
        "cyperf-agent-server-0-deployment",
        "cyperf-agent-server-1-deployment",
    ]
    selectors = [d["spec"]["selector"]["matchLabels"] for d in expanded]
    assert selectors[0] != selectors[1]
    for index, (deployment, nic, hugemem, cpus) in enumerate(
        zip(expanded, (NIC0, NIC1), ("4096", "0,4096"), ("2", "4"), strict=True)
    ):
        assert deployment["spec"]["replicas"] == 1
        template = deployment["spec"]["template"]
        assert template["metadata"]["labels"][test_network.NIC_LABEL] == str(index)
        # Each agent attaches its own NIC's attachment.
        networks = template["metadata"]["annotations"]["k8s.v1.cni.cncf.io/networks"]
        assert json.loads(networks) == [
            {"name": f"cyperf-server-{index}-test", "interface": "net1"}
        ]
        assert template["spec"]["nodeSelector"] == {
            "agenttype": "server",
            "kubernetes.io/hostname": nic["node"],
        }
        env = env_of(deployment)
        assert env["AGENT_MANAGEMENT_INTERFACE"] == "eth0"
        assert "AGENT_TEST_INTERFACE" not in env
        assert env["DPDK_TEST_INTERFACE_PCI_ID"] == nic["pciId"]
        assert env["NUMA_NODE"] == str(nic["numaNode"])
        assert env["AGENT_CPU_SET"] == nic["cpuSet"]
        assert env["DPDK_HUGEMEM_ALLOCATION_SIZE"] == hugemem
        assert env["DPDK_HUGEMEM_ALLOCATION_PREFIX"] == f"cyperf-server-{index}"
        container = template["spec"]["containers"][0]
        assert container["resources"]["requests"]["cpu"] == cpus
        assert container["resources"]["requests"]["hugepages-1Gi"] == "4Gi"
        assert container["resources"]["limits"]["hugepages-1Gi"] == "4Gi"


def test_dpdk_over_host_device_gets_one_attachment_per_nic_by_pci_address() -> None:
    group = settings_with(DPDK_NET).agent_groups[0]
    network = group.test_network
    assert network is not None
    assert test_network.attachment_nics(network) == [0, 1]
    nads = [
        test_network.network_attachment(group, network, "lab", {"app": "x"}, nic)
        for nic in test_network.attachment_nics(network)
    ]
    assert [n["metadata"]["name"] for n in nads] == ["cyperf-server-0-test", "cyperf-server-1-test"]
    assert [json.loads(n["spec"]["config"]) for n in nads] == [
        {
            "cniVersion": "0.3.1",
            "name": f"cyperf-server-{index}-test",
            "type": "host-device",
            "pciBusID": nic["pciId"],
            "ipam": WHEREABOUTS,
        }
        for index, nic in enumerate((NIC0, NIC1))
    ]


def test_dpdk_over_macvlan_keeps_one_attachment_on_its_master() -> None:
    network = {**DPDK_NET, "type": "macvlan", "master": "ens224"}
    group = settings_with(network, oneAgentPerNode=False).agent_groups[0]
    assert group.test_network is not None
    assert test_network.attachment_nics(group.test_network) == [None]
    assert nad_config(network)["master"] == "ens224"


def test_a_dpdk_group_runs_the_dpdk_image_privileged_with_the_host_paths() -> None:
    deployment = deployments(DPDK_NET)[0]
    template = deployment["spec"]["template"]
    container = template["spec"]["containers"][0]
    assert container["image"] == "public.ecr.aws/keysight/cyperf-agent-dpdk:release26.0.0"
    assert container["securityContext"] == {
        "privileged": True,
        "capabilities": {"add": ["NET_ADMIN", "IPC_LOCK", "NET_RAW"]},
    }
    assert [m["mountPath"] for m in container["volumeMounts"]] == [
        "/dev",
        "/lib/modules",
        "/lib/firmware",
    ]
    assert [v["hostPath"]["path"] for v in template["spec"]["volumes"]] == [
        "/dev",
        "/lib/modules",
        "/lib/firmware",
    ]
    assert template["metadata"]["labels"][test_network.DPDK_LABEL] == "true"


def test_a_group_without_a_test_network_is_unchanged() -> None:
    settings = parse_settings(config_of(agentGroups=[server()]))
    group = settings.agent_groups[0]
    plain = specs.deployment(group, settings.agents_in("test"))
    assert test_network.expand(group, plain) == [plain]
    assert "annotations" not in plain["spec"]["template"]["metadata"]
    assert test_network.interfaces(group) == (None, None)


STATUS = json.dumps(
    [
        {"name": "cbr0", "interface": "eth0", "ips": ["10.244.1.5"], "default": True},
        {"name": "cyperf/cyperf-server-test", "interface": "net1", "ips": ["10.9.0.7"]},
    ]
)


@pytest.mark.parametrize(
    ("annotations", "addresses"),
    [
        ({test_network.NETWORK_STATUS_ANNOTATION: STATUS}, ["10.9.0.7"]),
        (
            {
                test_network.NETWORK_STATUS_ANNOTATION: json.dumps(
                    [{"name": "cyperf-server-test", "ips": ["10.9.0.8"]}]
                )
            },
            ["10.9.0.8"],
        ),
        ({test_network.NETWORK_STATUS_ANNOTATION: "not json"}, []),
        ({}, []),
        (None, []),
    ],
)
def test_the_test_address_is_the_attachment_entry_of_network_status(
    annotations: dict[str, str] | None, addresses: list[str]
) -> None:
    assert test_network.test_addresses("cyperf/cyperf-server-test", annotations) == addresses


def test_hugemem_puts_the_share_at_the_nics_numa_node() -> None:
    # Node 0 in Keysight's single-NUMA form, which a one-node host needs.
    assert test_network.hugemem_allocation(0, 2048) == "2048"
    assert test_network.hugemem_allocation(1, 2048) == "0,2048"
    assert test_network.hugemem_allocation(3, 1024) == "0,0,0,1024"


@pytest.mark.parametrize(
    "network",
    [
        DPDK_NET,
        {"type": "sriov", "resourceName": "intel.com/vf", "ipam": {"range": "10.9.0.0/24"}},
    ],
    ids=["dpdk", "sriov"],
)
def test_the_deployments_validate_against_the_kubernetes_schema(network: dict[str, Any]) -> None:
    for deployment in deployments(network):
        kubernetes_validate.validate(deployment, "1.37.0", strict=True)
