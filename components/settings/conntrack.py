"""Conntrack settings: the stack-wide `conntrack` section, a group's declared traffic
(`agentGroups[i].conntrack`) and a client group's `localPortRange`.

The planner (components/conntrack/planner.py) turns them into a table size per node; these models
only say what may be declared.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from components.conntrack.kernel import (
    DEFAULT_HEADROOM,
    DEFAULT_INTERVAL_SECONDS,
    MAX_HEADROOM,
    MAX_TABLE_ENTRIES,
    WIDEST_LOCAL_PORT_RANGE,
)
from components.settings.fields import Model
from components.settings.problems import Problem, only_with, raise_any

LOCAL_PORT_RANGE = re.compile(r"^(\d{1,5})-(\d{1,5})$")
LOWEST_LOCAL_PORT, HIGHEST_LOCAL_PORT = WIDEST_LOCAL_PORT_RANGE


def check_local_port_range(value: str) -> str:
    match = LOCAL_PORT_RANGE.match(value)
    low, high = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
    if not LOWEST_LOCAL_PORT <= low < high <= HIGHEST_LOCAL_PORT:
        raise ValueError(
            f"must be 'low-high' with {LOWEST_LOCAL_PORT} <= low < high <= {HIGHEST_LOCAL_PORT}, "
            "e.g. '1024-65535'"
        )
    return value


LocalPortRange = Annotated[str, AfterValidator(check_local_port_range)]


class ConntrackSettings(Model):
    """`cyperf-k8s:conntrack`: how the groups' plans are applied, for the whole stack."""

    node_tuning: bool = False
    """Registers one node-tuning DaemonSet per agent group whose plan needs it (a table above
    kube-proxy's default, or `timeWaitSeconds`). Off: plans, warnings and outputs only."""

    time_wait_seconds: int | None = Field(default=None, ge=1, le=3600)
    """`nf_conntrack_tcp_timeout_time_wait` on the tuned nodes, and the plans' TIME_WAIT. Unset
    keeps the kernel's 120 s. Stack-wide: one value per node, so two DaemonSets never fight."""

    headroom: float = Field(default=DEFAULT_HEADROOM, ge=1.0, le=MAX_HEADROOM)
    """Factor on every plan, for other traffic on the node and overshoot at the peak."""

    interval_seconds: int = Field(default=DEFAULT_INTERVAL_SECONDS, ge=5, le=3600)
    """How often the DaemonSet re-asserts the values: how soon a kube-proxy restart, which resets
    the maximum, is undone."""

    node_vcpus: int | None = Field(default=None, ge=1, le=4096)
    """Existing clusters only: the agent nodes' vCPUs, which give kube-proxy's default table
    size. Unset assumes its floor of 131072. Refused with `cluster: eks`, which knows its instance
    types."""


class GroupConntrack(Model):
    """`agentGroups[i].conntrack`: the group's test at its peak, summed over all its agents."""

    peak_connections_per_second: int | None = Field(default=None, ge=0)
    """The group's declared peak connection rate, all its agents together."""

    concurrent_connections: int | None = Field(default=None, ge=0)
    """The group's declared concurrent connections, all its agents together."""

    table_size: int | None = Field(default=None, ge=1, le=MAX_TABLE_ENTRIES)
    """An explicit `nf_conntrack_max` instead of the formula's. A warning says when it is below
    the plan or below kube-proxy's value, which then stays."""

    @model_validator(mode="after")
    def _declares_something(self) -> GroupConntrack:
        declared = (
            self.peak_connections_per_second,
            self.concurrent_connections,
            self.table_size,
        )
        if all(value is None for value in declared):
            raise_any(
                [
                    Problem(
                        (),
                        "needs at least one of peakConnectionsPerSecond, concurrentConnections "
                        "or tableSize (remove the section for no plan)",
                        {},
                    )
                ]
            )
        return self


def group_problems(role: str, configured_range: str | None) -> list[Problem]:
    """Checks of one group's conntrack keys, paths relative to the group."""
    if role != "client" and configured_range is not None:
        return [
            Problem(
                ("localPortRange",),
                only_with(
                    "role 'client'",
                    f"role is '{role}'",
                    "remove it: servers accept connections on fixed ports",
                ),
                configured_range,
            )
        ]
    return []


def stack_problems(cluster: str, settings: ConntrackSettings) -> list[Problem]:
    """Checks between the conntrack section and the cluster kind, paths from the config root."""
    if cluster == "eks" and settings.node_vcpus is not None:
        return [
            Problem(
                ("conntrack", "nodeVcpus"),
                only_with(
                    "cluster 'existing'",
                    "cluster is 'eks'",
                    "remove it: the stack takes the vCPUs from eks.nodeGroups.<role>.instanceTypes",
                ),
                settings.node_vcpus,
            )
        ]
    return []
