"""Every setting reaches the inputs the program registers (read back from the mock monitor)."""

from __future__ import annotations

import pytest

from tests.support.program import StackRun, config_of, default_cluster_state, run_stack

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"


def full_config() -> dict[str, str]:
    return config_of(
        cyperfRelease="release26.0.0",
        controllerAddress="cyperf-proxy.lab.example",
        controllerIsProxy=True,
        kubeconfig=(
            "apiVersion: v1\nkind: Config\nusers: [{name: u, user: {token: s3cr3t}}]\n"
            "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:6443'}}]\n"
            "contexts: [{name: lab, context: {cluster: c, user: u}}]\n"
        ),
        kubeContext="lab",
        namespace="perf",
        createNamespace=False,
        clusterDnsService="dns/coredns",
        rolloutTimeoutSeconds=90,
        nodeLabels={"worker-b": "server", "worker-a": "client"},
        agentGroups=[
            {
                "name": "seg-a",
                "role": "client",
                "replicas": 3,
                "tags": {"segment": "a", "K8s-Group": "clients"},
                "managementInterface": "eth0",
                "testInterface": "eth1",
                "promiscuousInterface": "<all>",
                "env": {"ZZ_LAST": "1", "AA_FIRST": "2"},
                "resources": {
                    "requests": {"cpu": "1", "memory": "1Gi"},
                    "limits": {"cpu": "3.5", "memory": "6Gi"},
                },
                "nodeSelector": {"pool": "traffic"},
                "oneAgentPerNode": False,
                "tolerations": [{"key": "dedicated", "value": "cyperf", "effect": "NoSchedule"}],
                "readiness": {"mode": "agent-started", "periodSeconds": 7},
                "architecture": "arm64",
                "podAnnotations": {"paloaltonetworks.com/firewall": "pan-fw"},
            },
            {
                "name": "web",
                "role": "server",
                "replicas": 2,
                "readiness": {"mode": "http-health-check", "path": "/hc", "port": 8080},
                "service": {
                    "name": "web-svc",
                    "type": "NodePort",
                    "annotations": {"team": "perf"},
                    "ports": [
                        {"name": "http", "port": 8080, "targetPort": 80, "nodePort": 30080},
                        {"name": "https", "port": 443, "targetPort": 443},
                    ],
                },
            },
            {
                "name": "lb",
                "role": "server",
                "replicas": 0,
                "service": {
                    "name": "lb-svc",
                    "type": "LoadBalancer",
                    "loadBalancerAwaitSeconds": 0,
                    "ports": [{"name": "dns", "port": 53, "targetPort": 53, "protocol": "UDP"}],
                },
            },
            {"name": "headless", "role": "server", "service": None},
        ],
    )


@pytest.fixture(scope="module")
def run() -> StackRun:
    state = default_cluster_state(namespace="perf")
    del state[("kubernetes:core/v1:Service", "kube-system/kube-dns")]
    state[(SERVICE, "dns/coredns")] = {"spec": {"clusterIP": "10.43.0.10"}}
    for service in ("web-svc", "lb-svc"):
        state[("kubernetes:core/v1:Endpoints", f"perf/{service}")] = {"subsets": []}
    return run_stack(full_config(), state)


def test_provider_gets_secret_kubeconfig_context_and_identifier(run: StackRun) -> None:
    provider = run.one("pulumi:providers:kubernetes", "cluster-kubernetes")
    assert provider.inputs["context"] == "lab"
    assert "token: s3cr3t" in provider.inputs["kubeconfig"]
    assert provider.inputs["clusterIdentifier"] == "lab"
    assert provider.secret_inputs == {"kubeconfig"}


def test_namespace_not_created_when_told_it_exists(run: StackRun) -> None:
    assert run.of_type("kubernetes:core/v1:Namespace") == []
    [namespace_read] = run.reads("kubernetes:core/v1:Namespace")
    assert namespace_read.read_id == "perf"
    patches = {p.urn for p in run.of_type("kubernetes:core/v1:NodePatch")}
    for deployment in run.of_type(DEPLOYMENT):
        assert deployment.inputs["metadata"]["namespace"] == "perf"
        # The node labels and the Pod Security check of the existing namespace; nothing to
        # create first.
        assert set(deployment.dependencies) == patches | {namespace_read.urn}


def test_node_labels_patch_named_nodes_before_agents(run: StackRun) -> None:
    patches = run.of_type("kubernetes:core/v1:NodePatch")
    # Registration order is not deterministic (registrations run concurrently): sort.
    assert sorted(
        (p.inputs["metadata"]["name"], p.inputs["metadata"]["labels"]) for p in patches
    ) == [
        ("worker-a", {"agenttype": "client"}),
        ("worker-b", {"agenttype": "server"}),
    ]
    for patch in patches:
        assert patch.inputs["metadata"]["annotations"] == {"pulumi.com/patchForce": "true"}
    # Every agent object waits for every label patch (and is deleted before them).
    patch_urns = {p.urn for p in patches}
    [namespace_read] = run.reads("kubernetes:core/v1:Namespace")
    agent_objects = run.of_type(DEPLOYMENT) + run.of_type(SERVICE)
    assert len(agent_objects) == 6
    for obj in agent_objects:
        assert set(obj.dependencies) == patch_urns | {namespace_read.urn}, obj.name


def test_client_group_settings(run: StackRun) -> None:
    spec = run.one(DEPLOYMENT, "agents-seg-a").inputs["spec"]
    assert spec["replicas"] == 3.0
    assert spec["progressDeadlineSeconds"] == 90.0
    pod = spec["template"]["spec"]
    container = pod["containers"][0]
    assert container["image"] == "public.ecr.aws/keysight/cyperf-agent-aarch64:release26.0.0"
    assert container["env"] == [
        {"name": "AGENT_CONTROLLER", "value": "cyperf-proxy.lab.example"},
        {"name": "AGENT_TAGS", "value": "K8s-Group=clients,cyperf-k8s=test.seg-a,segment=a"},
        {"name": "AGENT_MANAGEMENT_INTERFACE", "value": "eth0"},
        {"name": "AGENT_TEST_INTERFACE", "value": "eth1"},
        {"name": "AGENT_PROMISC_INTERFACE", "value": "<all>"},
        {"name": "AA_FIRST", "value": "2"},
        {"name": "ZZ_LAST", "value": "1"},
    ]
    assert container["resources"] == {
        "requests": {"cpu": "1", "memory": "1Gi"},
        "limits": {"cpu": "3.5", "memory": "6Gi"},
    }
    assert container["readinessProbe"] == {
        "exec": {"command": ["/bin/bash", "-c", "cat /appsec/startup_ready"]},
        "periodSeconds": 7.0,
    }
    assert pod["nodeSelector"] == {"pool": "traffic"}
    assert "affinity" not in pod
    assert pod["tolerations"] == [
        {"key": "dedicated", "operator": "Equal", "value": "cyperf", "effect": "NoSchedule"}
    ]
    template_metadata = spec["template"]["metadata"]
    assert template_metadata["annotations"] == {"paloaltonetworks.com/firewall": "pan-fw"}
    assert "cyperf-k8s/one-agent-per-node" not in template_metadata["labels"]


def test_health_check_servers_skip_the_await(run: StackRun) -> None:
    deployment = run.one(DEPLOYMENT, "agents-web").inputs
    assert deployment["metadata"]["annotations"] == {"pulumi.com/skipAwait": "true"}
    probe = deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]
    assert probe == {"httpGet": {"path": "/hc", "port": 8080.0}, "periodSeconds": 5.0}
    service = run.one(SERVICE, "agents-web-service").inputs
    assert service["metadata"]["annotations"] == {
        "team": "perf",
        "pulumi.com/skipAwait": "true",
    }


def test_service_settings(run: StackRun) -> None:
    web = run.one(SERVICE, "agents-web-service").inputs
    assert web["metadata"]["name"] == "web-svc"
    assert web["spec"]["type"] == "NodePort"
    assert web["spec"]["selector"] == {
        "run": "cyperf-agent-server",
        "cyperf-k8s/agent-group": "web",
    }
    assert web["spec"]["ports"] == [
        {
            "name": "http",
            "protocol": "TCP",
            "port": 8080.0,
            "targetPort": 80.0,
            "nodePort": 30080.0,
        },
        {"name": "https", "protocol": "TCP", "port": 443.0, "targetPort": 443.0},
    ]
    lb = run.one(SERVICE, "agents-lb-service").inputs
    assert lb["spec"]["type"] == "LoadBalancer"
    assert lb["spec"]["ports"][0]["protocol"] == "UDP"
    # No replicas and no wait asked: nothing to wait for.
    assert lb["metadata"]["annotations"] == {"pulumi.com/skipAwait": "true"}


def test_group_without_service_has_none(run: StackRun) -> None:
    assert run.one(DEPLOYMENT, "agents-headless")
    services = [s.inputs["metadata"]["name"] for s in run.of_type(SERVICE)]
    assert sorted(services) == ["lb-svc", "web-svc"]


def test_dns_service_read_from_the_configured_name(run: StackRun) -> None:
    reads = run.reads(SERVICE)
    assert [r.read_id for r in reads] == ["dns/coredns"]
    assert run.exports["clusterDnsIp"] == "10.43.0.10"


def test_controller_proxy_and_release_reach_the_outputs(run: StackRun) -> None:
    controller = run.exports["controllerSetup"]["agentController"]
    assert controller == {
        "address": "cyperf-proxy.lab.example",
        "isControllerProxy": True,
        "ingressPorts": [443],
    }


def test_old_release_needs_the_nats_port() -> None:
    run = run_stack(
        config_of(cyperfRelease="release2.6", agentGroups=[{"name": "c", "role": "client"}])
    )
    assert run.exports["controllerSetup"]["agentController"]["ingressPorts"] == [443, 30422]
    image = run.one(DEPLOYMENT, "agents-c").inputs["spec"]["template"]["spec"]["containers"][0]
    assert image["image"] == "public.ecr.aws/keysight/cyperf-agent:release2.6"
    # No controller address: no AGENT_CONTROLLER at all (the guide: omit it when unknown).
    assert [e["name"] for e in image["env"]] == ["AGENT_TAGS"]


def test_load_balancer_wait_is_bounded() -> None:
    run = run_stack(
        config_of(
            agentGroups=[
                {
                    "name": "s",
                    "role": "server",
                    "service": {"type": "LoadBalancer", "loadBalancerAwaitSeconds": 120},
                }
            ]
        ),
        default_cluster_state(endpoints={"cyperf-agent-service": {"subsets": []}}),
    )
    service = run.one(SERVICE, "agents-s-service").inputs
    assert service["metadata"]["annotations"] == {"pulumi.com/timeoutSeconds": "120"}


def test_missing_controller_address_warns(monkeypatch: pytest.MonkeyPatch) -> None:
    import pulumi

    warnings: list[str] = []
    monkeypatch.setattr(
        pulumi.log, "warn", lambda message, *args, **kwargs: warnings.append(message)
    )
    run = run_stack(config_of(agentGroups=[{"name": "c", "role": "client"}]))
    assert len(warnings) == 1
    assert "cyperf-k8s:controllerAddress: is not set" in warnings[0]
    env = run.one(DEPLOYMENT, "agents-c").inputs["spec"]["template"]["spec"]["containers"][0]
    assert "AGENT_CONTROLLER" not in [e["name"] for e in env["env"]]

    warnings.clear()
    run_stack(
        config_of(controllerAddress="10.0.0.1", agentGroups=[{"name": "c", "role": "client"}])
    )
    assert warnings == []
