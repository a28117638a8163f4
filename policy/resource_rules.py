"""The agent resource policies, each right after its validate function.

A resource policy runs on one resource's inputs, during preview and update. A value that is
unknown during preview never produces a violation: the rule skips what it cannot decide (the update
runs every policy again on known values).
"""

from __future__ import annotations

from typing import Final

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from policy.dpdk import DESCRIPTION as DPDK_DESCRIPTION
from policy.dpdk import is_dpdk_agent
from policy.values import (
    Unknown,
    as_dict,
    as_list,
    get,
    image_pin_problem,
    parse_image,
    quantity_is_positive,
)
from policy.workloads import (
    AGENT_CONTAINER_NAMES,
    AGENT_IMAGE_REPOSITORIES,
    APP_LABEL,
    APP_VALUE,
    agent_containers,
    join_path,
    resource_pod_template,
)

AGENT_CAPABILITIES: Final = ("NET_ADMIN", "IPC_LOCK", "NET_RAW")
ONE_PER_NODE_LABEL: Final = "cyperf-k8s/one-agent-per-node"
HOSTNAME_TOPOLOGY: Final = "kubernetes.io/hostname"


def validate_agent_image_pinned(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    for container in agent_containers(args, include_patches=True):
        if not isinstance(container.image, str):
            continue  # unknown during preview, or missing (the API server rejects that)
        problem = image_pin_problem(parse_image(container.image))
        if problem is not None:
            report_violation(
                f"{container.label}: image {container.image!r} {problem}; pin an explicit "
                "release tag (e.g. release26.0.0) or a digest (@sha256:...).",
                None,
            )


agent_image_pinned_policy: Final = ResourceValidationPolicy(
    name="cyperf-agent-image-pinned",
    description=(
        "CyPerf agent images carry an explicit tag other than latest (in any letter case) or a "
        "@sha256:<64 hex digits> digest. An agent container runs "
        f"{' or '.join(sorted(AGENT_IMAGE_REPOSITORIES))}, or is named "
        f"{' or '.join(sorted(AGENT_CONTAINER_NAMES))}; init containers and server-side-apply "
        "patches of workloads count too."
    ),
    validate=validate_agent_image_pinned,
    enforcement_level=EnforcementLevel.MANDATORY,
)


def _capabilities_problem(added: object) -> str | None:
    """Why capabilities.add is not exactly the agent's three, or None (also when undecidable)."""
    if isinstance(added, Unknown):
        return None
    names = as_list(added)
    if any(isinstance(name, Unknown) for name in names):
        return None
    have = {name for name in names if isinstance(name, str)}
    missing = [c for c in AGENT_CAPABILITIES if c not in have]
    extra = sorted(have - set(AGENT_CAPABILITIES)) + [
        repr(n) for n in names if not isinstance(n, str)
    ]
    details = []
    if missing:
        details.append(f"missing {', '.join(missing)}")
    if extra:
        details.append(f"must not add {', '.join(extra)}")
    return "; ".join(details) or None


def _privilege_escalation_problem(allowed: object) -> str | None:
    """Why allowPrivilegeEscalation does not forbid escalation, or None.

    Kubernetes treats an unset field as true, so only an explicit false passes.
    """
    if allowed is False or isinstance(allowed, Unknown):
        return None
    if allowed is None:
        return "is not set, which Kubernetes treats as true"
    if allowed is True:
        return "is true"
    return f"is {allowed!r}, not false"


def validate_agent_security_context(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    template = resource_pod_template(args)
    for container in agent_containers(args):
        security = container.spec.get("securityContext")
        if isinstance(security, Unknown):
            continue
        # The named exception: a DPDK group's agent runs privileged, which the API server
        # refuses together with allowPrivilegeEscalation: false.
        privileged_dpdk = (
            template is not None
            and is_dpdk_agent(template, container)
            and get(security, "privileged") is True
        )
        capabilities = _capabilities_problem(get(security, "capabilities", "add"))
        if capabilities is not None:
            report_violation(
                f"{container.label}: securityContext.capabilities.add must be exactly "
                f"[{', '.join(AGENT_CAPABILITIES)}] ({capabilities}).",
                None,
            )
        if get(security, "privileged") is True and not privileged_dpdk:
            report_violation(
                f"{container.label}: securityContext.privileged is true; agents run unprivileged "
                "with the three capabilities only.",
                None,
            )
        escalation = _privilege_escalation_problem(get(security, "allowPrivilegeEscalation"))
        if escalation is not None and not privileged_dpdk:
            report_violation(
                f"{container.label}: securityContext.allowPrivilegeEscalation {escalation}; "
                "set it to false.",
                None,
            )


agent_security_context_policy: Final = ResourceValidationPolicy(
    name="cyperf-agent-security-context",
    description=(
        f"CyPerf agent containers add exactly the capabilities {', '.join(AGENT_CAPABILITIES)} "
        "(ALL counts as extra), are not privileged, and set allowPrivilegeEscalation: false "
        "explicitly (Kubernetes treats an unset field as true). " + DPDK_DESCRIPTION
    ),
    validate=validate_agent_security_context,
    enforcement_level=EnforcementLevel.MANDATORY,
)


def _quantity_problem(value: object) -> str | None:
    if isinstance(value, bool):
        return f"is {value!r}, not a quantity"
    if isinstance(value, int | float):
        return None if value > 0 else f"is {value!r}"
    if not isinstance(value, str) or not value:
        return "is not set"
    return None if quantity_is_positive(value) else f"is {value!r}, not a positive quantity"


def validate_agent_memory_limit(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    for container in agent_containers(args):
        memory = get(container.spec, "resources", "limits", "memory")
        if isinstance(memory, Unknown):
            continue
        problem = _quantity_problem(memory)
        if problem is not None:
            report_violation(
                f"{container.label}: resources.limits.memory {problem}; every agent container "
                "needs a memory limit (e.g. 4Gi).",
                None,
            )


agent_memory_limit_policy: Final = ResourceValidationPolicy(
    name="cyperf-agent-memory-limit",
    description="CyPerf agent containers set resources.limits.memory to a positive quantity.",
    validate=validate_agent_memory_limit,
    enforcement_level=EnforcementLevel.MANDATORY,
)


def _selects_all_agent_pods(selector: object) -> bool:
    """A labelSelector whose every requirement is app=cyperf-agent (and has at least one)."""
    if not isinstance(selector, dict):
        return False
    match_labels = as_dict(selector.get("matchLabels"))
    expressions = as_list(selector.get("matchExpressions"))
    if not match_labels and not expressions:
        return False  # an empty selector matches every pod, not just the agents
    for key, value in match_labels.items():
        if (key, value) != (APP_LABEL, APP_VALUE):
            return False
    for expression in expressions:
        values = get(expression, "values")
        if (
            get(expression, "key") != APP_LABEL
            or get(expression, "operator") != "In"
            or not isinstance(values, list)
            or not values
            or any(value != APP_VALUE for value in values)
        ):
            return False
    return True


def _is_one_agent_per_node_term(term: object) -> bool:
    return (
        get(term, "topologyKey") == HOSTNAME_TOPOLOGY
        and _selects_all_agent_pods(get(term, "labelSelector"))
        and not as_list(get(term, "matchLabelKeys"))
        and not as_list(get(term, "mismatchLabelKeys"))
    )


def validate_one_agent_per_node(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    template = resource_pod_template(args)
    if template is None or get(template.labels, ONE_PER_NODE_LABEL) != "true":
        return
    terms = get(
        template.spec,
        "affinity",
        "podAntiAffinity",
        "requiredDuringSchedulingIgnoredDuringExecution",
    )
    if isinstance(terms, Unknown) or any(isinstance(term, Unknown) for term in as_list(terms)):
        return
    if any(_is_one_agent_per_node_term(term) for term in as_list(terms)):
        return
    where = join_path(template.where, "spec", "affinity", "podAntiAffinity")
    report_violation(
        f"pod template labelled {ONE_PER_NODE_LABEL}=true has no "
        f"{where}.requiredDuringSchedulingIgnoredDuringExecution term with topologyKey "
        f"{HOSTNAME_TOPOLOGY} and labelSelector {APP_LABEL} In [{APP_VALUE}] (or matchLabels "
        f"{APP_LABEL}: {APP_VALUE}); without it two agents can share a node.",
        None,
    )


one_agent_per_node_policy: Final = ResourceValidationPolicy(
    name="cyperf-agent-one-per-node",
    description=(
        f"A pod template labelled {ONE_PER_NODE_LABEL}=true has a required podAntiAffinity term "
        f"with topologyKey {HOSTNAME_TOPOLOGY} whose labelSelector selects exactly "
        f"{APP_LABEL}={APP_VALUE} ({APP_LABEL} In [{APP_VALUE}], or matchLabels {APP_LABEL}: "
        f"{APP_VALUE}); a narrower or empty selector, or one with matchLabelKeys or "
        "mismatchLabelKeys, does not count."
    ),
    validate=validate_one_agent_per_node,
    enforcement_level=EnforcementLevel.MANDATORY,
)
