"""host-access-only-node-tuning: the rendered DaemonSet passes; host access anywhere else, or any
extra privilege on the DaemonSet, is reported with the exact reason."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from components.conntrack import daemonset as node_tuning
from components.conntrack.daemonset import node_tuning_daemonset
from policy.node_tuning import (
    NODE_TUNING_HOST_PATH,
    NODE_TUNING_NAME_PREFIX,
    ONLY_NODE_TUNING,
    validate_host_access,
)
from tests.policy.support import DEPLOYMENT, UNKNOWN_STRING, agent_deployment, run_resource_policy

DAEMONSET = "kubernetes:apps/v1:DaemonSet"
TUNING = "container 'conntrack-tuning' (spec.template.spec.containers[0])"


def rendered() -> dict[str, Any]:
    return node_tuning_daemonset(
        instance="client",
        namespace="cyperf",
        node_selector={"agenttype": "client"},
        tolerations=[],
        conntrack_max=450_000,
        time_wait_seconds=None,
    )


def pod(props: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = props["spec"]["template"]["spec"]
    return spec


def violations(props: dict[str, Any], resource_type: str = DAEMONSET) -> list[str]:
    return run_resource_policy(validate_host_access, resource_type, props)


def test_the_policy_and_the_spec_agree_on_name_and_path() -> None:
    assert node_tuning.daemonset_name("x").startswith(NODE_TUNING_NAME_PREFIX)
    assert node_tuning.NETFILTER_HOST_PATH == NODE_TUNING_HOST_PATH


def test_the_rendered_daemonset_passes() -> None:
    assert violations(rendered()) == []


def test_agents_without_host_access_pass() -> None:
    assert violations(agent_deployment(), DEPLOYMENT) == []


def test_the_same_pod_under_another_name_is_refused() -> None:
    props = rendered()
    props["metadata"]["name"] = "sysctl-helper"
    assert violations(props) == [
        f"spec.template.spec.hostNetwork is true; {ONLY_NODE_TUNING}",
        "spec.template.spec.volumes[0] mounts the host path '/proc/sys/net/netfilter'; "
        + ONLY_NODE_TUNING,
    ]


def test_host_access_in_a_deployment_is_refused() -> None:
    props = agent_deployment()
    spec = pod(props)
    spec["hostPID"] = True
    spec["volumes"] = [{"name": "root", "hostPath": {"path": "/"}}]
    spec["containers"][0]["ports"] = [{"containerPort": 80, "hostPort": 80}]
    assert violations(props, DEPLOYMENT) == [
        f"spec.template.spec.hostPID is true; {ONLY_NODE_TUNING}",
        f"spec.template.spec.volumes[0] mounts the host path '/'; {ONLY_NODE_TUNING}",
        "container 'cyperf-agent-client' (spec.template.spec.containers[0]): "
        f"ports[0].hostPort is set; {ONLY_NODE_TUNING}",
    ]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda s: s.update(hostPID=True), "spec.template.spec.hostPID is true"),
        (lambda s: s.update(hostIPC=True), "spec.template.spec.hostIPC is true"),
        (
            lambda s: s["volumes"].append({"name": "sys", "hostPath": {"path": "/sys"}}),
            "spec.template.spec.volumes[1] mounts the host path '/sys'",
        ),
        (
            lambda s: s["containers"][0]["securityContext"].update(privileged=True),
            f"{TUNING}: privileged is true",
        ),
        (
            lambda s: s["containers"][0]["securityContext"]["capabilities"].update(
                add=["NET_ADMIN"]
            ),
            f"{TUNING}: adds capabilities ['NET_ADMIN']; the sysctls need none",
        ),
        (
            lambda s: s["containers"][0]["securityContext"]["capabilities"].update(drop=[]),
            f"{TUNING}: must drop ALL capabilities",
        ),
        (
            lambda s: s["containers"][0]["securityContext"].pop("allowPrivilegeEscalation"),
            f"{TUNING}: must set allowPrivilegeEscalation: false",
        ),
    ],
)
def test_the_daemonset_gets_nothing_beyond_what_it_needs(change: Any, problem: str) -> None:
    props = copy.deepcopy(rendered())
    change(pod(props))
    assert violations(props) == [f"{problem}; {ONLY_NODE_TUNING}"]


def test_an_unknown_host_path_is_skipped_during_preview() -> None:
    props = agent_deployment()
    pod(props)["volumes"] = [{"name": "x", "hostPath": {"path": UNKNOWN_STRING}}]
    assert violations(props, DEPLOYMENT) == []


def test_resources_without_a_pod_template_are_ignored() -> None:
    assert violations({"metadata": {"name": "svc"}, "spec": {}}, "kubernetes:core/v1:Service") == []
