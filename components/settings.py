"""The stack's settings: one typed, validated model parsed once from the stack config.

Everything the program decides is decided from a `StackSettings`; components never read
`pulumi.Config` themselves. Parsing fails with a `SettingsError` whose lines each name the
config key, the bad value and what is allowed, before any resource is registered.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from components.validators import (
    ENV_NAME,
    AnnotationMap,
    Cpu,
    CrossCheckProblems,
    DnsLabel,
    Interface,
    LabelMap,
    Memory,
    Model,
    NodePort,
    Port,
    SettingsError,
    check_controller_address,
    check_dns_label,
    check_dns_subdomain,
    check_interface,
    check_label_key,
    cpu_millis,
    memory_bytes,
)

PROJECT = "cyperf-k8s"

AGENT_IMAGE_REPOSITORY = "public.ecr.aws/keysight/cyperf-agent"
AGENT_IMAGE_REPOSITORY_ARM64 = "public.ecr.aws/keysight/cyperf-agent-aarch64"
DEFAULT_RELEASE = "release26.0.0"
# The aarch64 image is published from CyPerf 26.0.0 on.
FIRST_ARM64_RELEASE = (26, 0, 0)

# A CyPerf release tag as published: `release1.0-update1`, `release26.0.0`, or a build `26.0.3.834`.
RELEASE_TAG = re.compile(r"^(release\d+(\.\d+){1,2}(-update\d+)?|\d+\.\d+\.\d+\.\d+)$")

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


# --- agent groups ------------------------------------------------------------------------------


class ResourceQuantities(Model):
    cpu: Cpu | None = None
    memory: Memory | None = None


class Resources(Model):
    # The guide's defaults: limit 4Gi, request 2Gi; CPU left to the tester (3.5 suits 8-core nodes).
    requests: ResourceQuantities = ResourceQuantities(memory="2Gi")
    limits: ResourceQuantities = ResourceQuantities(memory="4Gi")

    @model_validator(mode="after")
    def _requests_within_limits(self) -> Resources:
        problems = []
        if self.limits.memory is None:
            problems.append(
                "limits.memory must be set (an agent without a memory limit can starve its node)"
            )
        elif self.requests.memory and memory_bytes(self.requests.memory) > memory_bytes(
            self.limits.memory
        ):
            problems.append(
                f"requests.memory {self.requests.memory!r} exceeds limits.memory "
                f"{self.limits.memory!r}; a request must not exceed its limit"
            )
        if (
            self.requests.cpu
            and self.limits.cpu
            and cpu_millis(self.requests.cpu) > cpu_millis(self.limits.cpu)
        ):
            problems.append(
                f"requests.cpu {self.requests.cpu!r} exceeds limits.cpu {self.limits.cpu!r}; "
                "a request must not exceed its limit"
            )
        if problems:
            raise ValueError("; ".join(problems))
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
        if not value.startswith("/") or re.search(r"\s", value):
            raise ValueError("must be an absolute URL path starting with '/', without spaces")
        return value


class Toleration(Model):
    key: str | None = None
    operator: Literal["Equal", "Exists"] = "Equal"
    value: str | None = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Toleration:
        if self.key is not None:
            check_label_key(self.key)
        if self.operator == "Exists" and self.value is not None:
            raise ValueError("operator 'Exists' takes no value")
        if self.operator == "Equal" and self.key is None:
            raise ValueError("operator 'Equal' needs a key")
        return self


class ServicePort(Model):
    name: DnsLabel = "http"
    port: Port = 80
    target_port: Port = 80
    node_port: NodePort | None = None
    protocol: Literal["TCP", "UDP"] = "TCP"


class ServiceSettings(Model):
    name: DnsLabel = "cyperf-agent-service"
    type: Literal["ClusterIP", "NodePort", "LoadBalancer"] = "ClusterIP"
    ports: list[ServicePort] = Field(default_factory=lambda: [ServicePort()], min_length=1)
    annotations: AnnotationMap = Field(default_factory=dict)
    # Only a LoadBalancer waits for its address; without a load-balancer controller it never
    # comes, so the wait is bounded and can be switched off.
    load_balancer_await_seconds: int = Field(default=600, ge=0, le=3600)

    @model_validator(mode="after")
    def _ports_consistent(self) -> ServiceSettings:
        names = [p.name for p in self.ports]
        numbers = [(p.port, p.protocol) for p in self.ports]
        node_ports = [p.node_port for p in self.ports if p.node_port is not None]
        problems = []
        if len(set(names)) != len(names):
            problems.append(f"ports: names {names} must be unique")
        if len(set(numbers)) != len(numbers):
            problems.append(f"ports: port numbers {[p.port for p in self.ports]} must be unique")
        if len(set(node_ports)) != len(node_ports):
            problems.append(f"ports: node ports {node_ports} must be unique")
        if node_ports and self.type == "ClusterIP":
            problems.append(
                f"ports: nodePort {node_ports} needs type NodePort or LoadBalancer, not ClusterIP"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self


class AgentGroup(Model):
    name: DnsLabel
    role: Literal["client", "server"]
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
    pod_annotations: AnnotationMap = Field(default_factory=dict)
    # Server groups only; `null` for servers that need no Service.
    service: ServiceSettings | None = None

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
                if not text or re.search(r"[,=\s]", text):
                    raise ValueError(
                        f"tag {key!r}: {item!r} is not allowed; keys and values must be "
                        "non-empty and contain no ',', '=' or whitespace"
                    )
        return value

    @field_validator("env")
    @classmethod
    def _env(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if not ENV_NAME.match(key):
                raise ValueError(f"env name {key!r} must match {ENV_NAME.pattern}")
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
        if self.role == "client" and self.service is not None:
            raise ValueError("service: only server groups can have a Service")
        if self.readiness.mode == "http-health-check" and self.role == "client":
            raise ValueError(
                "readiness.mode: 'http-health-check' is served by server agents only; "
                "use 'none' or 'agent-started' for clients"
            )
        return self

    @property
    def effective_node_selector(self) -> dict[str, str]:
        if self.node_selector is None:
            return {"agenttype": self.role}
        return self.node_selector


def _default_groups() -> list[AgentGroup]:
    return [AgentGroup(name="client", role="client"), AgentGroup(name="server", role="server")]


def _release_tag(value: str) -> str:
    if not RELEASE_TAG.match(value):
        raise ValueError(
            "must be a pinned CyPerf agent image tag such as 'release7.0', 'release26.0.0' or "
            "'26.0.3.834' ('latest' and other moving tags are not allowed)"
        )
    return value


def release_version(tag: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", tag.split("-")[0])[:3])


class StackSettings(Model):
    # `existing`: the cluster kubeconfig/kubeContext point at; `eks`: one this stack provisions.
    cluster: Literal["existing", "eks"] = "existing"
    cyperf_release: Annotated[str, AfterValidator(_release_tag)] = DEFAULT_RELEASE
    controller_address: Annotated[str, AfterValidator(check_controller_address)] | None = None
    # The address above is a CyPerf Controller Proxy (hybrid deployments); shown in the outputs.
    controller_is_proxy: bool = False
    kubeconfig: SecretStr | None = None
    kube_context: str | None = None
    namespace: DnsLabel = "cyperf"
    create_namespace: bool = True
    cluster_dns_service: str = "kube-system/kube-dns"
    agent_groups: list[AgentGroup] = Field(default_factory=_default_groups, min_length=1)
    # Existing nodes to label `agenttype=<role>` (replaces `kubectl label nodes`).
    node_labels: dict[str, Literal["client", "server"]] = Field(default_factory=dict)
    # Bound on waiting for agents to roll out (and for server Services to get a ready endpoint):
    # a pod that cannot be scheduled fails `pulumi up` after this, not after ten minutes.
    rollout_timeout_seconds: int = Field(default=300, ge=30, le=3600)

    @field_validator("cluster_dns_service")
    @classmethod
    def _namespaced_name(cls, value: str) -> str:
        namespace, _, name = value.partition("/")
        if not name:
            raise ValueError("must be '<namespace>/<service name>', e.g. 'kube-system/kube-dns'")
        check_dns_label(namespace)
        check_dns_label(name)
        return value

    @field_validator("node_labels")
    @classmethod
    def _node_names(cls, value: dict[str, str]) -> dict[str, str]:
        for node in value:
            try:
                check_dns_subdomain(node)
            except ValueError as err:
                raise ValueError(f"node name {node!r} {err}") from None
        return value

    @field_validator("kube_context")
    @classmethod
    def _context(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be empty")
        return value

    @model_validator(mode="after")
    def _cross_checks(self) -> StackSettings:
        problems: list[tuple[str, str, Any]] = []
        names = [g.name for g in self.agent_groups]
        for duplicate in sorted({n for n in names if names.count(n) > 1}):
            problems.append(
                (
                    "agentGroups",
                    "group names must be unique; this one is used more than once",
                    duplicate,
                )
            )
        services = [g.service.name for g in self.agent_groups if g.service]
        for duplicate in sorted({n for n in services if services.count(n) > 1}):
            problems.append(
                (
                    "agentGroups",
                    "this Service name is used by more than one server group; give each "
                    "group's service a distinct `name`",
                    duplicate,
                )
            )
        node_ports = [
            p.node_port
            for g in self.agent_groups
            if g.service
            for p in g.service.ports
            if p.node_port is not None
        ]
        for node_port in sorted({n for n in node_ports if node_ports.count(n) > 1}):
            problems.append(
                ("agentGroups", "this node port is used by more than one Service", node_port)
            )
        for index, group in enumerate(self.agent_groups):
            if (
                group.architecture == "arm64"
                and release_version(self.cyperf_release) < FIRST_ARM64_RELEASE
            ):
                problems.append(
                    (
                        f"agentGroups[{index}].architecture",
                        f"'arm64' needs cyperfRelease release26.0.0 or newer (the aarch64 "
                        f"image starts there), not {self.cyperf_release!r}",
                        group.architecture,
                    )
                )
        if problems:
            raise CrossCheckProblems(problems)
        return self

    @property
    def server_groups(self) -> list[AgentGroup]:
        return [g for g in self.agent_groups if g.role == "server"]

    @property
    def client_groups(self) -> list[AgentGroup]:
        return [g for g in self.agent_groups if g.role == "client"]


# --- parsing -----------------------------------------------------------------------------------

STRING_KEYS = frozenset(
    {
        "cyperfRelease",
        "controllerAddress",
        "kubeconfig",
        "kubeContext",
        "namespace",
        "clusterDnsService",
    }
)


def _decode(key: str, raw: Any) -> Any:
    """Config values arrive as strings; objects and lists as JSON text."""
    if key in STRING_KEYS or not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def _location(loc: tuple[int | str, ...]) -> str:
    text = f"{PROJECT}:"
    for index, part in enumerate(loc):
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if index else "") + part
    return text


def _describe(value: Any) -> str:
    if isinstance(value, (dict, list)):
        text = json.dumps(value, sort_keys=True)
        return text if len(text) <= 120 else text[:117] + "..."
    return repr(value)


def read_stack_config() -> dict[str, Any]:
    """Every config value the engine handed this program (`pulumi.Config` reads one key at a time
    and cannot tell us about keys we do not know, which is how typos are caught)."""
    from pulumi.runtime import config as runtime_config

    return {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}


def parse_settings(config: Mapping[str, Any]) -> StackSettings:
    """Parse `{"cyperf-k8s:<key>": raw value}` (the stack config) into settings.

    Keys of other namespaces (`aws:region`, `kubernetes:...`) are left to their providers.
    """
    prefix = f"{PROJECT}:"
    data = {
        key[len(prefix) :]: _decode(key[len(prefix) :], value)
        for key, value in sorted(config.items())
        if key.startswith(prefix)
    }
    model: type[StackSettings] = StackSettings
    if data.get("cluster") == "eks":
        # Only an EKS stack loads the EKS settings (and pays for their import).
        from components.eks_settings import EksStackSettings

        model = EksStackSettings
    try:
        return model.model_validate(data)
    except ValidationError as err:
        problems: list[str] = []
        for error in err.errors(include_url=False):
            cross_check = error.get("ctx", {}).get("error")
            if isinstance(cross_check, CrossCheckProblems):
                problems.extend(
                    f"{PROJECT}:{key}: {message} (got {_describe(value)})"
                    for key, message, value in cross_check.problems
                )
                continue
            loc = tuple(p for p in error["loc"] if p not in ("function-after", "function-before"))
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                message = (
                    f"applies only with cluster 'eks' (cluster is {data.get('cluster')!r}); set "
                    f"{PROJECT}:cluster to 'eks' or remove {PROJECT}:eks"
                    if loc == ("eks",)
                    else "is not a known setting (check the spelling; see README)"
                )
            if loc and loc[0] == "kubeconfig":
                problems.append(f"{_location(loc)}: {message} (value hidden: it is a secret)")
            else:
                problems.append(f"{_location(loc)}: {message} (got {_describe(error['input'])})")
        raise SettingsError(problems) from None
