"""An agent group (`agentGroups[i]`): one Deployment of CyPerf agents of one role, and for
servers the Service in front of them."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from components.cyperf import ROLE_LABEL, Role
from components.settings.conntrack import GroupConntrack, LocalPortRange, group_problems
from components.settings.fields import (
    AnnotationMap,
    DnsLabel,
    Interface,
    LabelKey,
    LabelMap,
    LabelValue,
    Model,
    Port,
    check_env_name,
    check_interface,
    check_part,
    matches,
)
from components.settings.problems import Problem, only_with, raise_any
from components.settings.resources import Resources
from components.settings.service import ServiceSettings, no_reserved_annotations
from components.settings.test_network import TestNetwork
from components.settings.test_network import group_problems as network_problems

# Where an HTTP readiness probe may point: an absolute path of printable ASCII.
URL_PATH = re.compile(r"/[!-~]*", re.ASCII)
# AGENT_TAGS is a comma-separated list of key=value pairs: printable ASCII but ',' and '='.
TAG_TEXT = re.compile(r"[!-+\--<>-~]+", re.ASCII)
_check_tag_text = matches(TAG_TEXT, "non-empty printable ASCII without ',', '=' or whitespace")
# Names derived from a group (`cyperf-agent-<group>-deployment`) must stay valid DNS labels.
MAX_GROUP_NAME = 40

# Every agent carries `cyperf-k8s=<stack>.<group>` (components/specs.py): a user tag with this key
# would let one stack's agents pass for another's.
STACK_TAG_KEY = "cyperf-k8s"

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


class Readiness(Model):
    """How Kubernetes decides an agent pod is ready."""

    mode: Literal["none", "agent-started", "http-health-check"] = "none"
    """`none`: no probe (the official manifests' default); `agent-started`: `cat
    /appsec/startup_ready` succeeds once the agent finished starting; `http-health-check`
    (servers only): the controller's HTTP health check, which passes only while a test with HTTP
    health check runs, for scaling servers mid-test."""
    path: Annotated[
        str,
        AfterValidator(
            matches(
                URL_PATH, "an absolute URL path starting with '/', printable ASCII without spaces"
            )
        ),
    ] = "/CyPerfHTTPHealthCheck"
    """The HTTP health check's path: the controller's *HTTP Health Check* target URL. Only with
    mode `http-health-check`."""
    port: Port = 80
    """The HTTP health check's port: the controller's *HTTP Health Check* target port. Only with
    mode `http-health-check`."""
    period_seconds: int = Field(default=5, ge=1, le=3600)
    """How often the probe runs, in seconds."""

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
                        only_with(
                            "mode 'http-health-check'",
                            f"mode is {self.mode!r}",
                            "remove it or change the mode",
                        ),
                        getattr(self, name),
                    )
                    for name in ignored
                ]
            )
        return self


class Toleration(Model):
    # The API server validates a toleration's key as a label key and its value as a label value.
    key: LabelKey | None = None
    """The taint key to tolerate, a Kubernetes label key; required with operator `Equal`."""
    operator: Literal["Equal", "Exists"] = "Equal"
    """`Equal` matches the taint's key and value; `Exists` matches every value of the key (every
    taint, without a key)."""
    value: LabelValue | None = None
    """The taint value to match, a Kubernetes label value; not with operator `Exists`."""
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = None
    """The taint effect to tolerate; unset tolerates every effect."""

    @model_validator(mode="after")
    def _consistent(self) -> Toleration:
        problems = []
        if self.operator == "Exists" and self.value is not None:
            problems.append(
                Problem(
                    ("value",),
                    only_with("operator 'Equal'", "operator is 'Exists', which takes no value"),
                    self.value,
                )
            )
        if self.operator == "Equal" and self.key is None:
            problems.append(Problem(("key",), "operator 'Equal' needs a key", None))
        raise_any(problems)
        return self


class AgentGroup(Model):
    name: DnsLabel
    """The group's name, unique among the groups: a DNS label of at most 40 characters (it is
    part of derived object names such as `cyperf-agent-<name>-deployment`)."""
    previous_names: list[DnsLabel] = Field(default_factory=list)
    """Names the group had before. A renamed group that lists its old name keeps
    its objects in Pulumi: one `up` replaces its Deployment (old agents first, so no spare node is
    needed) and updates or replaces its Service in place of the old one (docs/renaming-groups.md).
    Without it a rename is a new group plus a removed one, which `up` refuses while the new group
    would take the old one's Service name or node ports."""
    role: Role
    """`client` (traffic initiators) or `server` (simulated servers)."""
    replicas: int = Field(default=1, ge=0, le=1000)
    """The group's agent pods. A change scales the Deployment in place; the other agents keep
    running. A DPDK group's follow its inventory (one per NIC)."""
    tags: dict[str, str] = Field(default_factory=dict)
    """The agents' `AGENT_TAGS`, rendered `key=value`, comma-separated in key order: what the
    controller's Agent Assignment shows and searches. Empty means `K8s-Group=CyPerf-Agent-Client`
    (or `-Server`) and `node-owner=User`; a given map replaces them. Keys and values are
    printable ASCII without `,`, `=` or spaces. Every agent also gets `cyperf-k8s=<stack>.<group>`,
    unique to the stack's group (day-two commands and a session's `ByTag` assignment match on
    it): the key `cyperf-k8s` is refused here."""
    management_interface: Interface | None = None
    """`AGENT_MANAGEMENT_INTERFACE`, a Linux interface name such as `eth0`; unset leaves the
    choice to the agent."""
    test_interface: Interface | None = None
    """`AGENT_TEST_INTERFACE`, a Linux interface name such as `eth1`; unset leaves the choice to
    the agent."""
    promiscuous_interface: str | None = None
    """`AGENT_PROMISC_INTERFACE`: a Linux interface name, or `<all>` (as with PAN-CNI)."""
    env: dict[str, str] = Field(default_factory=dict)
    """Extra container environment variables, sorted by name; names are ASCII letters, digits,
    `_`, `-` or `.`, not starting with a digit, and not one of the `AGENT_*` variables the
    dedicated settings set. A value set with `--secret --path` stays secret."""
    resources: Resources = Resources()
    """The agent container's requests and limits, merged with the defaults field by field:
    `limits: {cpu: "2"}` keeps the memory request 2Gi and limit 4Gi. `null` removes a default,
    but a memory limit is required."""
    node_selector: LabelMap | None = None
    """Where the group's pods may run, a label map; unset means `{agenttype: <role>}`."""
    one_agent_per_node: bool = True
    """Required pod anti-affinity on `kubernetes.io/hostname` against every CyPerf agent, so no
    two agents share a node (the guide's recommendation)."""
    tolerations: list[Toleration] = Field(default_factory=list)
    """Tolerations for tainted agent nodes (the tolerations of EKS dedicated node groups are
    added automatically)."""
    readiness: Readiness = Readiness()
    """How Kubernetes decides an agent pod is ready."""
    architecture: Literal["amd64", "arm64"] = "amd64"
    """The image architecture: `arm64` uses `public.ecr.aws/keysight/cyperf-agent-aarch64`
    (CyPerf release26.0.0 and newer)."""
    pod_annotations: Annotated[AnnotationMap, AfterValidator(no_reserved_annotations)] = Field(
        default_factory=dict
    )
    """Pod annotations, such as `paloaltonetworks.com/firewall: pan-fw` for PAN-CNI. Keys follow
    the label-key rule, at most 256 KiB in all; the program's own `pulumi.com/skipAwait`,
    `pulumi.com/timeoutSeconds` and `pulumi.com/patchForce` are refused."""
    seccomp_profile: Literal["RuntimeDefault", "Unconfined"] = "RuntimeDefault"
    """The pods' seccomp profile: `RuntimeDefault` unless the agent is seen to need a syscall the
    runtime's profile blocks (docs/security.md)."""
    service: ServiceSettings | None = None
    """The Service in front of a server group: server groups get the guide's Service unless this
    is given, `null` for servers that need none. Client groups have none."""
    conntrack: GroupConntrack | None = None
    """The group's planned traffic at its peak, summed over all its agents
    (docs/conntrack.md)."""
    local_port_range: LocalPortRange | None = None
    """Client groups only: the pods' `net.ipv4.ip_local_port_range` as `"low-high"`
    (docs/conntrack.md); unset derives it from the planned rate."""
    test_network: TestNetwork | None = None
    """A second interface for test traffic, attached with Multus (docs/test-networks.md); the
    pod network stays the management interface. Unset: one interface for both."""

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
            check_part("tag key", key, _check_tag_text)
            if key == STACK_TAG_KEY:
                raise ValueError(
                    f"tag key {key!r} is set by the stack (`{key}=<stack>.<group>`, unique to "
                    "this stack's group); choose another key"
                )
            check_part(f"tag {key!r}: value", item, _check_tag_text)
        return value

    @field_validator("env")
    @classmethod
    def _env(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            check_part("env name", key, check_env_name)
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

    @model_validator(mode="before")
    @classmethod
    def _dpdk_replicas(cls, data: Any) -> Any:
        # A DPDK group runs one agent per inventory NIC: that is its replicas (what the outputs,
        # warnings and conntrack plans count), unless given, which must then agree.
        if isinstance(data, dict) and "replicas" not in data:
            network = data.get("testNetwork", data.get("test_network"))
            dpdk = network.get("dpdk") if isinstance(network, dict) else None
            inventory = dpdk.get("inventory") if isinstance(dpdk, dict) else None
            if isinstance(inventory, list):
                return {**data, "replicas": len(inventory)}
        return data

    @model_validator(mode="after")
    def _role_rules(self) -> AgentGroup:
        problems = []
        if self.role == "client" and self.service is not None:
            problems.append(
                Problem(
                    ("service",),
                    only_with("role 'server'", "role is 'client'"),
                    self.service.model_dump(mode="json", by_alias=True, exclude_unset=True),
                )
            )
        if self.readiness.mode == "http-health-check" and self.role == "client":
            problems.append(
                Problem(
                    ("readiness", "mode"),
                    # A value check, not a key that applies only with another setting.
                    "'http-health-check' is served by server agents only (role is 'client'); "
                    "use 'none' or 'agent-started'",
                    self.readiness.mode,
                )
            )
        problems.extend(group_problems(self.role, self.local_port_range))
        problems.extend(
            network_problems(
                self.test_network,
                self.management_interface,
                self.test_interface,
                self.replicas,
                self.env,
                self.one_agent_per_node,
                self.pod_annotations,
                self.resources,
            )
        )
        raise_any(problems)
        return self

    @property
    def effective_node_selector(self) -> dict[str, str]:
        if self.node_selector is None:
            return {ROLE_LABEL: self.role}
        return self.node_selector
