"""The stack settings every stack has (`StackSettings`), and the views components take of them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

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
    check_part,
    matches,
)
from components.settings.problems import Problem, raise_any, repeated
from components.settings.renames import previous_name_problems
from components.settings.test_network import stack_problems as network_problems


def _default_groups() -> list[AgentGroup]:
    return [AgentGroup(name="client", role="client"), AgentGroup(name="server", role="server")]


_release_tag = matches(
    cyperf.RELEASE_TAG,
    "a pinned CyPerf agent image tag such as 'release7.0', 'release26.0.0' or '26.0.3.834' "
    "('latest' and other moving tags are not allowed)",
)


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
    # The Pulumi stack's name: part of the tag that tells this stack's agents from any other's.
    stack: str
    # Every string of a key set with `--secret`: what derives from one is registered secret.
    secret_values: frozenset[str] = frozenset()

    @property
    def server_groups(self) -> list[AgentGroup]:
        return [g for g in self.groups if g.role == "server"]


class StackSettings(Model):
    cluster: Literal["existing", "eks"] = "existing"
    """Where the agents run: `existing` deploys into the cluster of `kubeconfig` and
    `kubeContext`, `eks` provisions an EKS cluster first (the `eks` keys)."""
    cyperf_release: Annotated[str, AfterValidator(_release_tag)] = cyperf.DEFAULT_RELEASE
    """The CyPerf agent image tag, pinned: `release7.0`, `release26.0.0` or a build such as
    `26.0.3.834` (`latest` and other moving tags are refused). The image comes from
    `public.ecr.aws/keysight/cyperf-agent`."""
    controller_address: Annotated[str, AfterValidator(check_controller_address)] | None = None
    """IPv4 address or DNS name of the CyPerf Controller, or of the Controller Proxy in hybrid
    setups, given to the agents as `AGENT_CONTROLLER`: IPv6, a scheme, port or path, surrounding
    whitespace and addresses no agent can reach (`0.0.0.0/8`, loopback and `localhost`,
    link-local, multicast, reserved, `*.invalid`) are refused; the documentation ranges (the
    example stacks' placeholder `192.0.2.10`) and `.local` names are accepted with a warning.
    Unset, the agents deploy without `AGENT_CONTROLLER` and the program warns: set it later with
    the agent CLI, or set the key and run `pulumi up` again."""
    controller_is_proxy: bool = False
    """Whether `controllerAddress` is a CyPerf Controller Proxy (hybrid deployments). Shown in
    the outputs, so the tester configures the proxy's public IP in the controller."""
    kubeconfig: SecretStr | None = None
    """kubeconfig content or a path to one (`pulumi config set --secret kubeconfig "$(cat
    kc.yaml)"`); unset means `KUBECONFIG` or `~/.kube/config`. Refused: empty or blank text
    (unset the key instead), text that is not a YAML or JSON map with non-empty `clusters` and
    `contexts`, a path to no readable file. Always secret: never printed, not even in errors."""
    kube_context: str | None = None
    """The kubeconfig context (unset: its current context), without surrounding whitespace; with
    `kubeconfig` set it must be one of its contexts. Changing it points the stack at another
    cluster, so Pulumi replaces the objects; rotating credentials in the same context does not."""
    namespace: DnsLabel = "cyperf"
    """The namespace of the agents. `default`, `kube-system`, `kube-public` and `kube-node-lease`
    only with `createNamespace: false` (`pulumi destroy` would delete a namespace the stack
    created)."""
    create_namespace: bool = True
    """Whether the stack creates (and on destroy deletes) the namespace, labelled for Pod
    Security `privileged`. With `false` the namespace must exist: the program reads it at
    preview and refuses one whose Pod Security level rejects the agents."""
    cluster_dns_service: str = "kube-system/kube-dns"
    """The cluster DNS Service as `<namespace>/<name>`: its ClusterIP is the clients' name
    server."""
    agent_groups: list[AgentGroup] = Field(default_factory=_default_groups, min_length=1)
    """The agents, at least one group: each becomes one Deployment
    `cyperf-agent-<name>-deployment`, and a server group also gets its Service. Several groups
    per role are allowed (two client groups with different tags for two network segments, two
    server groups behind different Services)."""
    node_labels: dict[str, cyperf.Role] = Field(default_factory=dict)
    """Existing nodes to label `agenttype=<role>`, node name to `client` or `server` (replaces
    `kubectl label nodes`). Agents wait for the labels, and `pulumi destroy` removes them."""
    rollout_timeout_seconds: int = Field(default=300, ge=30, le=3600)
    """Bound on waiting for each agent rollout and each server Service's first ready endpoint,
    in seconds. A pod that cannot be scheduled fails `pulumi up` after this, not after ten
    minutes; it is also the Deployments' `progressDeadlineSeconds`."""
    _secret_values: frozenset[str] = PrivateAttr(default=frozenset())
    conntrack: ConntrackSettings = ConntrackSettings()
    """Conntrack sizing and node tuning for the declared test, for the whole stack
    (docs/conntrack.md)."""

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
            check_part("node name", node, check_dns_subdomain)
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
        for duplicate in repeated([g.name for g in self.agent_groups]):
            problems.append(
                Problem(
                    groups, "group names must be unique; this one is used more than once", duplicate
                )
            )
        for duplicate in repeated([g.service.name for g in self.agent_groups if g.service]):
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
        for node_port in repeated(node_ports):
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
                        "'arm64' needs cyperfRelease release26.0.0 or newer, where the aarch64 "
                        f"image starts (cyperfRelease is {self.cyperf_release!r}); use 'amd64' or "
                        "a newer release",
                        group.architecture,
                    )
                )
        problems.extend(stack_problems(self.cluster, self.conntrack))
        problems.extend(
            network_problems(
                self.cluster,
                self.cyperf_release,
                self.controller_address,
                [(g.name, g.architecture, g.test_network) for g in self.agent_groups],
            )
        )
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

    def agents_in(self, stack: str) -> AgentsSettings:
        """The agents' settings as the stack named `stack` deploys them."""
        return AgentsSettings(
            groups=tuple(self.agent_groups),
            release=self.cyperf_release,
            controller_address=self.controller_address,
            controller_is_proxy=self.controller_is_proxy,
            namespace=self.namespace,
            create_namespace=self.create_namespace,
            rollout_timeout_seconds=self.rollout_timeout_seconds,
            stack=stack,
            secret_values=self.secret_values,
        )
