"""The host-access policy, right after its validate function.

The one workload it lets through is the node-tuning DaemonSet, which the stack renders with
`conntrack.nodeTuning: true` (components/conntrack/daemonset.py). Values unknown during preview are
skipped, like in the other rules.
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
from policy.dpdk import DPDK_HOST_PATHS, is_dpdk_agent
from policy.values import Unknown, as_dict, as_list, get, to_plain
from policy.workloads import Container, PodTemplate, containers, pod_template

DAEMONSET: Final = "kubernetes:apps/v1:DaemonSet"
NODE_TUNING_NAME_PREFIX: Final = "cyperf-node-tuning-"
NODE_TUNING_HOST_PATH: Final = "/proc/sys/net/netfilter"
HOST_NAMESPACE_FIELDS: Final = ("hostNetwork", "hostPID", "hostIPC")
ONLY_NODE_TUNING: Final = (
    "host access is allowed only to the node-tuning DaemonSet "
    f"({NODE_TUNING_NAME_PREFIX}<group>: the host network and {NODE_TUNING_HOST_PATH}, "
    "no capabilities, no privilege escalation)."
)


def is_node_tuning(resource_type: str, props: object) -> bool:
    name = get(props, "metadata", "name")
    return (
        resource_type == DAEMONSET
        and isinstance(name, str)
        and name.startswith(NODE_TUNING_NAME_PREFIX)
    )


def _host_paths(spec: object) -> list[tuple[int, object, object]]:
    """(index, volume name, host path) of each hostPath volume."""
    found = []
    for index, volume in enumerate(as_list(get(spec, "volumes"))):
        host_path = get(volume, "hostPath")
        if host_path is not None:
            found.append((index, get(volume, "name"), get(host_path, "path")))
    return found


def _mounted_by(template: PodTemplate, volume: object) -> list[Container]:
    """The containers (init containers too) that mount the named volume."""
    return [
        container
        for container in containers(template)
        if any(
            get(mount, "name") == volume for mount in as_list(container.spec.get("volumeMounts"))
        )
    ]


def _tuning_container_problems(label: str, security: object) -> list[str]:
    if isinstance(security, Unknown):
        return []
    problems = []
    capabilities = as_dict(get(security, "capabilities"))
    added = capabilities.get("add")
    if not isinstance(added, Unknown) and as_list(added):
        problems.append(f"{label}: adds capabilities {as_list(added)!r}; the sysctls need none")
    dropped = capabilities.get("drop")
    if not isinstance(dropped, Unknown) and "ALL" not in as_list(dropped):
        problems.append(f"{label}: must drop ALL capabilities")
    escalation = get(security, "allowPrivilegeEscalation")
    if not isinstance(escalation, Unknown) and escalation is not False:
        problems.append(f"{label}: must set allowPrivilegeEscalation: false")
    return problems


def validate_host_access(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = to_plain(args.props)
    template = pod_template(args.resource_type, props)
    if template is None:
        return
    tuning = is_node_tuning(args.resource_type, props)
    # The named exception: a DPDK group's agent containers and their host paths.
    dpdk_agents = {c.where for c in containers(template) if is_dpdk_agent(template, c)}
    where = f"{template.where}.spec" if template.where else "spec"
    problems: list[str] = []
    for field in HOST_NAMESPACE_FIELDS:
        if get(template.spec, field) is True and not (tuning and field == "hostNetwork"):
            problems.append(f"{where}.{field} is true")
    for index, volume, path in _host_paths(template.spec):
        if isinstance(path, Unknown) or (tuning and path == NODE_TUNING_HOST_PATH):
            continue
        if not (dpdk_agents and path in DPDK_HOST_PATHS):
            problems.append(f"{where}.volumes[{index}] mounts the host path {path!r}")
            continue
        # The exception covers the DPDK agent containers only: another container of the same
        # pod mounting these paths gets no such grant.
        problems.extend(
            f"{container.label} mounts the host path {path!r} ({where}.volumes[{index}]) but is "
            "not a DPDK agent"
            for container in _mounted_by(template, volume)
            if container.where not in dpdk_agents
        )
    for container in containers(template):
        security = container.spec.get("securityContext")
        if get(security, "privileged") is True and container.where not in dpdk_agents:
            problems.append(f"{container.label}: privileged is true")
        for index, port in enumerate(as_list(container.spec.get("ports"))):
            if isinstance(get(port, "hostPort"), int | float):
                problems.append(f"{container.label}: ports[{index}].hostPort is set")
        if tuning:
            problems.extend(_tuning_container_problems(container.label, security))
    for problem in problems:
        report_violation(f"{problem}; {ONLY_NODE_TUNING}", None)


host_access_policy: Final = ResourceValidationPolicy(
    name="host-access-only-node-tuning",
    description=(
        f"Host access in a pod template ({', '.join(HOST_NAMESPACE_FIELDS)}, hostPath volumes, "
        "hostPort, privileged: true) is refused except in the node-tuning DaemonSet "
        f"{NODE_TUNING_NAME_PREFIX}<group>. That DaemonSet may use only the host network and the "
        f"hostPath {NODE_TUNING_HOST_PATH}; its containers add no capability, drop ALL and set "
        "allowPrivilegeEscalation: false. " + DPDK_DESCRIPTION
    ),
    validate=validate_host_access,
    enforcement_level=EnforcementLevel.MANDATORY,
)
