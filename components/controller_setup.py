"""Pure functions that turn what the cluster reports into what the tester types into the controller.

Each entry of `controller_setup` answers one item of the guide's test-configuration checklist.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

from components import cyperf, specs
from components.settings.agent_groups import AgentGroup
from components.settings.stack import AgentsSettings


class ServerAddresses(TypedDict):
    ready: list[str]
    notReady: list[str]


class ServiceReport(TypedDict):
    name: str
    type: str
    clusterIp: str | None
    ports: list[dict[str, Any]]
    loadBalancerAddress: str | None


def endpoint_addresses(subsets: Sequence[Any] | None) -> ServerAddresses:
    """Ready and not-yet-ready pod IPs from an Endpoints object's subsets, sorted and unique."""
    ready: set[str] = set()
    not_ready: set[str] = set()
    for subset in subsets or ():
        ready.update(_ips(_get(subset, "addresses")))
        not_ready.update(_ips(_get(subset, "not_ready_addresses")))
    return {"ready": sorted(ready, key=_ip_order), "notReady": sorted(not_ready, key=_ip_order)}


def missing_pod_ips_warning(group: str, replicas: int, addresses: ServerAddresses) -> str | None:
    """Said when a group that awaited its rollout still lists fewer ready pod IPs than replicas
    (the Endpoints lagged behind the pods), so the tester does not type an incomplete list."""
    if len(addresses["ready"]) >= replicas:
        return None
    return (
        f"serverPodIps[{group}] lists {len(addresses['ready'])} of {replicas} servers: the "
        "cluster's Endpoints had not caught up with the pods when they were read. Run "
        "`pulumi up` again (it re-reads them) before typing the addresses into the controller."
    )


def _ips(addresses: Sequence[Any] | None) -> list[str]:
    return [_get(a, "ip") for a in addresses or () if _get(a, "ip")]


def _get(obj: Any, key: str) -> Any:
    """Read a field from an SDK output object or from a plain (camelCase) dict."""
    if type(obj) is dict:  # SDK output types subclass dict but want attribute access
        camel = key.split("_")[0] + "".join(part.title() for part in key.split("_")[1:])
        return obj.get(key, obj.get(camel))
    return getattr(obj, key, None)


def _ip_order(ip: str) -> tuple[int, ...]:
    return tuple(int(part) for part in ip.split(".")) if ip.count(".") == 3 else (1 << 16,)


def service_report(name: str, spec: Any, status: Any) -> ServiceReport:
    ports = []
    for port in _get(spec, "ports") or ():
        entry = {
            "name": _get(port, "name"),
            "protocol": _get(port, "protocol") or "TCP",
            "port": _int(_get(port, "port")),
            "targetPort": _int(_get(port, "target_port")),
        }
        node_port = _get(port, "node_port")
        if node_port:
            entry["nodePort"] = _int(node_port)
        ports.append(entry)
    ingress = _get(_get(status, "load_balancer"), "ingress") or []
    lb_addresses = [_get(i, "ip") or _get(i, "hostname") for i in ingress]
    lb_address = next((a for a in lb_addresses if a), None)
    return {
        "name": name,
        "type": _get(spec, "type") or "ClusterIP",
        "clusterIp": _get(spec, "cluster_ip"),
        "ports": ports,
        "loadBalancerAddress": lb_address,
    }


def _int(value: Any) -> Any:
    # Ports come back as floats through the engine; a named targetPort stays a string.
    return int(value) if isinstance(value, float) and value.is_integer() else value


def agent_assignment(groups: Sequence[AgentGroup], stack: str) -> dict[str, dict[str, Any]]:
    """Per group: the tags to search for in the controller's Agent Assignment dialog."""
    return {
        group.name: {
            "role": group.role,
            "replicas": group.replicas,
            "tags": [f"{k}={v}" for k, v in sorted(specs.agent_tags(group, stack).items())],
            "podSelector": ",".join(
                f"{k}={v}" for k, v in sorted(specs.selector_labels(group).items())
            ),
        }
        for group in groups
    }


def controller_setup(
    agents: AgentsSettings,
    servers: Mapping[str, ServerAddresses],
    services: Mapping[str, ServiceReport],
    dns_server_ip: str | None,
    conntrack: Mapping[str, Any] | None = None,
    test_ips: Mapping[str, list[str]] | None = None,
) -> dict[str, Any]:
    dut_hosts: dict[str, Any] = {}
    destination_ports: dict[str, Any] = {}
    for group in agents.server_groups:
        addresses = servers.get(group.name)
        choices: dict[str, Any] = {"podIps": addresses["ready"] if addresses else []}
        if group.test_network is not None:
            # The DUT-facing addresses: the pod IPs are then only the agents' management side.
            choices["testIps"] = list((test_ips or {}).get(group.name, []))
        report = services.get(group.name)
        if report is not None:
            choices["serviceClusterIp"] = report["clusterIp"]
            node_ports = {p["name"]: p["nodePort"] for p in report["ports"] if "nodePort" in p}
            if node_ports:
                choices["nodePorts"] = node_ports
                choices["nodeAddresses"] = (
                    "the IP of any node (north-south clients outside the cluster)"
                )
            if report["loadBalancerAddress"]:
                choices["loadBalancerAddress"] = report["loadBalancerAddress"]
            destination_ports[group.name] = {
                "destinationPort": {p["name"]: p["port"] for p in report["ports"]},
                "serverPort": {p["name"]: p["targetPort"] for p in report["ports"]},
            }
        dut_hosts[group.name] = choices

    health_checks = {
        group.name: {
            "enabled": True,
            "targetUrl": group.readiness.path,
            "port": group.readiness.port,
        }
        for group in agents.server_groups
        if group.readiness.mode == "http-health-check"
    }
    setup: dict[str, Any] = {
        "agentController": {
            "address": agents.controller_address,
            "isControllerProxy": agents.controller_is_proxy,
            "ingressPorts": cyperf.controller_ports(agents.release),
        },
        "agentAssignment": agent_assignment(agents.groups, agents.stack),
        "networkSegmentIpRange": "Automatic IP, automatic prefix length, automatic gateway",
        "dutHost": dut_hosts,
        "dnsResolverNameServer": dns_server_ip,
        "connectionPorts": destination_ports,
        "httpHealthCheck": health_checks,
    }
    # Only stacks that plan conntrack get the key: a stack without a plan has nothing to show.
    if conntrack:
        setup["conntrack"] = dict(conntrack)
    return setup
