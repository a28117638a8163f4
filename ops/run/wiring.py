"""Pure wiring: the stack's outputs and a test definition -> the session patches of a run.

Every body is built from the `cyperf` client's own models (`to_dict()`: JSON aliases, unset
fields left out), so a value the client would refuse (a DNS name server that is no IPv4 literal,
a single-label DUT host) fails here, before anything is sent. Fields and URL shapes: the 26.1.2
client's `models/ip_network.py`, `agent_assignments.py`, `dns_resolver.py`, `ip_range.py`,
`dut_network.py`, `health_check_config.py`, `timeline_segment_union.py`; the node URLs below
`/config/config/` are the ones snappi-cyperf uses (`snappi_cyperf/RESTasV3.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ops.errors import UsageError
from ops.run.definition import Destination, TestDefinition

TAG_KEY = "cyperf-k8s"
# Destinations through a Service are DNATed by kube-proxy: switching between them and pod IPs is
# the switch the guide's 120-second rule is about.
CONNTRACK_KIND = {
    "pod-ip": "pod",
    "service": "service",
    "node-port": "service",
    "load-balancer": "service",
}


def partial(model: Any, **fields: Any) -> dict[str, Any]:
    """A PATCH body of some fields of a client model, each validated as the model validates it
    (types, patterns, nested models), keyed by JSON alias."""
    holder = model.model_construct()
    body: dict[str, Any] = {}
    for name, value in fields.items():
        model.__pydantic_validator__.validate_assignment(holder, name, value)
        checked = getattr(holder, name)
        alias = model.model_fields[name].alias or name
        body[alias] = _plain(checked)
    return body


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value.to_dict() if hasattr(value, "to_dict") else value


def stack_tag(stack: str, group: str) -> str:
    """The tag unique to a stack's group (every agent of the group carries it)."""
    return f"{TAG_KEY}={stack}.{group}"


@dataclass(frozen=True)
class Target:
    mode: str
    host: str
    port: int | None
    server: str


@dataclass
class Patch:
    path: str  # below /api/v2/sessions/{id}/config/config/
    body: dict[str, Any]
    what: str


@dataclass
class Plan:
    patches: list[Patch] = field(default_factory=list)
    targets: dict[str, Target] = field(default_factory=dict)  # client segment -> target
    notes: list[str] = field(default_factory=list)


def target(
    destination: Destination,
    mode: str,
    setup: Mapping[str, Any],
    services: Mapping[str, Any],
    node_address: str | None,
) -> Target:
    """The DUT host and port for one client segment, from the stack's outputs."""
    server = destination.server
    service = services.get(server)
    ports = (service or {}).get("ports", [])
    chosen = next((p for p in ports if p["name"] == destination.port), ports[0] if ports else None)
    hosts = setup.get("dutHost", {}).get(server, {})
    port: int | None
    if mode == "pod-ip":
        pod_ips = hosts.get("podIps") or []
        if not pod_ips:
            raise UsageError(f"server group {server!r} lists no ready pod IP (serverPodIps)")
        host, port = pod_ips[0], chosen["targetPort"] if chosen else None
        if not isinstance(port, int):
            port = None
    elif not service:
        raise UsageError(f"server group {server!r} has no Service for mode {mode!r}")
    elif mode == "service":
        host, port = service["clusterIp"], chosen["port"] if chosen else None
    elif mode == "node-port":
        if not node_address:
            raise UsageError(f"no node address for the node port of group {server!r}")
        host, port = node_address, chosen.get("nodePort") if chosen else None
    else:
        host = service.get("loadBalancerAddress")
        if not host:
            raise UsageError(
                f"the Service of group {server!r} has no load-balancer address yet "
                "(serverServices): run `pulumi up` again once the cloud assigned one"
            )
        port = chosen["port"] if chosen else None
    return Target(mode=mode, host=str(host), port=port, server=server)


def _by_name(items: list[dict[str, Any]], name: str, kind: str) -> dict[str, Any]:
    for item in items:
        if item.get("Name") == name:
            return item
    names = ", ".join(repr(i.get("Name")) for i in items) or "none"
    raise UsageError(f"the config has no {kind} named {name!r} (it has {names})")


def _segments(config: Mapping[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(profile path, kind, segment) for every network segment of the config tree."""
    found = []
    for profile in config.get("Config", {}).get("NetworkProfiles") or []:
        base = f"NetworkProfiles/{profile['id']}"
        for kind in ("IPNetworkSegment", "DUTNetworkSegment"):
            for segment in profile.get(kind) or []:
                found.append((f"{base}/{kind}/{segment['id']}", kind, segment))
    return found


def plan(
    definition: TestDefinition,
    modes: Mapping[str, str],
    stack: str,
    outputs: Mapping[str, Any],
    config: Mapping[str, Any],
    node_address: str | None = None,
) -> Plan:
    """The patches that wire the stack into the session's config (`config` is the session's
    `GET .../config?include=all` answer)."""
    from cyperf.models.agent_assignments import AgentAssignments
    from cyperf.models.dns_resolver import DNSResolver
    from cyperf.models.dut_network import DUTNetwork
    from cyperf.models.health_check_config import HealthCheckConfig
    from cyperf.models.ip_network import IPNetwork
    from cyperf.models.ip_range import IPRange
    from cyperf.models.name_server import NameServer
    from cyperf.models.params import Params
    from cyperf.models.timeline_segment_union import TimelineSegmentUnion

    setup = outputs.get("controllerSetup") or {}
    services = outputs.get("serverServices") or {}
    dns = outputs.get("clusterDnsIp")
    segments = _segments(config)
    ip_segments = [s for _, kind, s in segments if kind == "IPNetworkSegment"]
    dut_segments = [s for _, kind, s in segments if kind == "DUTNetworkSegment"]
    path_of = {id(s): path for path, _, s in segments}
    result = Plan()
    for entry in definition.segments:
        segment = _by_name(ip_segments, entry.name, "IP network segment")
        path = path_of[id(segment)]
        fields: dict[str, Any] = {
            "agent_assignments": AgentAssignments(by_tag=[stack_tag(stack, entry.group)], by_id=[])
        }
        if entry.destination is not None and dns:
            fields["dns_resolver"] = DNSResolver(name_servers=[NameServer(name=dns)])
        body = partial(IPNetwork, **fields)
        result.patches.append(Patch(path, body, f"{entry.name}: agents of group {entry.group}"))
        for ip_range in segment.get("IPRanges") or []:
            automatic = partial(IPRange, ip_auto=True, net_mask_auto=True, gw_auto=True)
            result.patches.append(
                Patch(f"{path}/IPRanges/{ip_range['id']}", automatic, f"{entry.name}: Automatic IP")
            )
        if entry.destination is None:
            continue
        dest = entry.destination
        aim = target(dest, modes[entry.name], setup, services, node_address or dest.node_address)
        result.targets[entry.name] = aim
        dut = _by_name(dut_segments, dest.dut_segment, "DUT network segment")
        dut_path = path_of[id(dut)]
        dut_fields: dict[str, Any] = {
            "active": True,
            "server_dut_active": True,
            "server_dut_host": aim.host,
        }
        if aim.port is not None:
            dut_fields["server_dut_port"] = aim.port
        dut_body = partial(DUTNetwork, **dut_fields)
        result.patches.append(
            Patch(dut_path, dut_body, f"{dest.dut_segment}: {aim.mode} {aim.host}:{aim.port}")
        )
        check = setup.get("httpHealthCheck", {}).get(dest.server)
        if check is None:
            result.notes.append(
                f"{dest.dut_segment}: HTTP health check left as the config has it (group "
                f"{dest.server!r} has no readiness mode 'http-health-check')"
            )
            continue
        health = partial(HealthCheckConfig, enabled=True, port=check["port"])
        result.patches.append(
            Patch(f"{dut_path}/HTTPHealthCheck", health, f"{dest.dut_segment}: health check")
        )
        params = (dut.get("HTTPHealthCheck") or {}).get("Params") or []
        # The target URL is the parameter with id 1 in snappi-cyperf's RESTasV3.py.
        url_param = next((p for p in params if str(p.get("id")) == "1"), None)
        if url_param is None:
            raise UsageError(
                f"the config's {dest.dut_segment!r} has no HTTP health check target URL parameter"
            )
        result.patches.append(
            Patch(
                f"{dut_path}/HTTPHealthCheck/Params/1",
                partial(Params, value=check["targetUrl"]),
                f"{dest.dut_segment}: health check URL",
            )
        )
    result.patches.extend(_objectives(definition, config, TimelineSegmentUnion))
    return result


def _objectives(definition: TestDefinition, config: Mapping[str, Any], model: Any) -> list[Patch]:
    wanted = definition.objectives
    if wanted.duration is None and wanted.rate is None:
        return []
    patches = []
    for profile in config.get("Config", {}).get("TrafficProfiles") or []:
        objective = (profile.get("ObjectivesAndTimeline") or {}).get("PrimaryObjective") or {}
        steady = [
            s for s in objective.get("Timeline") or [] if s.get("SegmentType") == "SteadySegment"
        ]
        if not steady:
            raise UsageError(
                f"objectives: traffic profile {profile.get('Name')!r} has no steady segment"
            )
        segment = steady[0]
        fields: dict[str, Any] = {}
        if wanted.duration is not None:
            fields["duration"] = wanted.duration
        if wanted.rate is not None:
            fields["objective_value"] = wanted.rate
        body = partial(model, **fields)
        patches.append(
            Patch(
                f"TrafficProfiles/{profile['id']}/ObjectivesAndTimeline/PrimaryObjective/"
                f"Timeline/{segment['id']}",
                body,
                f"objectives of {profile.get('Name')}",
            )
        )
    return patches
