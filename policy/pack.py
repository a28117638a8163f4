"""The pack's contents: its name and the policies, each with its enforcement level.

`__main__.py` builds the `PolicyPack` from these; the tests read them without starting it.
"""

from __future__ import annotations

from typing import Final

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    ResourceValidationPolicy,
    StackValidationPolicy,
)

from policy.node_tuning import host_access_policy
from policy.resource_rules import (
    HOSTNAME_TOPOLOGY,
    ONE_PER_NODE_LABEL,
    validate_agent_image_pinned,
    validate_agent_memory_limit,
    validate_agent_security_context,
    validate_one_agent_per_node,
)
from policy.stack_rules import (
    validate_agent_selectors_disjoint,
    validate_agent_services_select_servers,
    validate_eks_kubeconfig_secret,
)
from policy.workloads import APP_LABEL, APP_VALUE, RUN_LABEL, RUN_SERVER

POLICY_PACK_NAME: Final = "cyperf-k8s"

MANDATORY: Final = EnforcementLevel.MANDATORY

POLICIES: Final[list[Policy]] = [
    ResourceValidationPolicy(
        name="cyperf-agent-image-pinned",
        description=(
            "CyPerf agent images carry an explicit tag other than latest, or a sha256 digest."
        ),
        validate=validate_agent_image_pinned,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="cyperf-agent-security-context",
        description=(
            "CyPerf agent containers add exactly NET_ADMIN, IPC_LOCK and NET_RAW, and are neither "
            "privileged nor allowed privilege escalation."
        ),
        validate=validate_agent_security_context,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="cyperf-agent-memory-limit",
        description="Every CyPerf agent container sets resources.limits.memory.",
        validate=validate_agent_memory_limit,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="cyperf-agent-one-per-node",
        description=(
            f"Agent pods labelled {ONE_PER_NODE_LABEL}=true carry a required podAntiAffinity on "
            f"{HOSTNAME_TOPOLOGY} against {APP_LABEL}={APP_VALUE}."
        ),
        validate=validate_one_agent_per_node,
        enforcement_level=MANDATORY,
    ),
    host_access_policy,
    StackValidationPolicy(
        name="cyperf-agent-selectors-disjoint",
        description="No Deployment's selector matches the pods of another CyPerf agent Deployment.",
        validate=validate_agent_selectors_disjoint,
        enforcement_level=MANDATORY,
    ),
    StackValidationPolicy(
        name="cyperf-agent-services-select-servers",
        description=(
            f"A Service that selects CyPerf agent pods selects {RUN_LABEL}={RUN_SERVER} and no "
            "client pod."
        ),
        validate=validate_agent_services_select_servers,
        enforcement_level=MANDATORY,
    ),
    StackValidationPolicy(
        name="eks-kubeconfig-secret",
        description=(
            "A kubernetes provider built from an EKS cluster declares its kubeconfig secret "
            "(additional_secret_outputs=['kubeconfig'])."
        ),
        validate=validate_eks_kubeconfig_secret,
        enforcement_level=MANDATORY,
    ),
]
