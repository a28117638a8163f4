"""An agent group (`agentGroups[i]`): one Deployment of CyPerf agents of one role, and for
servers the Service in front of them."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from components.cyperf import ROLE_LABEL, Role
from components.settings.conntrack import GroupConntrack, LocalPortRange, group_problems
from components.settings.fields import (
    VISIBLE_ASCII,
    AnnotationMap,
    Cpu,
    DnsLabel,
    Interface,
    LabelKey,
    LabelMap,
    LabelValue,
    Memory,
    Model,
    Port,
    check_env_name,
    check_interface,
    cpu_millis,
    memory_bytes,
)
from components.settings.problems import Problem, raise_any
from components.settings.service import ServiceSettings, no_reserved_annotations

# Names derived from a group (`cyperf-agent-<group>-deployment`) must stay valid DNS labels.
MAX_GROUP_NAME = 40

# Env variables the agent contract sets from dedicated settings; `env` must not override them.
RESERVED_ENV = frozenset(
    {
        "AGENT_CONTROLLER",
        "AGENT_TAGS",
        "AGENT_MANAGEMENT_INTERFACE",
        "AGENT_TEST_INTERFACE",
        "AGENT_PROMISC_INTERFACE",
    }
)


class ResourceQuantities(Model):
    cpu: Cpu | None = None
    memory: Memory | None = None


# The guide's defaults: limit 4Gi, request 2Gi; CPU left to the tester (3.5 suits 8-core nodes).
DEFAULT_RESOURCES = {"requests": {"memory": "2Gi"}, "limits": {"memory": "4Gi"}}


class Resources(Model):
    requests: ResourceQuantities = ResourceQuantities(memory="2Gi")
    limits: ResourceQuantities = ResourceQuantities(memory="4Gi")

    @model_validator(mode="before")
    @classmethod
    def _merge_defaults(cls, data: Any) -> Any:
        # A partial map (`limits: {cpu: "2"}`) keeps every default it does not name, field by
        # field; only an explicit null removes one (and a null memory limit is refused below).
        if not isinstance(data, dict):
            return data
        merged: dict[str, Any] = {}
        for kind, defaults in DEFAULT_RESOURCES.items():
            given = data.get(kind, {})
            merged[kind] = {**defaults, **given} if isinstance(given, dict) else given
        return {**data, **merged}

    @model_validator(mode="after")
    def _requests_within_limits(self) -> Resources:
        problems = []
        if self.limits.memory is None:
            problems.append(
                Problem(
                    ("limits", "memory"),
                    "must be set (an agent without a memory limit can starve its node)",
                    None,
                )
            )
        elif self.requests.memory and memory_bytes(self.requests.memory) > memory_bytes(
            self.limits.memory
        ):
            problems.append(
                Problem(
                    ("requests", "memory"),
                    f"exceeds limits.memory {self.limits.memory!r}; a request must not exceed "
                    "its limit",
                    self.requests.memory,
                )
            )
        if (
            self.requests.cpu
            and self.limits.cpu
            and cpu_millis(self.requests.cpu) > cpu_millis(self.limits.cpu)
        ):
            problems.append(
                Problem(
                    ("requests", "cpu"),
                    f"exceeds limits.cpu {self.limits.cpu!r}; a request must not exceed its limit",
                    self.requests.cpu,
                )
            )
        raise_any(problems)
        return self


class Readiness(Model):
    """How Kubernetes decides an agent pod is ready.

    - `none`: no probe (the official manifests' default).
    - `agent-started`: `cat /appsec/startup_ready` succeeds once the agent finished starting.
    - `http-health-check`: the controller's HTTP health check (`/CyPerfHTTPHealthCheck` on 80); it
      passes only while a test with HTTP health check runs, for scaling servers mid-test.
    """

    mode: Literal["none", "agent-started", "http-health-check"] = "none"
    path: str = "/CyPerfHTTPHealthCheck"
    port: Port = 80
    period_seconds: int = Field(default=5, ge=1, le=3600)

    @field_validator("path")
    @classmethod
    def _absolute_path(cls, value: str) -> str:
        if not value.startswith("/") or not VISIBLE_ASCII.fullmatch(value):
            raise ValueError(
                "must be an absolute URL path starting with '/', printable ASCII without spaces"
            )
        return value

    @model_validator(mode="after")
    def _fields_of_the_mode(self) -> Readiness:
        # `path` and `port` belong to the HTTP health check; with any other mode they would be
        # ignored without a word.
        ignored = sorted({"path", "port"} & self.model_fields_set)
        if self.mode != "http-health-check" and ignored:
            raise_any(
                [
                    Problem(
                        (name,),
                        f"applies only with mode 'http-health-check' (mode is {self.mode!r}); "
                        "remove it or change the mode",
                        getattr(self, name),
                    )
                    for name in ignored
                ]
            )
        return self


class Toleration(Model):
    # The API server validates a toleration's key as a label key and its value as a label value.
    key: LabelKey | None = None
    operator: Literal["Equal", "Exists"] = "Equal"
    value: LabelValue | None = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Toleration:
        problems = []
        if self.operator == "Exists" and self.value is not None:
            problems.append(Problem(("value",), "operator 'Exists' takes no value", self.value))
        if self.operator == "Equal" and self.key is None:
            problems.append(Problem(("key",), "operator 'Equal' needs a key", None))
        raise_any(problems)
        return self


class AgentGroup(Model):
    name: DnsLabel
    previous_names: list[DnsLabel] = Field(default_factory=list)
    """Names the group had before. A renamed group that lists its old name keeps
    its objects in Pulumi: one `up` replaces its Deployment (old agents first, so no spare node is
    needed) and updates or replaces its Service in place of the old one (docs/renaming-groups.md).
    Without it a rename is a new group plus a removed one, which `up` refuses while the new group
    would take the old one's Service name or node ports."""
    role: Role
    replicas: int = Field(default=1, ge=0, le=1000)
    # Rendered as AGENT_TAGS `k=v,k=v` in key order; the controller's Agent Assignment shows them.
    tags: dict[str, str] = Field(default_factory=dict)
    management_interface: Interface | None = None
    test_interface: Interface | None = None
    promiscuous_interface: str | None = None
    env: dict[str, str] = Field(default_factory=dict)
    resources: Resources = Resources()
    node_selector: LabelMap | None = None
    one_agent_per_node: bool = True
    tolerations: list[Toleration] = Field(default_factory=list)
    readiness: Readiness = Readiness()
    architecture: Literal["amd64", "arm64"] = "amd64"
    pod_annotations: Annotated[AnnotationMap, AfterValidator(no_reserved_annotations)] = Field(
        default_factory=dict
    )
    # Pod-level seccomp profile (see README "Security"): RuntimeDefault unless the agent is seen
    # to need a syscall the runtime's profile blocks.
    seccomp_profile: Literal["RuntimeDefault", "Unconfined"] = "RuntimeDefault"
    # Server groups only; `null` for servers that need no Service.
    service: ServiceSettings | None = None
    # Issue 12: the group's planned traffic, and a client group's local port range.
    conntrack: GroupConntrack | None = None
    local_port_range: LocalPortRange | None = None

    @field_validator("name")
    @classmethod
    def _short_name(cls, value: str) -> str:
        if len(value) > MAX_GROUP_NAME:
            raise ValueError(
                f"must be at most {MAX_GROUP_NAME} characters (it is part of derived object names)"
            )
        return value

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: dict[str, str]) -> dict[str, str]:
        for key, item in value.items():
            # AGENT_TAGS is a comma-separated list of key=value pairs.
            for text in (key, item):
                if not VISIBLE_ASCII.fullmatch(text) or re.search(r"[,=]", text):
                    raise ValueError(
                        f"tag {key!r}: {item!r} is not allowed; keys and values must be "
                        "non-empty printable ASCII without ',', '=' or whitespace"
                    )
        return value

    @field_validator("env")
    @classmethod
    def _env(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            try:
                check_env_name(key)
            except ValueError as err:
                raise ValueError(f"env name {key!r} {err}") from None
            if key in RESERVED_ENV:
                raise ValueError(
                    f"env name {key!r} is set by the stack; use the dedicated setting "
                    "(controllerAddress, tags, managementInterface, testInterface, "
                    "promiscuousInterface)"
                )
        return value

    @field_validator("promiscuous_interface")
    @classmethod
    def _promiscuous(cls, value: str | None) -> str | None:
        if value is not None and value != "<all>":
            check_interface(value)
        return value

    @model_validator(mode="before")
    @classmethod
    def _server_service_default(cls, data: Any) -> Any:
        # Servers get the guide's Service unless `service` is given (or explicitly null).
        if isinstance(data, dict) and data.get("role") == "server" and "service" not in data:
            return {**data, "service": {}}
        return data

    @model_validator(mode="after")
    def _role_rules(self) -> AgentGroup:
        problems = []
        if self.role == "client" and self.service is not None:
            problems.append(
                Problem(
                    ("service",),
                    "only server groups can have a Service; remove it from this client group",
                    self.service.model_dump(mode="json", by_alias=True, exclude_unset=True),
                )
            )
        if self.readiness.mode == "http-health-check" and self.role == "client":
            problems.append(
                Problem(
                    ("readiness", "mode"),
                    "'http-health-check' is served by server agents only; use 'none' or "
                    "'agent-started' for clients",
                    self.readiness.mode,
                )
            )
        problems.extend(group_problems(self.role, self.local_port_range))
        raise_any(problems)
        return self

    @property
    def effective_node_selector(self) -> dict[str, str]:
        if self.node_selector is None:
            return {ROLE_LABEL: self.role}
        return self.node_selector
