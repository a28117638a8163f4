"""Test networks through the real `pulumi preview` / `up` / `destroy` on the local rig.

The rig has no CNI: no Multus, no Whereabouts, no device plugin, no packet moves. What it shows:
without the NetworkAttachmentDefinition CRD the preview stops before anything exists; with it the
stack creates the attachments; DPDK inventory nodes that do not match the group or lack hugepages
are refused; pods schedule only on fake nodes advertising the hugepages and the device resource
(the real scheduler counts them); the network-status annotation, set on the fake pods by hand where
Multus would, reaches the outputs on the next `up` (the first `up` reads pods Multus never
annotated); a changed network replaces the Deployment; a second preview is empty; destroy leaves
nothing. docs/test-networks.md lists what rests on reasoning and the checks on real hardware.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from tests.e2e.conftest import NAMESPACE, Rig, stack_of
from tests.e2e.test_stacks import nothing_of_the_stack_left, preview_steps

pytestmark = pytest.mark.e2e

NAD_CRD = "network-attachment-definitions.k8s.cni.cncf.io"
RESOURCE = "example.com/vf"
STATUS = "k8s.v1.cni.cncf.io/network-status"
# The fake nodes that advertise what the groups need; rig-server-3 and rig-client-2/3 do not.
WITH_VF = ("rig-server-1", "rig-server-2")
WITH_HUGEPAGES = "rig-client-1"

CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": NAD_CRD},
    "spec": {
        "group": "k8s.cni.cncf.io",
        "scope": "Namespaced",
        "names": {
            "plural": "network-attachment-definitions",
            "singular": "network-attachment-definition",
            "kind": "NetworkAttachmentDefinition",
            "shortNames": ["net-attach-def"],
        },
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {
                                "type": "object",
                                "properties": {"config": {"type": "string"}},
                            }
                        },
                    }
                },
            }
        ],
    },
}


def server_network(range_: str) -> dict[str, Any]:
    return {"type": "sriov", "resourceName": RESOURCE, "ipam": {"range": range_}}


def config(
    server_range: str = "198.18.0.0/24", dpdk_nodes: tuple[str, ...] = (WITH_HUGEPAGES,)
) -> dict[str, Any]:
    inventory = [
        {"node": node, "pciId": f"0000:0b:00.{i}", "numaNode": 0, "cpuSet": "2,3"}
        for i, node in enumerate(dpdk_nodes)
    ]
    return {
        "cyperf-k8s:controllerAddress": "192.0.2.10",
        "cyperf-k8s:rolloutTimeoutSeconds": 60,
        "cyperf-k8s:agentGroups": [
            {
                "name": "dpdk",
                "role": "client",
                "testNetwork": {
                    "type": "host-device",
                    "ipam": {"range": "198.19.0.0/24"},
                    "dpdk": {"hugepages": "2Gi", "inventory": inventory},
                },
            },
            {
                "name": "server",
                "role": "server",
                "replicas": 2,
                "testNetwork": server_network(server_range),
            },
        ],
    }


def set_status(rig: Rig, node: str, extra: dict[str, str | None]) -> None:
    patch = {"status": {"capacity": extra, "allocatable": extra}}
    rig.run(
        "kubectl",
        "patch",
        "node",
        node,
        "--subresource=status",
        "--type=merge",
        "-p",
        json.dumps(patch),
    )


@pytest.fixture(scope="module")
def equipped(rig: Rig) -> Iterator[None]:
    for node in WITH_VF:
        set_status(rig, node, {RESOURCE: "2"})
    set_status(rig, WITH_HUGEPAGES, {"hugepages-1Gi": "4Gi"})
    try:
        yield
    finally:
        for node in WITH_VF:
            set_status(rig, node, {RESOURCE: None})
        set_status(rig, WITH_HUGEPAGES, {"hugepages-1Gi": None})


def live_pods(rig: Rig, group: str) -> list[dict[str, Any]]:
    return [
        p
        for p in rig.pods(f"cyperf-k8s/agent-group={group}")
        if not p["metadata"].get("deletionTimestamp")
    ]


def running(rig: Rig, group: str, count: int) -> bool:
    pods = live_pods(rig, group)
    return len(pods) == count and all(p["status"].get("phase") == "Running" for p in pods)


def annotate(rig: Rig, pods: list[dict[str, Any]], addresses: list[str]) -> None:
    """What Multus would write: the pod network as default, the attachment with its address."""
    for pod, address in zip(pods, addresses, strict=True):
        status = [
            {
                "name": "k8s-pod-network",
                "interface": "eth0",
                "ips": [pod["status"].get("podIP", "")],
                "default": True,
            },
            {"name": f"{NAMESPACE}/cyperf-server-test", "interface": "net1", "ips": [address]},
        ]
        rig.run(
            "kubectl",
            "annotate",
            "pod",
            "-n",
            NAMESPACE,
            pod["metadata"]["name"],
            "--overwrite",
            f"{STATUS}={json.dumps(status)}",
        )


def test_without_the_multus_crd_nothing_is_created(rig: Rig, equipped: None) -> None:
    with stack_of(rig, "no-multus", config()) as stack:
        result = rig.pulumi("preview", stack=stack, check=False)
        assert result.returncode != 0
        assert NAD_CRD in result.text
        assert rig.run("kubectl", "get", "namespace", NAMESPACE, check=False).returncode != 0


def test_test_networks_schedule_where_the_resources_are_and_drive_the_outputs(
    rig: Rig, equipped: None
) -> None:
    crd_file = rig.project / "nad-crd.json"
    crd_file.write_text(json.dumps(CRD))
    rig.run("kubectl", "apply", "-f", str(crd_file))
    rig.run("kubectl", "wait", "--for=condition=Established", f"crd/{NAD_CRD}", "--timeout=60s")
    try:
        with stack_of(rig, "test-networks", config(dpdk_nodes=("rig-server-1",))) as stack:
            # An inventory node the group does not run on, and one without hugepages: refused by
            # the reads before anything exists.
            refused = rig.pulumi("preview", stack=stack, check=False)
            assert refused.returncode != 0
            assert "agentGroups[0].testNetwork.dpdk.inventory[0].node" in refused.text
            assert "does not match the group's node selector" in refused.text
            assert rig.run("kubectl", "get", "namespace", NAMESPACE, check=False).returncode != 0
            stack_file = rig.project / "stacks" / f"Pulumi.{stack}.yaml"
            stack_file.write_text(yaml.safe_dump({"config": config(dpdk_nodes=("rig-client-2",))}))
            lacking = rig.pulumi("preview", stack=stack, check=False)
            assert lacking.returncode != 0
            assert "has hugepages-1Gi 0 allocatable" in lacking.text, lacking.text
            assert rig.run("kubectl", "get", "namespace", NAMESPACE, check=False).returncode != 0

            stack_file.write_text(yaml.safe_dump({"config": config()}))
            rig.up(stack)
            nads = rig.kubectl_json("get", "network-attachment-definitions", "-n", NAMESPACE)[
                "items"
            ]
            assert sorted(n["metadata"]["name"] for n in nads) == [
                "cyperf-dpdk-0-test",
                "cyperf-server-test",
            ]
            dpdk_nad = next(n for n in nads if n["metadata"]["name"] == "cyperf-dpdk-0-test")
            assert json.loads(dpdk_nad["spec"]["config"])["pciBusID"] == "0000:0b:00.0"
            server_nad = next(n for n in nads if n["metadata"]["name"] == "cyperf-server-test")
            assert json.loads(server_nad["spec"]["config"])["ipam"] == {
                "type": "whereabouts",
                "range": "198.18.0.0/24",
            }
            # The scheduler placed the agents only where the resources are.
            rig.wait_for(lambda: running(rig, "server", 2), "two server agents")
            servers = sorted(live_pods(rig, "server"), key=lambda p: p["metadata"]["name"])
            assert sorted(p["spec"]["nodeName"] for p in servers) == sorted(WITH_VF)
            [dpdk] = live_pods(rig, "dpdk")
            assert dpdk["spec"]["nodeName"] == WITH_HUGEPAGES
            container = dpdk["spec"]["containers"][0]
            assert container["resources"]["limits"]["hugepages-1Gi"] == "2Gi"
            assert container["securityContext"]["privileged"] is True

            # Pods Multus never annotated: no test addresses yet.
            outputs = rig.outputs(stack)
            assert outputs["serverTestIps"] == {"server": []}
            assert sorted(outputs["serverPodIps"]["server"]) == sorted(
                p["status"]["podIP"] for p in servers
            )

            annotate(rig, servers, ["198.18.0.1", "198.18.0.2"])
            rig.up(stack)
            outputs = rig.outputs(stack)
            assert outputs["serverTestIps"] == {"server": ["198.18.0.1", "198.18.0.2"]}
            assert outputs["controllerSetup"]["dutHost"]["server"]["testIps"] == [
                "198.18.0.1",
                "198.18.0.2",
            ]
            assert preview_steps(rig, stack) == []

            # A changed network: the attachment is updated and the agents restart on it.
            old = {p["metadata"]["uid"] for p in servers}
            stack_file.write_text(yaml.safe_dump({"config": config(server_range="198.18.8.0/24")}))
            rig.up(stack)
            rig.wait_for(lambda: running(rig, "server", 2), "two new server agents")
            assert not old & {p["metadata"]["uid"] for p in live_pods(rig, "server")}
            server_nad = rig.kubectl_json(
                "get", "network-attachment-definitions", "-n", NAMESPACE, "cyperf-server-test"
            )
            assert json.loads(server_nad["spec"]["config"])["ipam"]["range"] == "198.18.8.0/24"
            assert rig.outputs(stack)["serverTestIps"] == {"server": []}
            assert preview_steps(rig, stack) == []

            rig.pulumi("destroy", "--yes", "--skip-preview", stack=stack)
            nothing_of_the_stack_left(rig)
            assert rig.kubectl_json("get", "network-attachment-definitions", "-A")["items"] == []
    finally:
        rig.run("kubectl", "delete", "-f", str(crd_file), "--ignore-not-found")
