"""`verify`: match the stack's agent pods to the agents the controller lists (pure logic).

An agent registers with its management IP (for these deployments: the pod IP) and the tags of
its `AGENT_TAGS`. Per group, each pod's agent is
  registered  the controller lists an online agent with the pod's IP and all the group's tags
  missing     no agent with the pod's IP (or the pod has no IP yet)
  offline     the controller knows the IP but marks that agent offline
  mistagged   an online agent has the IP but lacks some of the group's tags
and extras are agents carrying all the group's tags whose IP is no pod of the stack (stale
agents of deleted pods, or another deployment with the same tags): a tag search in the
controller's Agent Assignment would show them too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ops.pods import AgentPod


@dataclass(frozen=True)
class ControllerAgent:
    id: str
    ip: str | None
    tags: tuple[str, ...]
    offline: bool
    status: str | None
    hostname: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "agentId": self.id,
            "ip": self.ip,
            "hostname": self.hostname,
            "status": self.status,
            "offline": self.offline,
            "tags": list(self.tags),
        }


@dataclass
class GroupReport:
    expected_tags: list[str]
    registered: list[dict[str, Any]] = field(default_factory=list)
    missing: list[dict[str, Any]] = field(default_factory=list)
    offline: list[dict[str, Any]] = field(default_factory=list)
    mistagged: list[dict[str, Any]] = field(default_factory=list)
    extras: list[dict[str, Any]] = field(default_factory=list)

    @property
    def problems(self) -> int:
        return len(self.missing) + len(self.offline) + len(self.mistagged)

    def as_json(self) -> dict[str, Any]:
        return {
            "expectedTags": self.expected_tags,
            "registered": self.registered,
            "missing": self.missing,
            "offline": self.offline,
            "mistagged": self.mistagged,
            "extras": self.extras,
        }


@dataclass
class Report:
    groups: dict[str, GroupReport]

    @property
    def ok(self) -> bool:
        return all(g.problems == 0 for g in self.groups.values())

    @property
    def waiting_for(self) -> int:
        return sum(g.problems for g in self.groups.values())


def parse_tags(rendered: str | None) -> list[str]:
    """`key=value,key=value` (AGENT_TAGS) as a sorted list of `key=value`."""
    return sorted(t.strip() for t in (rendered or "").split(",") if t.strip())


def normalize_ip(value: str | None) -> str | None:
    return value.split("/", 1)[0].strip() if value else None


def match(
    pods: Iterable[AgentPod],
    agents: Iterable[ControllerAgent],
    group_tags: Mapping[str, str],
    groups: Iterable[str] = (),
) -> Report:
    """Per group report. `group_tags` is the stack's `agentTags` output (group -> AGENT_TAGS);
    a group missing there falls back to the AGENT_TAGS its pods were deployed with."""
    pods = list(pods)
    agents = list(agents)
    wanted = set(groups)
    names = sorted(
        {p.group for p in pods}
        | ({g for g in group_tags if g in wanted} if wanted else set(group_tags))
    )
    stack_ips = {p.ip for p in pods if p.ip}
    by_ip: dict[str, list[ControllerAgent]] = {}
    for agent in agents:
        ip = normalize_ip(agent.ip)
        if ip:
            by_ip.setdefault(ip, []).append(agent)
    report = Report(groups={})
    for group in names:
        members = [p for p in pods if p.group == group]
        rendered = group_tags.get(group) or next((p.tags_env for p in members if p.tags_env), None)
        expected = parse_tags(rendered)
        result = GroupReport(expected_tags=expected)
        report.groups[group] = result
        for pod in members:
            entry: dict[str, Any] = {"pod": pod.name, "ip": pod.ip, "node": pod.node}
            if not pod.ip:
                result.missing.append({**entry, "reason": f"pod has no IP yet (phase {pod.phase})"})
                continue
            candidates = by_ip.get(pod.ip, [])
            online = [a for a in candidates if not a.offline]
            tagged = [a for a in online if set(expected) <= set(a.tags)]
            if tagged:
                result.registered.append({**entry, **_agent_fields(tagged[0])})
            elif online:
                lacking = sorted(set(expected) - set(online[0].tags))
                result.mistagged.append(
                    {**entry, **_agent_fields(online[0]), "missingTags": lacking}
                )
            elif candidates:
                result.offline.append({**entry, **_agent_fields(candidates[0])})
            else:
                reason = f"no agent with management IP {pod.ip}"
                if not pod.ready:
                    reason += f" (pod {pod.phase}, not ready)"
                result.missing.append({**entry, "reason": reason})
        if expected:
            result.extras = [
                a.as_json()
                for a in agents
                if set(expected) <= set(a.tags) and normalize_ip(a.ip) not in stack_ips
            ]
    return report


def _agent_fields(agent: ControllerAgent) -> dict[str, Any]:
    return {"agentId": agent.id, "hostname": agent.hostname, "status": agent.status}


def summary_lines(report: Report) -> list[str]:
    lines = []
    for name, group in report.groups.items():
        total = len(group.registered) + group.problems
        lines.append(
            f"{name}: {len(group.registered)}/{total} registered, {len(group.missing)} missing, "
            f"{len(group.offline)} offline, {len(group.mistagged)} mistagged, "
            f"{len(group.extras)} extra with the group's tags ({','.join(group.expected_tags)})"
        )
        for item in group.missing:
            lines.append(f"  missing   {item['pod']}: {item['reason']}")
        for item in group.offline:
            lines.append(f"  offline   {item['pod']} ({item['ip']}): agent {item['agentId']}")
        for item in group.mistagged:
            lines.append(
                f"  mistagged {item['pod']} ({item['ip']}): agent {item['agentId']} lacks "
                f"{','.join(item['missingTags'])}"
            )
        for extra in group.extras:
            state = "offline" if extra["offline"] else "online"
            lines.append(f"  extra     agent {extra['agentId']} at {extra['ip']} ({state})")
    return lines
