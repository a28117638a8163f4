"""Reading workloads: each kind's pod template, its agent containers, and a stack's workloads."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy import ReportViolation, ResourceValidationArgs, StackValidationArgs

from policy.workloads import POD_TEMPLATE_PATHS, Workload, agent_containers, workloads
from tests.policy.support import (
    AGENT_IMAGE,
    AGENT_IMAGE_ARM64,
    DEPLOYMENT,
    Res,
    agent_container,
    agent_deployment,
    run_resource_policy,
    run_stack_policy,
)


def nested(path: tuple[str, ...], template: dict[str, Any]) -> dict[str, Any]:
    """`template` placed at `path` inside otherwise empty props."""
    props: dict[str, Any] = template
    for step in reversed(path):
        props = {step: props}
    return props


def agent_container_labels(
    resource_type: str, props: dict[str, Any], include_patches: bool = False
) -> list[str]:
    """The labels of the agent containers `agent_containers` finds, in order."""

    def report_each(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        for container in agent_containers(args, include_patches):
            report_violation(container.label, None)

    return run_resource_policy(report_each, resource_type, props)


# Every kind with a pod template (README "Rules"), and where it keeps it.
POD_TEMPLATE_KINDS: list[tuple[str, tuple[str, ...]]] = [
    ("kubernetes:core/v1:Pod", ()),
    ("kubernetes:core/v1:PodTemplate", ("template",)),
    ("kubernetes:core/v1:ReplicationController", ("spec", "template")),
    ("kubernetes:apps/v1:Deployment", ("spec", "template")),
    ("kubernetes:apps/v1:StatefulSet", ("spec", "template")),
    ("kubernetes:apps/v1:DaemonSet", ("spec", "template")),
    ("kubernetes:apps/v1:ReplicaSet", ("spec", "template")),
    ("kubernetes:batch/v1:Job", ("spec", "template")),
    ("kubernetes:batch/v1:CronJob", ("spec", "jobTemplate", "spec", "template")),
]


def test_the_workload_kinds_are_exactly_these() -> None:
    assert dict(POD_TEMPLATE_KINDS) == POD_TEMPLATE_PATHS


@pytest.mark.parametrize(("resource_type", "path"), POD_TEMPLATE_KINDS)
def test_every_workload_kind_has_its_pod_template_read(
    resource_type: str, path: tuple[str, ...]
) -> None:
    template = {"spec": {"containers": [{"name": "agent", "image": f"{AGENT_IMAGE}:1"}]}}
    where = ".".join([*path, "spec", "containers"])
    expected = [f"container 'agent' ({where}[0])"]
    assert agent_container_labels(resource_type, nested(path, template)) == expected
    # Server-side-apply patches only when asked for (the image rule is the one that asks).
    patch = f"{resource_type}Patch"
    assert agent_container_labels(patch, nested(path, template)) == []
    assert agent_container_labels(patch, nested(path, template), include_patches=True) == expected


def test_agents_are_found_by_image_or_by_container_name_init_containers_first() -> None:
    props = agent_deployment(container={"name": "dut", "image": "nginx:1.27"})
    spec = props["spec"]["template"]["spec"]
    spec["containers"] += [
        {"name": "a", "image": f"{AGENT_IMAGE_ARM64}:release26.0.0"},
        agent_container("server", image="registry.example/mirror/agent:1"),
        {"name": "b", "image": "registry.example/mirror/cyperf-agent:1"},
    ]
    spec["initContainers"] = [{"name": "warmup", "image": f"{AGENT_IMAGE}@sha256:ab"}]
    assert agent_container_labels(DEPLOYMENT, props) == [
        "container 'warmup' (spec.template.spec.initContainers[0])",
        "container 'a' (spec.template.spec.containers[1])",
        "container 'cyperf-agent-server' (spec.template.spec.containers[2])",
    ]


def found_workloads(resources: list[Res]) -> list[Workload]:
    found: list[Workload] = []

    def collect(args: StackValidationArgs, _report: ReportViolation) -> None:
        found.extend(workloads(args.resources))

    run_stack_policy(collect, resources)
    return found


def test_a_stacks_workloads_carry_what_the_stack_rules_ask_of_them() -> None:
    client = agent_deployment("clients", "client")
    unlabelled_client = {
        "spec": {"containers": [agent_container("client")]},
    }
    server = agent_deployment("servers", "server", namespace=None)
    found = found_workloads(
        [
            Res(DEPLOYMENT, "clients", client),
            Res("kubernetes:core/v1:Pod", "bare-pod", unlabelled_client),
            Res(DEPLOYMENT, "servers", server),
            Res("kubernetes:core/v1:Service", "svc", {"spec": {"selector": {"app": "x"}}}),
        ]
    )
    assert [(w.title, w.namespace, w.is_agent, w.is_client) for w in found] == [
        ("Deployment 'cyperf-agent-clients-deployment'", "cyperf", True, True),
        # No metadata.name: the Pulumi resource name; no labels: not an agent, but a client by
        # its container's name.
        ("Pod 'bare-pod'", None, False, True),
        ("Deployment 'cyperf-agent-servers-deployment'", None, True, False),
    ]
    assert found[0].selector == client["spec"]["selector"]
    assert found[0].labels == client["spec"]["template"]["metadata"]["labels"]
    assert found[1].selector is None  # only Deployments' selectors are read
