"""The stack settings every stack has (`StackSettings`), and the views components take of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    Field,
    PrivateAttr,
    SecretStr,
    field_validator,
    model_validator,
)

from components import cyperf
from components.settings.agent_groups import AgentGroup
from components.settings.conntrack import ConntrackSettings, stack_problems
from components.settings.controller_address import check_controller_address
from components.settings.fields import (
    DnsLabel,
    Model,
    check_dns_label,
    check_dns_subdomain,
)
from components.settings.problems import Problem, raise_any
from components.settings.renames import previous_name_problems


def _default_groups() -> list[AgentGroup]:
    return [AgentGroup(name="client", role="client"), AgentGroup(name="server", role="server")]


def _release_tag(value: str) -> str:
    if not cyperf.RELEASE_TAG.fullmatch(value):
        raise ValueError(
            "must be a pinned CyPerf agent image tag such as 'release7.0', 'release26.0.0' or "
            "'26.0.3.834' ('latest' and other moving tags are not allowed)"
        )
    return value


# Namespaces every cluster has: the stack must never create (and so on destroy delete) them.
SYSTEM_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})


def _kubeconfig_problems(kubeconfig: SecretStr | None, context: str | None) -> list[Problem]:
    """Whether the kubeconfig can be what the provider uses; messages never quote its text."""
    if kubeconfig is None:
        return []
    text = kubeconfig.get_secret_value()
    key = ("kubeconfig",)
    if not text.strip():
        return [
            Problem(
                key,
                "must be kubeconfig content or a path to one; empty, the provider would "
                "silently use the ambient KUBECONFIG (unset the key to mean that)",
                kubeconfig,
            )
        ]
    if "\n" not in text and not text.lstrip().startswith("{"):
        try:
            text = Path(text).expanduser().read_text(errors="replace")
        except OSError:
            return [Problem(key, "is a path to no readable file", kubeconfig)]
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError:
        document = None
    if not isinstance(document, dict) or not all(
        isinstance(document.get(k), list) and document.get(k) for k in ("clusters", "contexts")
    ):
        return [
            Problem(
                key,
                "must be a kubeconfig: a YAML or JSON map with non-empty 'clusters' and "
                "'contexts' lists",
                kubeconfig,
            )
        ]
    names = sorted(
        str(c.get("name")) for c in document["contexts"] if isinstance(c, dict) and c.get("name")
    )
    if context is not None and context not in names:
        return [
            Problem(
                ("kubeContext",),
                f"must name a context of the kubeconfig; it has {names}",
                context,
            )
        ]
    return []


def _repeated(values: Sequence[Any]) -> list[Any]:
    return sorted({v for v in values if values.count(v) > 1})


@dataclass(frozen=True)
class AgentsSettings:
    """What the agents are deployed with: the groups and the stack keys every group shares."""

    groups: tuple[AgentGroup, ...]
    release: str
    controller_address: str | None
    controller_is_proxy: bool
    namespace: str
    create_namespace: bool
    rollout_timeout_seconds: int
    # Every string of a key set with `--secret`: what derives from one is registered secret.
    secret_values: frozenset[str] = frozenset()

    @property
    def server_groups(self) -> list[AgentGroup]:
        return [g for g in self.groups if g.role == "server"]


class StackSettings(Model):
    # `existing`: the cluster kubeconfig/kubeContext point at; `eks`: one this stack provisions.
    cluster: Literal["existing", "eks"] = "existing"
    cyperf_release: Annotated[str, AfterValidator(_release_tag)] = cyperf.DEFAULT_RELEASE
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
    node_labels: dict[str, cyperf.Role] = Field(default_factory=dict)
    # Bound on waiting for agents to roll out (and for server Services to get a ready endpoint):
    # a pod that cannot be scheduled fails `pulumi up` after this, not after ten minutes.
    rollout_timeout_seconds: int = Field(default=300, ge=30, le=3600)
    _secret_values: frozenset[str] = PrivateAttr(default=frozenset())
    conntrack: ConntrackSettings = ConntrackSettings()

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
        if value is not None and (not value.strip() or value != value.strip()):
            raise ValueError(
                "must be a context name without leading or trailing whitespace (no context "
                "would match)"
            )
        return value

    @model_validator(mode="after")
    def _cross_checks(self) -> StackSettings:
        problems: list[Problem] = []
        groups = ("agentGroups",)
        for duplicate in _repeated([g.name for g in self.agent_groups]):
            problems.append(
                Problem(
                    groups, "group names must be unique; this one is used more than once", duplicate
                )
            )
        for duplicate in _repeated([g.service.name for g in self.agent_groups if g.service]):
            problems.append(
                Problem(
                    groups,
                    "this Service name is used by more than one server group; give each "
                    "group's service a distinct `name`",
                    duplicate,
                )
            )
        problems.extend(previous_name_problems(self.agent_groups))
        node_ports = [
            p.node_port
            for g in self.agent_groups
            if g.service
            for p in g.service.ports
            if p.node_port is not None
        ]
        for node_port in _repeated(node_ports):
            problems.append(
                Problem(groups, "this node port is used by more than one Service", node_port)
            )
        if self.create_namespace and self.namespace in SYSTEM_NAMESPACES:
            problems.append(
                Problem(
                    ("namespace",),
                    f"must not be one of {sorted(SYSTEM_NAMESPACES)} while createNamespace is "
                    "true (destroy would delete it); use another name or createNamespace false",
                    self.namespace,
                )
            )
        if self.cluster == "existing":
            problems += _kubeconfig_problems(self.kubeconfig, self.kube_context)
        for index, group in enumerate(self.agent_groups):
            if group.architecture == "arm64" and not cyperf.supports_arm64(self.cyperf_release):
                problems.append(
                    Problem(
                        ("agentGroups", index, "architecture"),
                        f"'arm64' needs cyperfRelease release26.0.0 or newer (the aarch64 "
                        f"image starts there), not {self.cyperf_release!r}",
                        group.architecture,
                    )
                )
        problems.extend(stack_problems(self.cluster, self.conntrack))
        raise_any(problems)
        return self

    @property
    def secret_values(self) -> frozenset[str]:
        """Every string of the keys set with `--secret` (see `conceal`)."""
        return self._secret_values

    def remember_secrets(self, values: frozenset[str]) -> None:
        self._secret_values = values

    def node_instance_types(self, group: AgentGroup) -> list[str] | None:
        """The instance types of the nodes the group's selector matches; None where the stack
        does not create the nodes (an existing cluster)."""
        return None

    @property
    def kubernetes_minor(self) -> int | None:
        """The cluster's Kubernetes minor version where the stack chooses it; None otherwise."""
        return None

    @property
    def client_groups(self) -> list[AgentGroup]:
        return [g for g in self.agent_groups if g.role == "client"]

    @property
    def agents(self) -> AgentsSettings:
        return AgentsSettings(
            groups=tuple(self.agent_groups),
            release=self.cyperf_release,
            controller_address=self.controller_address,
            controller_is_proxy=self.controller_is_proxy,
            namespace=self.namespace,
            create_namespace=self.create_namespace,
            rollout_timeout_seconds=self.rollout_timeout_seconds,
            secret_values=self.secret_values,
        )
