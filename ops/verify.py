"""Match the stack's agent pods to the agents the controller lists (pure logic; `verify`,
`status` and `prune` share it).

A pod's agent is the agent that
  - carries no stack tag of another stack: every agent has `cyperf-k8s=<stack>.<group>`
    (components/specs.py), so two stacks with the same pod CIDR on one controller never match
    each other's agents; and
  - has one of the pod's IPs as its `IP` or one of its `mgmtInterface.IP[]` (the management
    interface need not be the pod's primary one), or else, behind NAT, the pod's name as its
    hostname (the agent reports the container's hostname, which is the pod name): "IP differs".
Field names are those of `cyperf.models.Agent` in the pinned client (cyperf 26.1.2).

Per group, each pod is
  registered  its agent is online and has all the group's tags
  missing     no agent yet (waited for)
  offline     its agent is marked offline (waited for)
  mistagged   its agent lacks some of the group's tags (its actual tags shown; not waited for)
  blocked     the pod cannot run (unschedulable, image pull, crash loop; not waited for)
  gone        evicted, failed or terminating: reported, not expected (its ReplicaSet replaces it)
A group with fewer live pods than the replicas the stack deployed is short. Extras are agents
with all the group's tags that are no pod's agent (stale agents of deleted pods).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ops.pods import AgentPod

STACK_TAG_KEY = "cyperf-k8s"


def stack_tag(stack: str, group: str) -> str:
    """The tag unique to a stack's group (components/specs.py renders the same)."""
    return f"{STACK_TAG_KEY}={stack}.{group}"


@dataclass(frozen=True)
class ControllerAgent:
    id: str
    ip: str | None  # `IP`: the management IP the agent registered with
    tags: tuple[str, ...]
    offline: bool
    status: str | None
    hostname: str | None
    mgmt_ips: tuple[str, ...] = ()  # `mgmtInterface.IP[].IP`
    ntp_status: str | None = None  # `ntpInfo.status`
    requires_updating: bool | None = None
    configured_proxy: str | None = None
    session: str | None = None  # `SessionName`: the session the agent is running in

    @property
    def ips(self) -> tuple[str, ...]:
        found = [normalize_ip(v) for v in (self.ip, *self.mgmt_ips)]
        return tuple(dict.fromkeys(ip for ip in found if ip))

    def foreign_to(self, stack: str | None) -> bool:
        """Carries the stack tag of another stack."""
        prefix = f"{STACK_TAG_KEY}="
        owners = [t[len(prefix) :].rsplit(".", 1)[0] for t in self.tags if t.startswith(prefix)]
        return bool(owners) and stack is not None and stack not in owners

    def notes(self) -> list[str]:
        """What the client reports that may stop the agent from running a test."""
        notes = []
        if self.session:
            notes.append(f"busy in session {self.session}")
        if self.requires_updating:
            notes.append("requires updating (not the controller's recommended version)")
        return notes

    def as_json(self) -> dict[str, Any]:
        return {
            "agentId": self.id,
            "ip": self.ip,
            "mgmtIps": list(self.mgmt_ips),
            "hostname": self.hostname,
            "status": self.status,
            "offline": self.offline,
            "tags": list(self.tags),
            "ntpStatus": self.ntp_status,
            "requiresUpdating": self.requires_updating,
            "configuredProxy": self.configured_proxy,
            "session": self.session,
        }


@dataclass(frozen=True)
class PodMatch:
    """One pod and what the controller says about its agent."""

    pod: AgentPod
    state: str  # registered, missing, offline, mistagged, blocked or gone
    agent: ControllerAgent | None = None
    how: str | None = None  # "ip" or "hostname" (IP differs: NAT?)
    reason: str | None = None
    missing_tags: tuple[str, ...] = ()

    @property
    def waitable(self) -> bool:
        return self.state in ("missing", "offline")

    def as_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"pod": self.pod.name, "ip": self.pod.ip, "node": self.pod.node}
        if self.agent is not None:
            entry.update(
                agentId=self.agent.id,
                agentIp=self.agent.ip,
                hostname=self.agent.hostname,
                status=self.agent.status,
                ntpStatus=self.agent.ntp_status,
                requiresUpdating=self.agent.requires_updating,
                configuredProxy=self.agent.configured_proxy,
                session=self.agent.session,
                matchedBy=self.how,
                notes=self.agent.notes(),
            )
            if self.how == "hostname":
                entry["notes"] = [f"IP differs (agent {self.agent.ip}): NAT?", *entry["notes"]]
        if self.state == "mistagged" and self.agent is not None:
            entry.update(missingTags=list(self.missing_tags), actualTags=list(self.agent.tags))
        if self.reason is not None:
            entry["reason"] = self.reason
        return entry


STATES = ("registered", "missing", "offline", "mistagged", "blocked", "gone")


@dataclass
class GroupReport:
    expected_tags: list[str]
    expected_replicas: int | None = None
    registered: list[dict[str, Any]] = field(default_factory=list)
    missing: list[dict[str, Any]] = field(default_factory=list)
    offline: list[dict[str, Any]] = field(default_factory=list)
    mistagged: list[dict[str, Any]] = field(default_factory=list)
    blocked: list[dict[str, Any]] = field(default_factory=list)
    gone: list[dict[str, Any]] = field(default_factory=list)
    extras: list[dict[str, Any]] = field(default_factory=list)

    @property
    def live(self) -> int:
        return sum(len(getattr(self, s)) for s in STATES if s != "gone")

    @property
    def short(self) -> int:
        """Pods the stack deployed that the cluster does not have."""
        return max(0, (self.expected_replicas or 0) - self.live)

    @property
    def problems(self) -> int:
        return (
            len(self.missing)
            + len(self.offline)
            + len(self.mistagged)
            + len(self.blocked)
            + self.short
        )

    @property
    def waitable(self) -> int:
        # a short group may be a ReplicaSet still creating pods
        return len(self.missing) + len(self.offline) + self.short

    def as_json(self) -> dict[str, Any]:
        return {
            "expectedTags": self.expected_tags,
            "expectedReplicas": self.expected_replicas,
            "short": self.short,
            **{state: getattr(self, state) for state in STATES},
            "extras": self.extras,
        }


@dataclass
class Report:
    groups: dict[str, GroupReport]
    pods: list[PodMatch] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(g.problems == 0 for g in self.groups.values())

    @property
    def waiting_for(self) -> int:
        """Problems that waiting may still solve; 0 means stop waiting."""
        return sum(g.waitable for g in self.groups.values())


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
    *,
    stack: str | None = None,
    replicas: Mapping[str, int] | None = None,
) -> Report:
    """Per group report. `group_tags` is the stack's `agentTags` output (group -> AGENT_TAGS);
    a group missing there falls back to the AGENT_TAGS its pods were deployed with. `stack`
    (the stack's name) excludes agents of other stacks; `replicas` (group -> the replicas the
    stack deployed) finds a group short of pods."""
    pods = list(pods)
    wanted = set(groups)
    names = sorted({p.group for p in pods} | set(group_tags) | set(replicas or {}))
    if wanted:
        names = [n for n in names if n in wanted]
    ours = [a for a in agents if not a.foreign_to(stack)]
    by_ip: dict[str, list[ControllerAgent]] = {}
    by_host: dict[str, list[ControllerAgent]] = {}
    for agent in ours:
        for ip in agent.ips:
            by_ip.setdefault(ip, []).append(agent)
        if agent.hostname:
            by_host.setdefault(agent.hostname, []).append(agent)
    report = Report(groups={})
    matched: set[str] = set()
    for group in names:
        members = [p for p in pods if p.group == group]
        rendered = group_tags.get(group) or next((p.tags_env for p in members if p.tags_env), None)
        expected = parse_tags(rendered)
        result = GroupReport(expected_tags=expected, expected_replicas=(replicas or {}).get(group))
        report.groups[group] = result
        for pod in members:
            found = _match_pod(pod, expected, by_ip, by_host)
            if found.agent is not None:
                matched.add(found.agent.id)
            report.pods.append(found)
            getattr(result, found.state).append(found.as_json())
    for group in names:
        expected = report.groups[group].expected_tags
        if expected:
            report.groups[group].extras = [
                a.as_json() for a in ours if set(expected) <= set(a.tags) and a.id not in matched
            ]
    return report


def _match_pod(
    pod: AgentPod,
    expected: list[str],
    by_ip: Mapping[str, list[ControllerAgent]],
    by_host: Mapping[str, list[ControllerAgent]],
) -> PodMatch:
    if pod.gone:
        return PodMatch(pod, "gone", reason=pod.gone)
    how = "ip"
    candidates = [a for ip in pod.ips for a in by_ip.get(ip, [])]
    if not candidates:
        how, candidates = "hostname", list(by_host.get(pod.name, []))
    online = [a for a in candidates if not a.offline]
    tagged = [a for a in online if set(expected) <= set(a.tags)]
    if tagged:
        return PodMatch(pod, "registered", tagged[0], how)
    if online:
        lacking = tuple(sorted(set(expected) - set(online[0].tags)))
        return PodMatch(pod, "mistagged", online[0], how, missing_tags=lacking)
    if candidates:
        return PodMatch(pod, "offline", candidates[0], how)
    if pod.blocked:
        return PodMatch(pod, "blocked", reason=pod.blocked)
    if not pod.ip:
        return PodMatch(pod, "missing", reason=f"pod has no IP yet (phase {pod.phase})")
    reason = f"no agent with management IP {', '.join(pod.ips)} or hostname {pod.name}"
    if not pod.ready:
        reason += f" (pod {pod.phase}, not ready)"
    return PodMatch(pod, "missing", reason=reason)


def summary_lines(report: Report) -> list[str]:
    lines = []
    for name, group in report.groups.items():
        total = group.live + group.short
        expected = "" if group.expected_replicas is None else f" of {group.expected_replicas}"
        lines.append(
            f"{name}: {len(group.registered)}/{total}{expected} registered, "
            f"{len(group.missing)} missing, {len(group.offline)} offline, "
            f"{len(group.mistagged)} mistagged, {len(group.blocked)} blocked, "
            f"{len(group.extras)} extra with the group's tags ({','.join(group.expected_tags)})"
        )
        if group.short:
            lines.append(
                f"  short     {group.short} pod(s): the stack deployed {group.expected_replicas}, "
                f"the cluster has {group.live} (wrong cluster or context? see above)"
            )
        for item in group.registered:
            for note in item.get("notes") or []:
                lines.append(f"  note      {item['pod']}: {note}")
        for item in group.missing:
            lines.append(f"  missing   {item['pod']}: {item['reason']}")
        for item in group.offline:
            lines.append(f"  offline   {item['pod']} ({item['ip']}): agent {item['agentId']}")
        for item in group.mistagged:
            lines.append(
                f"  mistagged {item['pod']} ({item['ip']}): agent {item['agentId']} lacks "
                f"{','.join(item['missingTags'])}; it has {','.join(item['actualTags']) or 'none'}"
            )
        for item in group.blocked:
            lines.append(f"  blocked   {item['pod']}: {item['reason']} (not waited for)")
        for item in group.gone:
            lines.append(f"  gone      {item['pod']}: {item['reason']} (not counted)")
        for extra in group.extras:
            state = "offline" if extra["offline"] else "online"
            lines.append(f"  extra     agent {extra['agentId']} at {extra['ip']} ({state})")
    return lines
