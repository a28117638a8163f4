"""The pack: its name and its rules, in the order the CLI lists them.

Each rule (name, description, enforcement level, validate function) is defined once, beside its
validate function; this list only gathers them. `__main__.py` serves the pack, and the tests read
it without starting it.
"""

from __future__ import annotations

from typing import Final

from pulumi_policy import Policy

from policy.node_tuning import host_access_policy
from policy.resource_rules import (
    agent_image_pinned_policy,
    agent_memory_limit_policy,
    agent_security_context_policy,
    one_agent_per_node_policy,
)
from policy.stack_rules import (
    agent_selectors_disjoint_policy,
    agent_services_select_servers_policy,
    eks_kubeconfig_secret_policy,
)

POLICY_PACK_NAME: Final = "cyperf-k8s"

POLICIES: Final[list[Policy]] = [
    agent_image_pinned_policy,
    agent_security_context_policy,
    agent_memory_limit_policy,
    one_agent_per_node_policy,
    host_access_policy,
    agent_selectors_disjoint_policy,
    agent_services_select_servers_policy,
    eks_kubeconfig_secret_policy,
]
