"""The cyperf-k8s policies and their validate functions.

Resource policies (run on each resource's inputs, during preview and update):
  1. agent images pinned          2. agent security context exact
  3. agent memory limits          4. one-agent-per-node anti-affinity when the pods ask for it
Stack policies (run once on every resource's planned outputs, at the end of preview and update):
  5. agent Deployment selectors disjoint   6. agent Services select server pods only
  7. a kubernetes provider built from an EKS cluster keeps the kubeconfig secret

A value that is unknown during preview never produces a violation: the rule skips what it cannot
decide (the update runs every policy again on known values).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from policy.values import (
    Unknown,
    as_dict,
    as_list,
    get,
    image_pin_problem,
    is_marked_secret,
    parse_image,
    quantity_is_positive,
    same_namespace,
    selector_matches,
    service_selector_matches,
    to_plain,
)

POLICY_PACK_NAME: Final = "cyperf-k8s"

AGENT_IMAGE_REPOSITORIES: Final = frozenset(
    {"public.ecr.aws/keysight/cyperf-agent", "public.ecr.aws/keysight/cyperf-agent-aarch64"}
)
RUN_LABEL: Final = "run"
RUN_CLIENT: Final = "cyperf-agent-client"
RUN_SERVER: Final = "cyperf-agent-server"
AGENT_CONTAINER_NAMES: Final = frozenset({RUN_CLIENT, RUN_SERVER})
AGENT_CAPABILITIES: Final = ("NET_ADMIN", "IPC_LOCK", "NET_RAW")
APP_LABEL: Final = "app"
APP_VALUE: Final = "cyperf-agent"
GROUP_LABEL: Final = "cyperf-k8s/agent-group"
ONE_PER_NODE_LABEL: Final = "cyperf-k8s/one-agent-per-node"
HOSTNAME_TOPOLOGY: Final = "kubernetes.io/hostname"

DEPLOYMENT: Final = "kubernetes:apps/v1:Deployment"
SERVICE: Final = "kubernetes:core/v1:Service"
# A provider resource's type in the engine (and so in policies) is pulumi:providers:<package>;
# kubernetes:index:Provider is only its name in the package schema.
KUBERNETES_PROVIDER_TYPES: Final = frozenset(
    {"pulumi:providers:kubernetes", "kubernetes:index:Provider"}
)
EKS_CLUSTER_TYPES: Final = frozenset({"eks:index:Cluster", "aws:eks/cluster:Cluster"})
KUBECONFIG: Final = "kubeconfig"

# Where each workload kind keeps its pod template (metadata + spec).
POD_TEMPLATE_PATHS: Final[dict[str, tuple[str, ...]]] = {
    "kubernetes:core/v1:Pod": (),
    "kubernetes:core/v1:PodTemplate": ("template",),
    "kubernetes:core/v1:ReplicationController": ("spec", "template"),
    DEPLOYMENT: ("spec", "template"),
    "kubernetes:apps/v1:StatefulSet": ("spec", "template"),
    "kubernetes:apps/v1:DaemonSet": ("spec", "template"),
    "kubernetes:apps/v1:ReplicaSet": ("spec", "template"),
    "kubernetes:batch/v1:Job": ("spec", "template"),
    "kubernetes:batch/v1:CronJob": ("spec", "jobTemplate", "spec", "template"),
}
# Server-side-apply patches can set an image without restating the rest of the container, so
# only the image rule reads them.
PATCH_POD_TEMPLATE_PATHS: Final[dict[str, tuple[str, ...]]] = {
    f"{token}Patch": path for token, path in POD_TEMPLATE_PATHS.items()
}
CONTAINER_LISTS: Final = ("initContainers", "containers")


# --- reading workloads ----------------------------------------------------------------------


@dataclass(frozen=True)
class PodTemplate:
    where: str  # path of the template in the resource, "" for a Pod
    labels: object  # dict, None or UNKNOWN
    spec: object


@dataclass(frozen=True)
class Container:
    where: str  # e.g. spec.template.spec.containers[0]
    name: object
    image: object
    spec: dict[str, object]

    @property
    def label(self) -> str:
        name = self.name if isinstance(self.name, str) else "?"
        return f"container {name!r} ({self.where})"


def _join(*parts: str) -> str:
    return ".".join(part for part in parts if part)


def pod_template(
    resource_type: str, props: object, include_patches: bool = False
) -> PodTemplate | None:
    path = POD_TEMPLATE_PATHS.get(resource_type)
    if path is None and include_patches:
        path = PATCH_POD_TEMPLATE_PATHS.get(resource_type)
    if path is None:
        return None
    template = get(props, *path)
    return PodTemplate(
        where=_join(*path),
        labels=get(template, "metadata", "labels"),
        spec=get(template, "spec"),
    )


def containers(template: PodTemplate) -> Iterator[Container]:
    for list_name in CONTAINER_LISTS:
        for index, item in enumerate(as_list(get(template.spec, list_name))):
            spec = as_dict(item)
            yield Container(
                where=f"{_join(template.where, 'spec', list_name)}[{index}]",
                name=spec.get("name"),
                image=spec.get("image"),
                spec=spec,
            )


def is_agent_container(container: Container) -> bool:
    """An agent container runs a CyPerf agent image, or carries an agent container name."""
    if (
        isinstance(container.image, str)
        and parse_image(container.image).repository in AGENT_IMAGE_REPOSITORIES
    ):
        return True
    return isinstance(container.name, str) and container.name in AGENT_CONTAINER_NAMES


def agent_containers(template: PodTemplate) -> Iterator[Container]:
    return (c for c in containers(template) if is_agent_container(c))


def _report(report_violation: ReportViolation, message: str, urn: str | None = None) -> None:
    report_violation(message, urn)


# --- 1. agent images pinned ------------------------------------------------------------------


def validate_agent_image_pinned(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    props = to_plain(args.props)
    template = pod_template(args.resource_type, props, include_patches=True)
    if template is None:
        return
    for container in agent_containers(template):
        if not isinstance(container.image, str):
            continue  # unknown during preview, or missing (the API server rejects that)
        problem = image_pin_problem(parse_image(container.image))
        if problem is not None:
            _report(
                report_violation,
                f"{container.label}: image {container.image!r} {problem}; pin an explicit "
                "release tag (e.g. release26.0.0) or a digest (@sha256:...).",
            )


# --- 2. agent security context ---------------------------------------------------------------


def validate_agent_security_context(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    props = to_plain(args.props)
    template = pod_template(args.resource_type, props)
    if template is None:
        return
    wanted = set(AGENT_CAPABILITIES)
    for container in agent_containers(template):
        security = container.spec.get("securityContext")
        if isinstance(security, Unknown):
            continue
        added = get(security, "capabilities", "add")
        if not isinstance(added, Unknown):
            names = as_list(added)
            if not any(isinstance(name, Unknown) for name in names):
                have = {name for name in names if isinstance(name, str)}
                missing = [c for c in AGENT_CAPABILITIES if c not in have]
                extra = sorted(have - wanted) + [repr(n) for n in names if not isinstance(n, str)]
                if missing or extra:
                    details = []
                    if missing:
                        details.append(f"missing {', '.join(missing)}")
                    if extra:
                        details.append(f"must not add {', '.join(extra)}")
                    _report(
                        report_violation,
                        f"{container.label}: securityContext.capabilities.add must be exactly "
                        f"[{', '.join(AGENT_CAPABILITIES)}] ({'; '.join(details)}).",
                    )
        if get(security, "privileged") is True:
            _report(
                report_violation,
                f"{container.label}: securityContext.privileged is true; agents run unprivileged "
                "with the three capabilities only.",
            )
        if get(security, "allowPrivilegeEscalation") is True:
            _report(
                report_violation,
                f"{container.label}: securityContext.allowPrivilegeEscalation is true; "
                "remove it or set it to false.",
            )


# --- 3. agent memory limits ------------------------------------------------------------------


def _quantity_problem(value: object) -> str | None:
    if isinstance(value, bool):
        return f"is {value!r}, not a quantity"
    if isinstance(value, int | float):
        return None if value > 0 else f"is {value!r}"
    if not isinstance(value, str) or not value:
        return "is not set"
    return None if quantity_is_positive(value) else f"is {value!r}, not a positive quantity"


def validate_agent_memory_limit(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    props = to_plain(args.props)
    template = pod_template(args.resource_type, props)
    if template is None:
        return
    for container in agent_containers(template):
        memory = get(container.spec, "resources", "limits", "memory")
        if isinstance(memory, Unknown):
            continue
        problem = _quantity_problem(memory)
        if problem is not None:
            _report(
                report_violation,
                f"{container.label}: resources.limits.memory {problem}; every agent container "
                "needs a memory limit (e.g. 4Gi).",
            )


# --- 4. one agent per node -------------------------------------------------------------------


def _selects_all_agent_pods(selector: object) -> bool:
    """A labelSelector whose every requirement is app=cyperf-agent (and has at least one)."""
    if not isinstance(selector, dict):
        return False
    match_labels = as_dict(selector.get("matchLabels"))
    expressions = as_list(selector.get("matchExpressions"))
    if not match_labels and not expressions:
        return False  # an empty selector matches every pod, not just the agents
    for key, value in match_labels.items():
        if (key, value) != (APP_LABEL, APP_VALUE):
            return False
    for expression in expressions:
        values = get(expression, "values")
        if (
            get(expression, "key") != APP_LABEL
            or get(expression, "operator") != "In"
            or not isinstance(values, list)
            or not values
            or any(value != APP_VALUE for value in values)
        ):
            return False
    return True


def _is_one_agent_per_node_term(term: object) -> bool:
    return (
        get(term, "topologyKey") == HOSTNAME_TOPOLOGY
        and _selects_all_agent_pods(get(term, "labelSelector"))
        and not as_list(get(term, "matchLabelKeys"))
        and not as_list(get(term, "mismatchLabelKeys"))
    )


def validate_one_agent_per_node(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    props = to_plain(args.props)
    template = pod_template(args.resource_type, props)
    if template is None or get(template.labels, ONE_PER_NODE_LABEL) != "true":
        return
    terms = get(
        template.spec,
        "affinity",
        "podAntiAffinity",
        "requiredDuringSchedulingIgnoredDuringExecution",
    )
    if isinstance(terms, Unknown) or any(isinstance(term, Unknown) for term in as_list(terms)):
        return
    if any(_is_one_agent_per_node_term(term) for term in as_list(terms)):
        return
    where = _join(template.where, "spec", "affinity", "podAntiAffinity")
    _report(
        report_violation,
        f"pod template labelled {ONE_PER_NODE_LABEL}=true has no "
        f"{where}.requiredDuringSchedulingIgnoredDuringExecution term with topologyKey "
        f"{HOSTNAME_TOPOLOGY} and labelSelector {APP_LABEL} In [{APP_VALUE}] (or matchLabels "
        f"{APP_LABEL}: {APP_VALUE}); without it two agents can share a node.",
    )


# --- reading the stack -----------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    urn: str
    kind: str
    name: str
    namespace: object
    selector: object  # spec.selector (Deployments), None elsewhere
    template: PodTemplate

    @property
    def labels(self) -> object:
        return self.template.labels

    @property
    def is_agent(self) -> bool:
        return get(self.labels, APP_LABEL) == APP_VALUE

    @property
    def is_client(self) -> bool:
        if get(self.labels, RUN_LABEL) == RUN_CLIENT:
            return True
        return any(c.name == RUN_CLIENT for c in containers(self.template))

    @property
    def title(self) -> str:
        return f"{self.kind} {self.name!r}"


def _name(resource: PolicyResource, props: object) -> str:
    name = get(props, "metadata", "name")
    return name if isinstance(name, str) else resource.name


def workloads(resources: list[PolicyResource]) -> list[Workload]:
    found = []
    for resource in resources:
        props = to_plain(resource.props)
        template = pod_template(resource.resource_type, props)
        if template is None:
            continue
        found.append(
            Workload(
                urn=resource.urn,
                kind=resource.resource_type.rsplit(":", 1)[-1],
                name=_name(resource, props),
                namespace=get(props, "metadata", "namespace"),
                selector=get(props, "spec", "selector")
                if resource.resource_type == DEPLOYMENT
                else None,
                template=template,
            )
        )
    return found


def _show(labels: object) -> str:
    return json.dumps(labels, sort_keys=True, default=repr)


# --- 5. disjoint agent selectors -------------------------------------------------------------


def validate_agent_selectors_disjoint(
    args: StackValidationArgs, report_violation: ReportViolation
) -> None:
    found = workloads(args.resources)
    agent_deployments = [w for w in found if w.kind == "Deployment" and w.is_agent]
    for deployment in (w for w in found if w.kind == "Deployment"):
        for other in agent_deployments:
            if other.urn == deployment.urn or not same_namespace(
                deployment.namespace, other.namespace
            ):
                continue
            if selector_matches(deployment.selector, other.labels) is True:
                _report(
                    report_violation,
                    f"{deployment.title}: spec.selector {_show(deployment.selector)} also matches "
                    f"the pods of agent {other.title} (labels {_show(other.labels)}); agent "
                    f"Deployments need disjoint selectors (select on {APP_LABEL}, {RUN_LABEL} and "
                    f"{GROUP_LABEL}).",
                    deployment.urn,
                )


# --- 6. Services select server pods only -----------------------------------------------------


def validate_agent_services_select_servers(
    args: StackValidationArgs, report_violation: ReportViolation
) -> None:
    agents = [w for w in workloads(args.resources) if w.is_agent]
    for resource in args.resources:
        if resource.resource_type != SERVICE:
            continue
        props = to_plain(resource.props)
        selector = get(props, "spec", "selector")
        if isinstance(selector, Unknown) or not isinstance(selector, dict) or not selector:
            continue
        title = f"Service {_name(resource, props)!r}"
        namespace = get(props, "metadata", "namespace")
        reachable = [w for w in agents if same_namespace(namespace, w.namespace)]
        matched = [w for w in reachable if service_selector_matches(selector, w.labels) is True]
        names_agents = (
            selector.get(APP_LABEL) == APP_VALUE
            or selector.get(RUN_LABEL) in (RUN_CLIENT, RUN_SERVER)
            or GROUP_LABEL in selector
        )
        if not matched and not names_agents:
            continue
        run = selector.get(RUN_LABEL)
        if not isinstance(run, Unknown) and run != RUN_SERVER:
            _report(
                report_violation,
                f"{title}: selector {_show(selector)} selects CyPerf agent pods but does not "
                f"include {RUN_LABEL}: {RUN_SERVER}; agent Services must select server pods only.",
                resource.urn,
            )
        for client in (w for w in matched if w.is_client):
            _report(
                report_violation,
                f"{title}: selector {_show(selector)} matches the client pods of {client.title} "
                f"(labels {_show(client.labels)}); a Service must never route to agent clients.",
                resource.urn,
            )


# --- 7. EKS kubeconfig secret ----------------------------------------------------------------


def _inside_eks_component(resource: PolicyResource) -> bool:
    """Providers the pulumi-eks components create for themselves (not the program's to fix)."""
    parent, seen = resource.parent, set()
    while parent is not None and parent.urn not in seen:
        if parent.resource_type.startswith("eks:"):
            return True
        seen.add(parent.urn)
        parent = parent.parent
    return False


def _eks_origin(resource: PolicyResource, props: object) -> str | None:
    """How `resource` (a kubernetes provider) is built from an EKS cluster, if it is."""
    for dependency in resource.property_dependencies.get(KUBECONFIG, []):
        if dependency.resource_type in EKS_CLUSTER_TYPES:
            return f"its kubeconfig is computed from {dependency.resource_type} {dependency.name!r}"
    for dependency in resource.dependencies:
        if dependency.resource_type in EKS_CLUSTER_TYPES:
            return f"it depends on {dependency.resource_type} {dependency.name!r}"
    kubeconfig = get(props, KUBECONFIG)
    text = kubeconfig if isinstance(kubeconfig, str) else json.dumps(kubeconfig, default=repr)
    if "get-token" in text and "eks" in text:
        return "its kubeconfig authenticates with `aws eks get-token`"
    return None


def validate_eks_kubeconfig_secret(
    args: StackValidationArgs, report_violation: ReportViolation
) -> None:
    for resource in args.resources:
        if resource.resource_type not in KUBERNETES_PROVIDER_TYPES or _inside_eks_component(
            resource
        ):
            continue
        props = to_plain(resource.props)
        origin = _eks_origin(resource, props)
        if origin is None:
            continue
        if KUBECONFIG in resource.opts.additional_secret_outputs:
            continue
        if is_marked_secret(resource.props, KUBECONFIG):
            continue
        _report(
            report_violation,
            f"kubernetes provider {resource.name!r}: {origin}, but the kubeconfig is not declared "
            f"secret. Pass it as pulumi.Output.secret(...) and set ResourceOptions("
            f"additional_secret_outputs=[{KUBECONFIG!r}]): policies see secret values unwrapped, "
            "so that option is the only proof of secrecy they can check.",
            resource.urn,
        )


# --- the policies ----------------------------------------------------------------------------

MANDATORY: Final = EnforcementLevel.MANDATORY

POLICIES: Final[list[Policy]] = [
    ResourceValidationPolicy(
        name="cyperf-agent-image-pinned",
        description=(
            "CyPerf agent images carry an explicit tag other than latest, or a sha256 digest."
        ),
        validate=validate_agent_image_pinned,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="cyperf-agent-security-context",
        description=(
            "CyPerf agent containers add exactly NET_ADMIN, IPC_LOCK and NET_RAW, and are neither "
            "privileged nor allowed privilege escalation."
        ),
        validate=validate_agent_security_context,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="cyperf-agent-memory-limit",
        description="Every CyPerf agent container sets resources.limits.memory.",
        validate=validate_agent_memory_limit,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="cyperf-agent-one-per-node",
        description=(
            f"Agent pods labelled {ONE_PER_NODE_LABEL}=true carry a required podAntiAffinity on "
            f"{HOSTNAME_TOPOLOGY} against {APP_LABEL}={APP_VALUE}."
        ),
        validate=validate_one_agent_per_node,
        enforcement_level=MANDATORY,
    ),
    StackValidationPolicy(
        name="cyperf-agent-selectors-disjoint",
        description="No Deployment's selector matches the pods of another CyPerf agent Deployment.",
        validate=validate_agent_selectors_disjoint,
        enforcement_level=MANDATORY,
    ),
    StackValidationPolicy(
        name="cyperf-agent-services-select-servers",
        description=(
            f"A Service that selects CyPerf agent pods selects {RUN_LABEL}={RUN_SERVER} and no "
            "client pod."
        ),
        validate=validate_agent_services_select_servers,
        enforcement_level=MANDATORY,
    ),
    StackValidationPolicy(
        name="eks-kubeconfig-secret",
        description=(
            "A kubernetes provider built from an EKS cluster declares its kubeconfig secret "
            "(additional_secret_outputs=['kubeconfig'])."
        ),
        validate=validate_eks_kubeconfig_secret,
        enforcement_level=MANDATORY,
    ),
]
