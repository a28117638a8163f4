"""The floor a Pulumi user would compare the project with: Keysight's official example manifests
(client and server Deployments, the server Service; the unit test test_contract.py writes them
out field by field) as plain pulumi-kubernetes resources, in the `default` namespace like the
examples, with the placeholders (image tag, controller address, replicas) filled from config.

`cyperf-bare:level` splits the engine's fixed costs: `empty` registers nothing (engine, language
host and Python start), `provider` only a Kubernetes provider (plus its plugin start and
configuration), `manifests` (default) the official objects with the provider's awaits.
"""

from typing import Any

import pulumi

config = pulumi.Config()
level = config.get("level") or "manifests"
if level not in ("empty", "provider", "manifests"):
    raise ValueError(f"cyperf-bare:level: empty, provider or manifests (got {level!r})")

if level != "empty":
    import pulumi_kubernetes as k8s

    provider = k8s.Provider("rig")
    opts = pulumi.ResourceOptions(provider=provider)

if level == "manifests":
    image = config.require("image")
    controller = config.require("controller")
    replicas = config.require_int("replicas")

    def agent(role: str, tags: str, labels: dict[str, str]) -> k8s.apps.v1.Deployment:
        env = [
            {"name": "AGENT_CONTROLLER", "value": controller},
            {"name": "AGENT_TAGS", "value": tags},
        ]
        container = {
            "name": f"cyperf-agent-{role}",
            "image": image,
            "env": env,
            "securityContext": {
                "privileged": False,
                "capabilities": {"add": ["NET_ADMIN", "IPC_LOCK", "NET_RAW"]},
            },
            "resources": {"limits": {"memory": "4Gi"}, "requests": {"memory": "2Gi"}},
        }
        # Plain manifest fields, as in the YAML examples (the SDK accepts them as its dicts).
        spec: Any = {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [container], "nodeSelector": {"agenttype": role}},
            },
        }
        return k8s.apps.v1.Deployment(
            f"cyperf-agent-{role}",
            metadata={"name": f"cyperf-agent-{role}-deployment"},
            spec=spec,
            opts=opts,
        )

    agent("client", "K8s-Group=CyPerf-Agent-Client,node-owner=User", {"app": "cyperf-agent"})
    server_labels = {"app": "cyperf-agent", "run": "cyperf-agent-server"}
    agent("server", "K8s-Group=CyPerf-Agent-Server,node-owner=User", server_labels)
    service_spec: Any = {
        "type": "ClusterIP",
        "selector": {"run": "cyperf-agent-server"},
        "ports": [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": 80}],
    }
    k8s.core.v1.Service(
        "cyperf-agent-service",
        metadata={"name": "cyperf-agent-service"},
        spec=service_spec,
        opts=opts,
    )
