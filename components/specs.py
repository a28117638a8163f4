"""Pure functions from settings to Kubernetes object specs (camelCase dicts, as the API takes them).

The agent contract follows Keysight's example manifests field by field; the deliberate
differences are: a per-role `run` label and a per-group label so client and server selectors never
overlap, a namespace, the await annotations that keep `pulumi up` from hanging, and the hardening
that costs the agent nothing (no API token, no privilege escalation, a seccomp profile).
"""

from __future__ import annotations

from typing import Any

from components import cyperf, pod_security, test_network
from components.conntrack.planner import local_port_range_sysctl
from components.settings.agent_groups import STACK_TAG_KEY, AgentGroup
from components.settings.service import ServiceSettings
from components.settings.stack import AgentsSettings

APP_LABEL = "app"
APP_VALUE = "cyperf-agent"
RUN_LABEL = "run"
GROUP_LABEL = "cyperf-k8s/agent-group"
# Marks pods whose group asked for one agent per node (the policy pack checks the affinity).
ONE_PER_NODE_LABEL = "cyperf-k8s/one-agent-per-node"
AGENT_CAPABILITIES = ("NET_ADMIN", "IPC_LOCK", "NET_RAW")
HOSTNAME_TOPOLOGY = "kubernetes.io/hostname"
STARTUP_READY_FILE = "/appsec/startup_ready"
SKIP_AWAIT = "pulumi.com/skipAwait"
AWAIT_TIMEOUT = "pulumi.com/timeoutSeconds"
LOCAL_PORT_RANGE_SYSCTL = "net.ipv4.ip_local_port_range"

# `cyperf-k8s=<stack>.<group>` (STACK_TAG_KEY, refused as a user tag key) is on every agent so
# that day-two commands and a session's ByTag assignment find this stack's agents and no other
# stack's: the default tags are the same everywhere.
DEFAULT_TAGS = {
    "client": {"K8s-Group": "CyPerf-Agent-Client", "node-owner": "User"},
    "server": {"K8s-Group": "CyPerf-Agent-Server", "node-owner": "User"},
}


def run_label(role: str) -> str:
    return f"cyperf-agent-{role}"


def deployment_name(group: AgentGroup) -> str:
    return f"cyperf-agent-{group.name}-deployment"


def container_name(group: AgentGroup) -> str:
    return f"cyperf-agent-{group.role}"


def agent_image(group: AgentGroup, release: str) -> str:
    return cyperf.agent_image(release, group.architecture)


def agent_tags(group: AgentGroup, stack: str) -> dict[str, str]:
    tags = dict(group.tags) if group.tags else dict(DEFAULT_TAGS[group.role])
    tags[STACK_TAG_KEY] = stack_tag_value(stack, group.name)
    return tags


def stack_tag_value(stack: str, group: str) -> str:
    return f"{stack}.{group}"


def render_agent_tags(tags: dict[str, str]) -> str:
    """AGENT_TAGS as the agent reads it: `key=value` pairs, comma-separated, in key order."""
    return ",".join(f"{key}={tags[key]}" for key in sorted(tags))


def selector_labels(group: AgentGroup) -> dict[str, str]:
    return {APP_LABEL: APP_VALUE, RUN_LABEL: run_label(group.role), GROUP_LABEL: group.name}


def pod_labels(group: AgentGroup) -> dict[str, str]:
    labels = selector_labels(group)
    if group.one_agent_per_node:
        labels[ONE_PER_NODE_LABEL] = "true"
    return labels


def service_selector(group: AgentGroup) -> dict[str, str]:
    # `run: cyperf-agent-server` keeps the guide's `kubectl get pods -l run=...` commands true.
    return {RUN_LABEL: run_label("server"), GROUP_LABEL: group.name}


def agent_env(
    group: AgentGroup, controller_address: str | None, stack: str
) -> list[dict[str, str]]:
    env = []
    if controller_address is not None:
        env.append({"name": "AGENT_CONTROLLER", "value": controller_address})
    env.append({"name": "AGENT_TAGS", "value": render_agent_tags(agent_tags(group, stack))})
    management, test = test_network.interfaces(group)
    for name, value in (
        ("AGENT_MANAGEMENT_INTERFACE", management),
        ("AGENT_TEST_INTERFACE", test),
        ("AGENT_PROMISC_INTERFACE", group.promiscuous_interface),
    ):
        if value is not None:
            env.append({"name": name, "value": value})
    env.extend({"name": name, "value": group.env[name]} for name in sorted(group.env))
    return env


def _quantities(values: Any) -> dict[str, str]:
    return {key: value for key, value in (("cpu", values.cpu), ("memory", values.memory)) if value}


def readiness_probe(group: AgentGroup) -> dict[str, Any] | None:
    readiness = group.readiness
    if readiness.mode == "agent-started":
        return {
            "exec": {"command": ["/bin/bash", "-c", f"cat {STARTUP_READY_FILE}"]},
            "periodSeconds": readiness.period_seconds,
        }
    if readiness.mode == "http-health-check":
        return {
            "httpGet": {"path": readiness.path, "port": readiness.port},
            "periodSeconds": readiness.period_seconds,
        }
    return None


def agent_container(group: AgentGroup, agents: AgentsSettings) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": container_name(group),
        "image": agent_image(group, agents.release),
        "env": agent_env(group, agents.controller_address, agents.stack),
        "securityContext": {
            "privileged": False,
            # Unset means true: a setuid binary in the image could otherwise gain privileges.
            "allowPrivilegeEscalation": False,
            "capabilities": {"add": list(AGENT_CAPABILITIES)},
        },
        "resources": {
            kind: quantities
            for kind, quantities in (
                ("limits", _quantities(group.resources.limits)),
                ("requests", _quantities(group.resources.requests)),
            )
            if quantities
        },
    }
    probe = readiness_probe(group)
    if probe is not None:
        container["readinessProbe"] = probe
    return container


def one_agent_per_node_affinity() -> dict[str, Any]:
    return {
        "podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {
                    "labelSelector": {
                        "matchExpressions": [
                            {"key": APP_LABEL, "operator": "In", "values": [APP_VALUE]}
                        ]
                    },
                    "topologyKey": HOSTNAME_TOPOLOGY,
                }
            ]
        }
    }


def tolerations(
    group: AgentGroup, cluster_tolerations: list[dict[str, str]]
) -> list[dict[str, str]]:
    """The group's tolerations and the cluster's; the node-tuning DaemonSet gets the same list."""
    configured = [t.model_dump(exclude_none=True) for t in group.tolerations]
    return configured + [t for t in cluster_tolerations if t not in configured]


def deployment_awaits(group: AgentGroup) -> bool:
    # The controller's health check answers only while a test runs: waiting for Ready would
    # hang `pulumi up` until its timeout on every first deploy.
    return group.readiness.mode != "http-health-check"


def deployment(
    group: AgentGroup,
    agents: AgentsSettings,
    cluster_tolerations: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    annotations = (
        {AWAIT_TIMEOUT: str(agents.rollout_timeout_seconds)}
        if deployment_awaits(group)
        else {SKIP_AWAIT: "true"}
    )
    pod_spec: dict[str, Any] = {
        # Agents never call the Kubernetes API: no token to steal from a test endpoint.
        "automountServiceAccountToken": False,
        # Pod level, so every container inherits it; set even when Unconfined, or a kubelet
        # with seccompDefault would apply RuntimeDefault anyway (docs/security.md).
        "securityContext": {"seccompProfile": {"type": group.seccomp_profile}},
        "containers": [agent_container(group, agents)],
        "nodeSelector": dict(group.effective_node_selector),
    }
    if group.one_agent_per_node:
        pod_spec["affinity"] = one_agent_per_node_affinity()
    group_tolerations = tolerations(group, cluster_tolerations or [])
    if group_tolerations:
        pod_spec["tolerations"] = group_tolerations
    port_range = local_port_range_sysctl(
        group.role, group.replicas, group.conntrack, group.local_port_range
    )
    if port_range is not None:
        # A safe, namespaced sysctl: the kubelet allows it without any flag.
        pod_spec["securityContext"]["sysctls"] = [
            {"name": LOCAL_PORT_RANGE_SYSCTL, "value": port_range}
        ]
    template_metadata: dict[str, Any] = {"labels": pod_labels(group)}
    if group.pod_annotations:
        template_metadata["annotations"] = dict(group.pod_annotations)
    spec = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": deployment_name(group),
            "namespace": agents.namespace,
            "labels": selector_labels(group),
            "annotations": annotations,
        },
        "spec": {
            "replicas": group.replicas,
            # A pod that cannot be placed (no eligible node left under one-agent-per-node) fails
            # the rollout after this deadline instead of the provider's ten-minute default.
            "progressDeadlineSeconds": agents.rollout_timeout_seconds,
            # A template change from Pulumi recreates the whole Deployment (components/agents.py);
            # this covers a rollout started in the cluster (`kubectl rollout restart`):
            # RollingUpdate would surge a pod that, under one agent per node with replicas equal
            # to the eligible nodes, has no node, and stall. Recreate never needs a spare node
            # (docs/day-two.md).
            "strategy": {"type": "Recreate"},
            "selector": {"matchLabels": selector_labels(group)},
            "template": {"metadata": template_metadata, "spec": pod_spec},
        },
    }
    return test_network.attach(group, agents.release, spec)


def service_awaits(group: AgentGroup, service: ServiceSettings) -> bool:
    # A Service waits for a ready endpoint (and a LoadBalancer for its address): impossible with
    # no replicas or with servers that turn ready only during a test, optional for load balancers.
    if group.replicas == 0 or not deployment_awaits(group):
        return False
    return not (service.type == "LoadBalancer" and service.load_balancer_await_seconds == 0)


def service(group: AgentGroup, svc: ServiceSettings, agents: AgentsSettings) -> dict[str, Any]:
    annotations = dict(svc.annotations)
    if not service_awaits(group, svc):
        annotations[SKIP_AWAIT] = "true"
    elif svc.type == "LoadBalancer":
        annotations[AWAIT_TIMEOUT] = str(svc.load_balancer_await_seconds)
    else:
        annotations[AWAIT_TIMEOUT] = str(agents.rollout_timeout_seconds)
    ports = []
    for port in svc.ports:
        spec: dict[str, Any] = {
            "name": port.name,
            "protocol": port.protocol,
            "port": port.port,
            "targetPort": port.target_port,
        }
        if port.node_port is not None:
            spec["nodePort"] = port.node_port
        ports.append(spec)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": svc.name,
            "namespace": agents.namespace,
            "labels": {APP_LABEL: APP_VALUE, GROUP_LABEL: group.name},
            "annotations": annotations,
        },
        "spec": {"type": svc.type, "selector": service_selector(group), "ports": ports},
    }


def namespace(agents: AgentsSettings) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": agents.namespace,
            "labels": {APP_LABEL: APP_VALUE, **pod_security.namespace_labels()},
        },
    }


def node_label_patch(node: str, role: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": node,
            "labels": {cyperf.ROLE_LABEL: role},
            # Take the label over even when `kubectl label` set it before.
            "annotations": {"pulumi.com/patchForce": "true"},
        },
    }
