"""The named DPDK exception: the Deployment the stack renders for a DPDK group passes both the
security-context and the host-access rule; the same privileges on a group without DPDK, on a
DPDK-labelled pod running another image, or beyond the three host paths are refused."""

from __future__ import annotations

import copy
from typing import Any

from components import specs, test_network
from components.settings.loading import parse_settings
from policy import dpdk
from policy.node_tuning import validate_host_access
from policy.resource_rules import validate_agent_image_pinned, validate_agent_security_context
from tests.policy.support import DEPLOYMENT, run_resource_policy
from tests.support.program import config_of, server

NIC = {"node": "n1", "pciId": "0000:0b:00.0", "numaNode": 0, "cpuSet": "2,3"}
NETWORK: dict[str, Any] = {
    "type": "host-device",
    "master": "ens224",
    "ipam": {"range": "10.9.0.0/24"},
}


def rendered(with_dpdk: bool) -> dict[str, Any]:
    # In DPDK mode the host-device attachment takes the NIC by its PCI ID, not by `master`.
    network = {**NETWORK, "master": None, "dpdk": {"inventory": [NIC]}} if with_dpdk else NETWORK
    settings = parse_settings(config_of(agentGroups=[server(testNetwork=network)]))
    group = settings.agent_groups[0]
    return test_network.expand(group, specs.deployment(group, settings.agents_in("test")))[0]


def violations(props: dict[str, Any]) -> list[str]:
    return [
        *run_resource_policy(validate_agent_security_context, DEPLOYMENT, props),
        *run_resource_policy(validate_host_access, DEPLOYMENT, props),
        *run_resource_policy(validate_agent_image_pinned, DEPLOYMENT, props),
    ]


def template(props: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = props["spec"]["template"]
    return spec


def test_the_policy_and_the_spec_agree_on_label_image_and_paths() -> None:
    assert dpdk.DPDK_LABEL == test_network.DPDK_LABEL
    assert dpdk.DPDK_IMAGE_REPOSITORY == test_network.DPDK_IMAGE_REPOSITORY
    assert dpdk.DPDK_HOST_PATHS == test_network.DPDK_HOST_PATHS


def test_the_rendered_dpdk_deployment_passes() -> None:
    assert violations(rendered(with_dpdk=True)) == []


def test_the_same_privileges_on_a_group_without_dpdk_are_refused() -> None:
    dpdk_props = rendered(with_dpdk=True)
    props = rendered(with_dpdk=False)
    assert violations(props) == []
    pod = template(props)
    container = pod["spec"]["containers"][0]
    dpdk_pod = template(dpdk_props)
    container["securityContext"] = copy.deepcopy(
        dpdk_pod["spec"]["containers"][0]["securityContext"]
    )
    container["volumeMounts"] = copy.deepcopy(dpdk_pod["spec"]["containers"][0]["volumeMounts"])
    pod["spec"]["volumes"] = copy.deepcopy(dpdk_pod["spec"]["volumes"])
    found = violations(props)
    assert any("privileged is true" in v for v in found), found
    assert any("allowPrivilegeEscalation is not set" in v for v in found), found
    assert sum("mounts the host path" in v for v in found) == 3, found


def test_the_label_alone_does_not_make_another_image_a_dpdk_agent() -> None:
    props = rendered(with_dpdk=True)
    container = template(props)["spec"]["containers"][0]
    container["image"] = "public.ecr.aws/keysight/cyperf-agent:release26.0.0"
    found = violations(props)
    assert any("privileged is true" in v for v in found), found
    assert any("mounts the host path '/dev'" in v for v in found), found


def test_the_dpdk_image_without_the_label_is_refused() -> None:
    props = rendered(with_dpdk=True)
    del template(props)["metadata"]["labels"][dpdk.DPDK_LABEL]
    found = violations(props)
    assert any("privileged is true" in v for v in found), found


def test_a_dpdk_group_gets_no_other_host_path_nor_the_host_network() -> None:
    props = rendered(with_dpdk=True)
    pod = template(props)["spec"]
    pod["volumes"].append({"name": "etc", "hostPath": {"path": "/etc"}})
    pod["hostNetwork"] = True
    found = violations(props)
    assert any("mounts the host path '/etc'" in v for v in found), found
    assert any("hostNetwork is true" in v for v in found), found
    assert len(found) == 2, found


def test_the_dpdk_image_must_be_pinned_too() -> None:
    props = rendered(with_dpdk=True)
    template(props)["spec"]["containers"][0]["image"] = f"{dpdk.DPDK_IMAGE_REPOSITORY}:latest"
    assert any("latest" in v for v in violations(props))


def test_another_container_of_a_dpdk_pod_may_not_mount_the_host_paths() -> None:
    props = rendered(with_dpdk=True)
    pod = template(props)["spec"]
    mounts = copy.deepcopy(pod["containers"][0]["volumeMounts"])
    image = "public.ecr.aws/docker/library/busybox:1.36"
    pod["initContainers"] = [{"name": "setup", "image": image, "volumeMounts": mounts[:1]}]
    pod["containers"].append({"name": "sidecar", "image": image, "volumeMounts": mounts[1:]})
    found = [v for v in violations(props) if "host path" in v]
    assert [v.partition(";")[0] for v in found] == [
        "container 'setup' (spec.template.spec.initContainers[0]) mounts the host path '/dev' "
        "(spec.template.spec.volumes[0]) but is not a DPDK agent",
        "container 'sidecar' (spec.template.spec.containers[1]) mounts the host path "
        "'/lib/modules' (spec.template.spec.volumes[1]) but is not a DPDK agent",
        "container 'sidecar' (spec.template.spec.containers[1]) mounts the host path "
        "'/lib/firmware' (spec.template.spec.volumes[2]) but is not a DPDK agent",
    ]
