"""The test definition: a small YAML file per test, kept with the stack (docs/running-tests.md).

It is parsed and validated completely before anything is contacted; every problem is reported at
once as `<file>: <key path>: <what is allowed> (got <value>)`.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel

from ops.errors import UsageError

# Where a client segment's traffic goes; `service` is the Service's ClusterIP.
Mode = Literal["pod-ip", "service", "node-port", "load-balancer"]
# The Service type each mode needs at least (a LoadBalancer Service also has node ports and a
# ClusterIP, a NodePort Service also has a ClusterIP).
MODES_BY_SERVICE_TYPE: dict[str, tuple[str, ...]] = {
    "ClusterIP": ("pod-ip", "service"),
    "NodePort": ("pod-ip", "service", "node-port"),
    "LoadBalancer": ("pod-ip", "service", "node-port", "load-balancer"),
}
DEFAULT_MODE = {"ClusterIP": "service", "NodePort": "node-port", "LoadBalancer": "load-balancer"}
Metric = Literal["throughput", "connectionRate", "failedConnections", "failedTransactions"]
# Where each headline metric is read: (statistic view, column, how the time series becomes one
# number). The names are not verified against a controller (docs/running-tests.md says how to
# check them); a definition can point a metric elsewhere under `statistics`.
DEFAULT_STATISTICS: dict[str, tuple[str, str, str]] = {
    "throughput": ("client-throughput", "Throughput", "mean"),
    "connectionRate": ("client-connection-rate", "Connections Succeeded/s", "mean"),
    "failedConnections": ("client-tcp-connections", "Connections Failed", "last"),
    "failedTransactions": ("client-http-statistics", "Transactions Failed", "last"),
}


class Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", alias_generator=to_camel, populate_by_name=True, frozen=True
    )


class ConfigSource(Model):
    file: str | None = None
    """An exported config (.zip), relative to the definition file; uploaded for the run."""
    name: str | None = None
    """The display name of a config already saved on the controller."""

    @model_validator(mode="after")
    def _one_source(self) -> ConfigSource:
        if (self.file is None) == (self.name is None):
            raise ValueError("give exactly one of `file` (exported config) or `name` (saved)")
        return self


class Destination(Model):
    dut_segment: str = Field(min_length=1)
    """The DUT network segment of the config whose server host this client segment targets."""
    server: str = Field(min_length=1)
    """The server agent group (of the stack) the traffic goes to."""
    mode: Mode | None = None
    """Unset: from the server group's Service type."""
    port: str | None = None
    """The Service port name; unset: the Service's first port."""
    node_address: str | None = None
    """For `node-port`: the node IP to target; unset: a Ready node's InternalIP."""

    @model_validator(mode="after")
    def _node_address(self) -> Destination:
        if self.node_address is not None:
            if self.mode != "node-port":
                raise ValueError("`nodeAddress` is only used with mode 'node-port'")
            ipaddress.ip_address(self.node_address)
        return self


class Segment(Model):
    name: str = Field(min_length=1)
    """The network segment's name in the config (e.g. `IP Network 1`)."""
    group: str = Field(min_length=1)
    """The agent group of the stack that plays it."""
    destination: Destination | None = None
    """Client segments only."""


class Objectives(Model):
    duration: Annotated[int, Field(ge=10, le=86400)] | None = None
    """Seconds of the primary objective's steady segment."""
    rate: Annotated[float, Field(gt=0)] | None = None
    """The primary objective's value in its own unit (users, bps, connections/s)."""


class Bound(Model):
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _some_bound(self) -> Bound:
        if self.min is None and self.max is None:
            raise ValueError("give `min`, `max` or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"`min` ({self.min}) is above `max` ({self.max})")
        return self


class Statistic(Model):
    stat: str = Field(min_length=1)
    column: str = Field(min_length=1)
    reduce: Literal["mean", "max", "min", "last"]


class TestDefinition(Model):
    config: ConfigSource
    segments: list[Segment] = Field(min_length=1)
    objectives: Objectives = Objectives()
    thresholds: dict[Metric, Bound] = Field(default_factory=dict)
    statistics: dict[Metric, Statistic] = Field(default_factory=dict)
    timeout: Annotated[int, Field(ge=60, le=172800)] = 3600
    """Seconds to wait for the test's end beyond its planned duration."""

    @model_validator(mode="after")
    def _unique(self) -> TestDefinition:
        names = [s.name for s in self.segments]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"segment names must be unique (repeated: {', '.join(duplicates)})")
        return self

    def statistic(self, metric: str) -> Statistic:
        if metric in self.statistics:
            return self.statistics[metric]
        stat, column, reduce = DEFAULT_STATISTICS[metric]
        return Statistic.model_validate({"stat": stat, "column": column, "reduce": reduce})


def _key(location: tuple[Any, ...]) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else ("." if text else "") + str(part)
    return text or "(top level)"


def load(path: Path) -> TestDefinition:
    """The definition in `path`, or a UsageError listing every problem by key."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text())
    except OSError as err:
        raise UsageError(f"test definition {path}: cannot read ({err.strerror})") from None
    except yaml.YAMLError as err:
        raise UsageError(f"test definition {path}: not YAML ({err})") from None
    test = parse(data, str(path))
    if test.config.file is not None and not (path.parent / test.config.file).is_file():
        raise UsageError(
            f"test definition {path}:\n  config.file: an exported config next to the definition "
            f"(no file {path.parent / test.config.file})"
        )
    return test


def parse(data: Any, source: str) -> TestDefinition:
    if not isinstance(data, dict):
        raise UsageError(f"test definition {source}: a mapping of keys (got {type(data).__name__})")
    try:
        return TestDefinition.model_validate(data)
    except ValidationError as err:
        lines = []
        for problem in err.errors():
            where = tuple(p for p in problem["loc"] if not str(p).startswith("function-"))
            message = problem["msg"].removeprefix("Value error, ")
            shown = "" if problem["type"] == "missing" else f" (got {problem['input']!r})"
            lines.append(f"  {_key(where)}: {message}{shown}")
        raise UsageError(f"test definition {source}:\n" + "\n".join(lines)) from None


def check_against_stack(
    definition: TestDefinition, source: str, roles: dict[str, str], services: dict[str, Any]
) -> dict[str, str]:
    """Groups and modes checked against the stack's outputs: {client segment: mode}.

    `roles` is group -> role (the stack's controllerSetup.agentAssignment), `services` the
    `serverServices` output (group -> Service report)."""
    problems: list[str] = []
    modes: dict[str, str] = {}
    for index, segment in enumerate(definition.segments):
        key = f"segments[{index}]"
        role = roles.get(segment.group)
        if role is None:
            known = ", ".join(sorted(roles)) or "none"
            problems.append(
                f"  {key}.group: a group of the stack ({known}) (got {segment.group!r})"
            )
            continue
        destination = segment.destination
        if role == "server":
            if destination is not None:
                problems.append(f"  {key}.destination: only for client groups ({segment.group!r})")
            continue
        if destination is None:
            problems.append(f"  {key}.destination: required for client group {segment.group!r}")
            continue
        if roles.get(destination.server) != "server":
            servers = ", ".join(sorted(g for g, r in roles.items() if r == "server")) or "none"
            problems.append(
                f"  {key}.destination.server: a server group of the stack ({servers}) "
                f"(got {destination.server!r})"
            )
            continue
        service = services.get(destination.server)
        kind = service["type"] if service else None
        allowed = MODES_BY_SERVICE_TYPE.get(kind or "", ("pod-ip",))
        mode = destination.mode or DEFAULT_MODE.get(kind or "", "pod-ip")
        if mode not in allowed:
            problems.append(
                f"  {key}.destination.mode: one of {', '.join(allowed)} for group "
                f"{destination.server!r} (Service type {kind or 'none'}) (got {mode!r})"
            )
            continue
        ports = [p["name"] for p in (service or {}).get("ports", [])]
        if destination.port is not None and destination.port not in ports:
            problems.append(
                f"  {key}.destination.port: a port name of the Service "
                f"({', '.join(ports) or 'none'}) "
                f"(got {destination.port!r})"
            )
            continue
        modes[segment.name] = mode
    if problems:
        raise UsageError(f"test definition {source}:\n" + "\n".join(problems))
    return modes
