"""Renaming an agent group, and the changes one `up` cannot apply.

To Pulumi a group's objects are named after the group (`agents-<group>`,
`agents-<group>-service`). A group that declares `previousNames` continues the objects of its
old name (aliases): the rename replaces them old-first in one `up`. Without it the engine sees a
new group and a removed one, and it creates the new group's objects before it deletes the old
ones: while both exist, two Services would hold one Service name or node port, which the API
server refuses, and the stack stays stuck on that step until the configuration changes.

These checks compare the configuration with what the stack holds now (`Deployed`, read by
components.deployed) and refuse such a change before any resource is registered, naming both
ways that work.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from components.settings.agent_groups import AgentGroup
from components.settings.problems import KeyWarning, Problem, repeated


@dataclass(frozen=True)
class DeployedGroup:
    """A group whose Deployment the stack holds."""

    name: str
    role: str


@dataclass(frozen=True)
class DeployedService:
    """A group's Service as the stack holds it: what it claims in the cluster."""

    group: str
    namespace: str
    name: str
    node_ports: frozenset[int]


@dataclass(frozen=True)
class Deployed:
    """The agent objects the stack holds now; empty before its first completed `up`."""

    groups: tuple[DeployedGroup, ...] = ()
    services: tuple[DeployedService, ...] = ()


def continued(group: AgentGroup, names: Collection[str]) -> str | None:
    """The name under which the stack holds the object `group` continues, as the engine picks
    it: the group's own name first, then each previous name in order; None for a new object."""
    return next((n for n in (group.name, *group.previous_names) if n in names), None)


def previous_name_problems(groups: Sequence[AgentGroup]) -> list[Problem]:
    """A previous name can be continued by one group only, and is never the name of a group of
    the configuration (two groups would claim the same objects)."""
    problems = []
    current = {g.name for g in groups}
    for index, group in enumerate(groups):
        for name in sorted(current.intersection(group.previous_names)):
            problems.append(
                Problem(
                    ("agentGroups", index, "previousNames"),
                    f"{name!r} is the name of a group of this configuration; list only names "
                    "the group had before",
                    name,
                )
            )
    for name in repeated([n for g in groups for n in set(g.previous_names)]):
        problems.append(
            Problem(
                ("agentGroups",),
                f"{name!r} is in the previousNames of more than one group; only one group can "
                "continue the objects of a previous name",
                name,
            )
        )
    return problems


def claim_problems(
    groups: Sequence[AgentGroup], namespace: str, deployed: Deployed
) -> list[Problem]:
    """Every Service name and fixed node port of the configuration that a Service of another
    group holds now: during the update both Services would claim it."""
    holders = {s.group: s for s in deployed.services}
    # Every group of the configuration under its own name and the names it had.
    groups_by_name = {n: g.name for g in groups for n in (*g.previous_names, g.name)}
    name_holders = {(s.namespace, s.name): s.group for s in deployed.services}
    port_holders = {port: s.group for s in deployed.services for port in s.node_ports}
    problems = []
    for index, group in enumerate(groups):
        if group.service is None:
            continue
        own = continued(group, holders)
        path = ("agentGroups", index, "service")
        holder = name_holders.get((namespace, group.service.name))
        if holder is not None and holder != own:
            message = _held("this Service name", holder, groups_by_name)
            problems.append(Problem((*path, "name"), message, group.service.name))
        for port_index, port in enumerate(group.service.ports):
            holder = port_holders.get(port.node_port) if port.node_port is not None else None
            if holder is not None and holder != own:
                message = _held(f"node port {port.node_port}", holder, groups_by_name)
                problems.append(
                    Problem((*path, "ports", port_index, "nodePort"), message, port.node_port)
                )
    return problems


def _held(what: str, holder: str, groups_by_name: dict[str, str]) -> str:
    if holder in groups_by_name:
        renamed = groups_by_name[holder]
        who = f"group {holder!r}" + (f" (renamed {renamed!r})" if renamed != holder else "")
        return (
            f"{what} is held by the Service of {who}, which keeps it until this update changes "
            "that group; the two changes run at once, so the API server may refuse this one and "
            f"`up` would fail. Use two `up`s: one that takes {what} off {who}, then this "
            "configuration"
        )
    return (
        f"{what} is held by the Service of group {holder!r}, which this update removes; Pulumi "
        "creates this group's Service before it deletes the old one, so the API server would "
        f"refuse it and `up` would fail. If this group is {holder!r} renamed, declare "
        f"`previousNames: [{holder}]` on it (one `up`); otherwise use two `up`s: one that "
        f"removes group {holder!r} without giving {what} to another group, then this "
        "configuration"
    )


def rename_warnings(groups: Sequence[AgentGroup], deployed: Deployed) -> list[KeyWarning]:
    """A new group while a deployed group of its role leaves: probably a rename without
    `previousNames`. It works only with free nodes (the new agents start before the old go)."""
    in_stack = {g.name for g in deployed.groups}
    kept = {continued(g, in_stack) for g in groups}
    warnings = []
    for index, group in enumerate(groups):
        if continued(group, in_stack) is not None:
            continue
        leaving = [d.name for d in deployed.groups if d.name not in kept and d.role == group.role]
        if not leaving:
            continue
        names = ", ".join(repr(n) for n in leaving)
        warnings.append(
            KeyWarning(
                ("agentGroups", index, "name"),
                f"group {group.name!r} is new and {group.role} group {names} leaves the stack "
                "in this update: Pulumi starts the new agents before it deletes the old ones, "
                "so with one agent per node they need free nodes, or `up` fails after "
                f"rolloutTimeoutSeconds. If it is a rename, declare `previousNames: "
                f"[{leaving[0]}]` on it (the old agents then go first); otherwise remove "
                f"{names} in one `up` and add {group.name!r} in the next",
            )
        )
    return warnings
