"""Under default settings the registered agent objects are Keysight's example manifests, field by
field, apart from a short list of deliberate, named differences."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.support.program import StackRun, config_of, default_cluster_state, run_stack

CONTROLLER = "192.0.2.10"
IMAGE = "public.ecr.aws/keysight/cyperf-agent:release26.0.0"


def official_deployment(role: str) -> dict[str, Any]:
    """The official example Deployment (with AGENT_CONTROLLER filled in and the tag pinned)."""
    labels = {"app": "cyperf-agent"}
    if role == "server":
        labels["run"] = "cyperf-agent-server"
    group = "CyPerf-Agent-Client" if role == "client" else "CyPerf-Agent-Server"
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": f"cyperf-agent-{role}-deployment"},
        "spec": {
            "replicas": 1.0,
            "selector": {"matchLabels": dict(labels)},
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {
                    "containers": [
                        {
                            "name": f"cyperf-agent-{role}",
                            "image": IMAGE,
                            "env": [
                                {"name": "AGENT_CONTROLLER", "value": CONTROLLER},
                                {
                                    "name": "AGENT_TAGS",
                                    "value": f"K8s-Group={group},node-owner=User",
                                },
                            ],
                            "securityContext": {
                                "privileged": False,
                                "capabilities": {"add": ["NET_ADMIN", "IPC_LOCK", "NET_RAW"]},
                            },
                            "resources": {
                                "limits": {"memory": "4Gi"},
                                "requests": {"memory": "2Gi"},
                            },
                        }
                    ],
                    "nodeSelector": {"agenttype": role},
                },
            },
        },
    }


OFFICIAL_SERVICE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "cyperf-agent-service"},
    "spec": {
        "type": "ClusterIP",
        "ports": [{"name": "http", "protocol": "TCP", "port": 80.0, "targetPort": 80.0}],
        "selector": {"run": "cyperf-agent-server"},
    },
}

# The recommended (commented-out) anti-affinity of the examples, which the stack turns on.
OFFICIAL_ANTI_AFFINITY = {
    "podAntiAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": [
            {
                "labelSelector": {
                    "matchExpressions": [
                        {"key": "app", "operator": "In", "values": ["cyperf-agent"]}
                    ]
                },
                "topologyKey": "kubernetes.io/hostname",
            }
        ]
    }
}


def remove_deliberate_differences(role: str, registered: dict[str, Any]) -> dict[str, Any]:
    """Strip exactly the documented differences, asserting each is what we say it is."""
    obj = copy.deepcopy(registered)
    metadata = obj["metadata"]
    # 1. Agents live in their own namespace.
    assert metadata.pop("namespace") == "cyperf"
    # 2. Selector and pod labels gain a per-role `run` label (clients) and a group label, so the
    #    client selector no longer matches server pods (the examples' flaw).
    run = f"cyperf-agent-{role}"
    selector = {"app": "cyperf-agent", "run": run, "cyperf-k8s/agent-group": role}
    assert metadata.pop("labels") == selector
    spec = obj["spec"]
    assert spec["selector"]["matchLabels"] == selector
    spec["selector"]["matchLabels"] = {
        k: v for k, v in selector.items() if k == "app" or (role == "server" and k == "run")
    }
    pod_labels = spec["template"]["metadata"]["labels"]
    # 3. Pods are marked for the policy pack's one-agent-per-node rule.
    assert pod_labels.pop("cyperf-k8s/one-agent-per-node") == "true"
    assert pod_labels == selector
    spec["template"]["metadata"]["labels"] = dict(spec["selector"]["matchLabels"])
    # 4. The recommended one-agent-per-node anti-affinity is on.
    assert spec["template"]["spec"].pop("affinity") == OFFICIAL_ANTI_AFFINITY
    # 5. A bounded rollout, so an unschedulable agent fails `pulumi up` instead of hanging it.
    assert spec.pop("progressDeadlineSeconds") == 300.0
    assert metadata.pop("annotations") == {"pulumi.com/timeoutSeconds": "300"}
    # 6. Updates replace all pods at once: a surge pod would find no free node.
    assert spec.pop("strategy") == {"type": "Recreate"}
    # 7. Hardening that costs the agent nothing: no API token, no privilege escalation.
    pod_spec = spec["template"]["spec"]
    assert pod_spec.pop("automountServiceAccountToken") is False
    # 9. The runtime's default seccomp profile (docs/security.md; `seccompProfile` setting).
    assert pod_spec.pop("securityContext") == {"seccompProfile": {"type": "RuntimeDefault"}}
    security = pod_spec["containers"][0]["securityContext"]
    assert security.pop("allowPrivilegeEscalation") is False
    # 10. One more agent tag, unique to the stack's group, so that two stacks' agents (same
    #     default tags) never match each other's sessions or day-two checks.
    tags = next(e for e in pod_spec["containers"][0]["env"] if e["name"] == "AGENT_TAGS")
    kept = [t for t in tags["value"].split(",") if t != f"cyperf-k8s=test.{role}"]
    assert len(kept) == len(tags["value"].split(",")) - 1
    tags["value"] = ",".join(kept)
    return obj


@pytest.fixture(scope="module")
def default_run() -> StackRun:
    state = default_cluster_state(
        endpoints={"cyperf-agent-service": {"subsets": [{"addresses": [{"ip": "10.244.1.5"}]}]}}
    )
    return run_stack(config_of(controllerAddress=CONTROLLER), state)


@pytest.mark.parametrize("role", ["client", "server"])
def test_deployment_is_the_official_manifest(default_run: StackRun, role: str) -> None:
    registered = default_run.one("kubernetes:apps/v1:Deployment", f"agents-{role}").inputs
    assert remove_deliberate_differences(role, registered) == official_deployment(role)


def test_service_is_the_official_manifest(default_run: StackRun) -> None:
    registered = copy.deepcopy(
        default_run.one("kubernetes:core/v1:Service", "agents-server-service").inputs
    )
    metadata = registered["metadata"]
    assert metadata.pop("namespace") == "cyperf"
    assert metadata.pop("labels") == {"app": "cyperf-agent", "cyperf-k8s/agent-group": "server"}
    assert metadata.pop("annotations") == {"pulumi.com/timeoutSeconds": "300"}
    # The Service selects exactly its own group's server pods.
    assert registered["spec"]["selector"].pop("cyperf-k8s/agent-group") == "server"
    assert registered == OFFICIAL_SERVICE


def test_only_the_guides_objects_are_registered(default_run: StackRun) -> None:
    created = sorted((r.typ, r.name) for r in default_run.resources if r.read_id is None)
    assert created == [
        ("cyperf-k8s:index:CyperfAgents", "agents"),
        ("cyperf-k8s:index:DutOutputs", "dut"),
        ("cyperf-k8s:index:ExistingCluster", "cluster"),
        ("kubernetes:apps/v1:Deployment", "agents-client"),
        ("kubernetes:apps/v1:Deployment", "agents-server"),
        ("kubernetes:core/v1:Namespace", "agents-namespace"),
        ("kubernetes:core/v1:Service", "agents-server-service"),
        ("pulumi:providers:kubernetes", "cluster-kubernetes"),
    ]


def test_client_and_server_selectors_do_not_overlap(default_run: StackRun) -> None:
    deployments = default_run.of_type("kubernetes:apps/v1:Deployment")
    assert len(deployments) == 2
    for selecting in deployments:
        selector = selecting.inputs["spec"]["selector"]["matchLabels"]
        for other in deployments:
            labels = other.inputs["spec"]["template"]["metadata"]["labels"]
            matches = all(labels.get(k) == v for k, v in selector.items())
            assert matches == (selecting is other), (selecting.name, other.name)


def test_every_agent_object_goes_through_the_clusters_provider(default_run: StackRun) -> None:
    provider = default_run.one("pulumi:providers:kubernetes", "cluster-kubernetes")
    kubernetes_objects = [r for r in default_run.resources if r.typ.startswith("kubernetes:")]
    assert len(kubernetes_objects) == 6  # namespace, 2 deployments, service, 2 reads
    for resource in kubernetes_objects:
        assert resource.provider.startswith(provider.urn + "::"), resource.name


def test_components_register_outputs(default_run: StackRun) -> None:
    components = [r for r in default_run.resources if not r.custom]
    assert len(components) == 3
    for component in components:
        assert component.urn in default_run.component_outputs, component.name
