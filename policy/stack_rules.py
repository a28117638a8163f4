"""The stack policies, each right after its validate function.

A stack policy runs once on every resource's planned outputs, at the end of preview and update. A
value that is unknown during preview never produces a violation: the rule skips what it cannot
decide (the update runs every policy again on known values).
"""

from __future__ import annotations

import json
from typing import Final

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from policy.values import (
    Unknown,
    get,
    is_marked_secret,
    same_namespace,
    selector_matches,
    service_selector_matches,
    to_plain,
)
from policy.workloads import (
    APP_LABEL,
    APP_VALUE,
    GROUP_LABEL,
    RUN_CLIENT,
    RUN_LABEL,
    RUN_SERVER,
    object_name,
    workloads,
)

SERVICE: Final = "kubernetes:core/v1:Service"
# A provider resource's type in the engine (and so in policies) is pulumi:providers:<package>;
# kubernetes:index:Provider is only its name in the package schema.
KUBERNETES_PROVIDER_TYPES: Final = frozenset(
    {"pulumi:providers:kubernetes", "kubernetes:index:Provider"}
)
EKS_CLUSTER_TYPES: Final = frozenset({"eks:index:Cluster", "aws:eks/cluster:Cluster"})
KUBECONFIG: Final = "kubeconfig"


def _show(labels: object) -> str:
    return json.dumps(labels, sort_keys=True, default=repr)


def validate_agent_selectors_disjoint(
    args: StackValidationArgs, report_violation: ReportViolation
) -> None:
    found = workloads(args.resources)
    agent_deployments = [w for w in found if w.kind == "Deployment" and w.is_agent]
    for deployment in (w for w in found if w.kind == "Deployment"):
        for other in agent_deployments:
            if other.urn == deployment.urn or not same_namespace(
                deployment.namespace, other.namespace
            ):
                continue
            if selector_matches(deployment.selector, other.labels) is True:
                report_violation(
                    f"{deployment.title}: spec.selector {_show(deployment.selector)} also matches "
                    f"the pods of agent {other.title} (labels {_show(other.labels)}); agent "
                    f"Deployments need disjoint selectors (select on {APP_LABEL}, {RUN_LABEL} and "
                    f"{GROUP_LABEL}).",
                    deployment.urn,
                )


agent_selectors_disjoint_policy: Final = StackValidationPolicy(
    name="cyperf-agent-selectors-disjoint",
    description=(
        "No Deployment's spec.selector matches the pods of another CyPerf agent Deployment "
        f"(pod label {APP_LABEL}: {APP_VALUE}) in the same namespace. Keysight's example "
        f"manifests fail it: their client selector {APP_LABEL}: {APP_VALUE} also matches the "
        "server pods."
    ),
    validate=validate_agent_selectors_disjoint,
    enforcement_level=EnforcementLevel.MANDATORY,
)


def validate_agent_services_select_servers(
    args: StackValidationArgs, report_violation: ReportViolation
) -> None:
    agents = [w for w in workloads(args.resources) if w.is_agent]
    for resource in args.resources:
        if resource.resource_type != SERVICE:
            continue
        props = to_plain(resource.props)
        selector = get(props, "spec", "selector")
        if isinstance(selector, Unknown) or not isinstance(selector, dict) or not selector:
            continue
        title = f"Service {object_name(resource, props)!r}"
        namespace = get(props, "metadata", "namespace")
        reachable = [w for w in agents if same_namespace(namespace, w.namespace)]
        matched = [w for w in reachable if service_selector_matches(selector, w.labels) is True]
        names_agents = (
            selector.get(APP_LABEL) == APP_VALUE
            or selector.get(RUN_LABEL) in (RUN_CLIENT, RUN_SERVER)
            or GROUP_LABEL in selector
        )
        if not matched and not names_agents:
            continue
        run = selector.get(RUN_LABEL)
        if not isinstance(run, Unknown) and run != RUN_SERVER:
            report_violation(
                f"{title}: selector {_show(selector)} selects CyPerf agent pods but does not "
                f"include {RUN_LABEL}: {RUN_SERVER}; agent Services must select server pods only.",
                resource.urn,
            )
        for client in (w for w in matched if w.is_client):
            report_violation(
                f"{title}: selector {_show(selector)} matches the client pods of {client.title} "
                f"(labels {_show(client.labels)}); a Service must never route to agent clients.",
                resource.urn,
            )


agent_services_select_servers_policy: Final = StackValidationPolicy(
    name="cyperf-agent-services-select-servers",
    description=(
        "A Service whose selector matches CyPerf agent pods in the stack, or names agent labels "
        f"({APP_LABEL}: {APP_VALUE}, {RUN_LABEL}: {RUN_CLIENT} or {RUN_SERVER}, {GROUP_LABEL}), "
        f"includes {RUN_LABEL}: {RUN_SERVER} and matches no client pod template ({RUN_LABEL}: "
        f"{RUN_CLIENT}, or a container named {RUN_CLIENT})."
    ),
    validate=validate_agent_services_select_servers,
    enforcement_level=EnforcementLevel.MANDATORY,
)


def _inside_eks_component(resource: PolicyResource) -> bool:
    """Providers the pulumi-eks components create for themselves (not the program's to fix)."""
    parent, seen = resource.parent, set()
    while parent is not None and parent.urn not in seen:
        if parent.resource_type.startswith("eks:"):
            return True
        seen.add(parent.urn)
        parent = parent.parent
    return False


def _eks_origin(resource: PolicyResource, props: object) -> str | None:
    """How `resource` (a kubernetes provider) is built from an EKS cluster, if it is."""
    for dependency in resource.property_dependencies.get(KUBECONFIG, []):
        if dependency.resource_type in EKS_CLUSTER_TYPES:
            return f"its kubeconfig is computed from {dependency.resource_type} {dependency.name!r}"
    for dependency in resource.dependencies:
        if dependency.resource_type in EKS_CLUSTER_TYPES:
            return f"it depends on {dependency.resource_type} {dependency.name!r}"
    kubeconfig = get(props, KUBECONFIG)
    text = kubeconfig if isinstance(kubeconfig, str) else json.dumps(kubeconfig, default=repr)
    if "get-token" in text and "eks" in text:
        return "its kubeconfig authenticates with `aws eks get-token`"
    return None


def validate_eks_kubeconfig_secret(
    args: StackValidationArgs, report_violation: ReportViolation
) -> None:
    for resource in args.resources:
        if resource.resource_type not in KUBERNETES_PROVIDER_TYPES or _inside_eks_component(
            resource
        ):
            continue
        props = to_plain(resource.props)
        origin = _eks_origin(resource, props)
        if origin is None:
            continue
        if KUBECONFIG in resource.opts.additional_secret_outputs:
            continue
        if is_marked_secret(resource.props, KUBECONFIG):
            continue
        report_violation(
            f"kubernetes provider {resource.name!r}: {origin}, but the kubeconfig is not declared "
            f"secret. Pass it as pulumi.Output.secret(...) and set ResourceOptions("
            f"additional_secret_outputs=[{KUBECONFIG!r}]): policies see secret values unwrapped, "
            "so that option is the only proof of secrecy they can check.",
            resource.urn,
        )


eks_kubeconfig_secret_policy: Final = StackValidationPolicy(
    name="eks-kubeconfig-secret",
    description=(
        "A kubernetes provider built from an EKS cluster declares its kubeconfig secret with "
        f"additional_secret_outputs=[{KUBECONFIG!r}] (providers that pulumi-eks creates inside "
        "its own components are exempt)."
    ),
    validate=validate_eks_kubeconfig_secret,
    enforcement_level=EnforcementLevel.MANDATORY,
)
