"""The cluster mocks answer like an API server: reads come from the cluster state (or fail),
Services get ClusterIPs and node ports, and no invoke is answered."""

from __future__ import annotations

import functools
from typing import Any

import pulumi
import pytest

from mocks.cluster import CLUSTER_DNS_IP, ClusterMocks, default_cluster_state
from tests.mocks.support import run_done

SERVICE = "kubernetes:core/v1:Service"


def test_reads_come_from_the_cluster_state_or_fail() -> None:
    def body() -> None:
        dns = pulumi.CustomResource(
            "kubernetes:core/v1:Service",
            "dns",
            {},
            pulumi.ResourceOptions(id="kube-system/kube-dns"),
        )
        pulumi.export("done", dns.id.apply(lambda _: True))

    monitor = run_done(ClusterMocks(), body)
    assert [(r.typ, r.read_id) for r in monitor.registered] == [
        ("kubernetes:core/v1:Service", "kube-system/kube-dns")
    ]
    with pytest.raises(Exception, match="mock cluster has no kubernetes:core/v1:Endpoints"):
        run_done(
            ClusterMocks(),
            lambda: pulumi.export(
                "done",
                pulumi.CustomResource(
                    "kubernetes:core/v1:Endpoints",
                    "e",
                    {},
                    pulumi.ResourceOptions(id="cyperf/missing"),
                ).id.apply(lambda _: True),
            ),
        )


def test_answer_every_read_makes_up_distinct_ready_endpoints() -> None:
    read: dict[str, Any] = {}

    def body() -> None:
        outputs = []
        for name in ("a", "b"):
            endpoints = pulumi.CustomResource(
                "kubernetes:core/v1:Endpoints",
                name,
                {"subsets": None},
                pulumi.ResourceOptions(id=f"ns/{name}"),
            )
            outputs.append(endpoints.subsets)  # type: ignore[attr-defined]
        dns = pulumi.CustomResource(
            "kubernetes:core/v1:Service",
            "dns",
            {"spec": None},
            pulumi.ResourceOptions(id="kube-system/other-dns"),
        )
        outputs.append(dns.spec)  # type: ignore[attr-defined]
        pulumi.export("done", pulumi.Output.all(*outputs).apply(lambda v: read.update(v=v) or True))

    run_done(ClusterMocks(cluster_state={}, answer_every_read=True), body)
    a, b, spec = read["v"]
    assert a[0]["addresses"] != b[0]["addresses"]
    assert spec["clusterIP"] == CLUSTER_DNS_IP


def test_unknown_invokes_are_refused() -> None:
    with pytest.raises(Exception, match="unexpected invoke aws:index/getRegion:getRegion"):
        run_done(
            ClusterMocks(),
            lambda: pulumi.export(
                "done", pulumi.runtime.invoke_output("aws:index/getRegion:getRegion", {})
            ),
        )


def test_services_get_cluster_ips_and_node_ports_from_the_api_server() -> None:
    specs = {
        "plain": {"type": "ClusterIP", "ports": [{"port": 80}]},
        "nodes": {"type": "NodePort", "ports": [{"port": 80}, {"port": 443, "nodePort": 30443}]},
        "balanced": {"type": "LoadBalancer", "ports": [{"port": 53}]},
    }
    answered: dict[str, Any] = {}

    def body() -> None:
        # One after the other, so the node ports are handed out in a known order.
        previous: list[pulumi.Resource] = []
        outputs = []
        for name, spec in specs.items():
            service = pulumi.CustomResource(
                SERVICE,
                name,
                {"spec": spec, "status": None},
                pulumi.ResourceOptions(depends_on=previous),
            )
            previous = [service]
            both = pulumi.Output.all(service.spec, service.status)  # type: ignore[attr-defined]
            outputs.append(both.apply(functools.partial(answered.__setitem__, name)))
        pulumi.export("done", pulumi.Output.all(*outputs).apply(lambda _: True))

    run_done(ClusterMocks(), body)
    plain_spec, plain_status = answered["plain"]
    assert plain_spec["clusterIP"] == "10.96.193.51"
    assert plain_spec["ports"] == [{"port": 80}]
    assert plain_status == {"loadBalancer": {}}
    nodes_spec, _ = answered["nodes"]
    assert nodes_spec["clusterIP"] == "10.96.223.91"
    # A configured node port is kept; the API server assigns the others from 31000 on.
    assert nodes_spec["ports"] == [
        {"port": 80, "nodePort": 31000},
        {"port": 443, "nodePort": 30443},
    ]
    balanced_spec, _ = answered["balanced"]
    assert balanced_spec["clusterIP"] == "10.96.139.9"
    assert balanced_spec["ports"] == [{"port": 53, "nodePort": 31001}]


@pytest.mark.parametrize("order", [("web", "db"), ("db", "web")])
def test_a_cluster_ip_follows_the_service_namespace_and_name_not_the_order(
    order: tuple[str, str],
) -> None:
    answered: dict[str, Any] = {}

    def body() -> None:
        previous: list[pulumi.Resource] = []
        outputs = []
        for namespace in ("perf", "other"):
            for name in order:
                service = pulumi.CustomResource(
                    SERVICE,
                    f"{namespace}-{name}",
                    {"metadata": {"name": name, "namespace": namespace}, "spec": {}},
                    pulumi.ResourceOptions(depends_on=previous),
                )
                previous = [service]
                key = f"{namespace}/{name}"
                spec = service.spec  # type: ignore[attr-defined]
                outputs.append(spec.apply(functools.partial(answered.__setitem__, key)))
        pulumi.export("done", pulumi.Output.all(*outputs).apply(lambda _: True))

    run_done(ClusterMocks(), body)
    assert {key: spec["clusterIP"] for key, spec in answered.items()} == {
        "perf/web": "10.96.33.71",
        "perf/db": "10.96.236.196",
        "other/web": "10.96.103.109",
        "other/db": "10.96.19.222",
    }


def test_default_cluster_state_has_the_two_services_the_namespace_and_the_given_endpoints() -> None:
    subsets = [{"addresses": [{"ip": "10.244.0.5"}]}]
    state = default_cluster_state(namespace="perf", endpoints={"web": {"subsets": subsets}})
    assert state == {
        (SERVICE, "kube-system/kube-dns"): {
            "metadata": {"name": "kube-dns", "namespace": "kube-system"},
            "spec": {"clusterIP": CLUSTER_DNS_IP, "type": "ClusterIP"},
        },
        (SERVICE, "default/kubernetes"): {
            "metadata": {"name": "kubernetes", "namespace": "default"},
            "spec": {"clusterIP": "10.96.0.1", "type": "ClusterIP"},
        },
        ("kubernetes:core/v1:Namespace", "perf"): {
            "metadata": {
                "name": "perf",
                "labels": {"pod-security.kubernetes.io/enforce": "privileged"},
            }
        },
        ("kubernetes:core/v1:Endpoints", "perf/web"): {
            "metadata": {"name": "web", "namespace": "perf"},
            "subsets": subsets,
        },
    }
    restricted = {"pod-security.kubernetes.io/enforce": "restricted"}
    labelled = default_cluster_state(namespace_labels=restricted)
    assert labelled[("kubernetes:core/v1:Namespace", "cyperf")]["metadata"]["labels"] == restricted
