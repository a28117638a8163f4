"""Reading workloads: where each kind keeps its pod template, its containers, and which are agents.

The rules only ever ask two questions of a resource: "which agent containers does it run" (the
resource rules) and "which pod templates does the stack hold" (the stack rules). Both are answered
in this module, once, from props copied by `values.to_plain` (unknowns as `UNKNOWN`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from pulumi_policy import PolicyResource, ResourceValidationArgs

from policy.values import as_dict, as_list, get, parse_image, to_plain

# What makes a container or a pod a CyPerf agent (Keysight's example manifests).
AGENT_IMAGE_REPOSITORIES: Final = frozenset(
    {
        "public.ecr.aws/keysight/cyperf-agent",
        "public.ecr.aws/keysight/cyperf-agent-aarch64",
        "public.ecr.aws/keysight/cyperf-agent-dpdk",
    }
)
RUN_LABEL: Final = "run"
RUN_CLIENT: Final = "cyperf-agent-client"
RUN_SERVER: Final = "cyperf-agent-server"
AGENT_CONTAINER_NAMES: Final = frozenset({RUN_CLIENT, RUN_SERVER})
APP_LABEL: Final = "app"
APP_VALUE: Final = "cyperf-agent"
GROUP_LABEL: Final = "cyperf-k8s/agent-group"

DEPLOYMENT: Final = "kubernetes:apps/v1:Deployment"

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


def join_path(*parts: str) -> str:
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
        where=join_path(*path),
        labels=get(template, "metadata", "labels"),
        spec=get(template, "spec"),
    )


def resource_pod_template(
    args: ResourceValidationArgs, include_patches: bool = False
) -> PodTemplate | None:
    """The pod template of the resource a resource policy is looking at, if it has one."""
    return pod_template(args.resource_type, to_plain(args.props), include_patches)


def containers(template: PodTemplate) -> Iterator[Container]:
    for list_name in CONTAINER_LISTS:
        for index, item in enumerate(as_list(get(template.spec, list_name))):
            spec = as_dict(item)
            yield Container(
                where=f"{join_path(template.where, 'spec', list_name)}[{index}]",
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


def agent_containers(
    args: ResourceValidationArgs, include_patches: bool = False
) -> Iterator[Container]:
    """The agent containers (init containers first) of the resource a resource policy sees.

    Nothing for a resource that has no pod template.
    """
    template = resource_pod_template(args, include_patches)
    if template is None:
        return
    yield from (c for c in containers(template) if is_agent_container(c))


@dataclass(frozen=True)
class Workload:
    """A stack resource with a pod template, as a stack policy sees it."""

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


def object_name(resource: PolicyResource, props: object) -> str:
    """metadata.name when known, else the Pulumi resource name."""
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
                name=object_name(resource, props),
                namespace=get(props, "metadata", "namespace"),
                selector=get(props, "spec", "selector")
                if resource.resource_type == DEPLOYMENT
                else None,
                template=template,
            )
        )
    return found
