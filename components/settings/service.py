"""The Service in front of a server agent group (`agentGroups[i].service`), and the annotation
keys the program reserves on the objects it renders."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from components.settings.fields import (
    AnnotationMap,
    Model,
    NodePort,
    Port,
    PortName,
    ServiceName,
)
from components.settings.problems import Problem, only_with, raise_any, repeated

# Annotations the program sets on the objects it renders, to bound or skip Pulumi's await; a
# user's value would be overwritten, so these keys are refused in `annotations`/`podAnnotations`.
RESERVED_ANNOTATIONS = frozenset(
    {"pulumi.com/skipAwait", "pulumi.com/timeoutSeconds", "pulumi.com/patchForce"}
)


def no_reserved_annotations(value: dict[str, str]) -> dict[str, str]:
    reserved = sorted(RESERVED_ANNOTATIONS.intersection(value))
    if reserved:
        raise ValueError(
            f"annotation key {reserved[0]!r} is set by the stack (await bounds: "
            "rolloutTimeoutSeconds, service.loadBalancerAwaitSeconds); remove it"
        )
    return value


class ServicePort(Model):
    name: PortName = "http"
    """The port name: at most 15 lowercase letters, digits and `-`, at least one letter, no `--`
    (an IANA service name, as Kubernetes checks port names)."""
    port: Port = 80
    """The port the Service listens on."""
    target_port: Port = 80
    """The agent container's port the Service forwards to."""
    node_port: NodePort | None = None
    """A fixed node port (30000-32767), only with type `NodePort` or `LoadBalancer`; unset lets
    Kubernetes pick one (the outputs show it)."""
    protocol: Literal["TCP", "UDP"] = "TCP"
    """The port's protocol."""


class ServiceSettings(Model):
    name: ServiceName = "cyperf-agent-service"
    """The Service's name: a DNS-1035 label (starting with a letter), unique across the groups."""
    type: Literal["ClusterIP", "NodePort", "LoadBalancer"] = "ClusterIP"
    """The Service type; `NodePort` or `LoadBalancer` for clients outside the cluster."""
    ports: list[ServicePort] = Field(default_factory=lambda: [ServicePort()], min_length=1)
    """The Service's ports, at least one; add `{name: https, port: 443, targetPort: 443}` for
    TLS. Names, numbers per protocol and node ports are each unique."""
    annotations: Annotated[AnnotationMap, AfterValidator(no_reserved_annotations)] = Field(
        default_factory=dict
    )
    """Service annotations, such as a load-balancer controller's. Keys follow the label-key rule;
    the await annotations the program sets (`pulumi.com/skipAwait`, `pulumi.com/timeoutSeconds`,
    `pulumi.com/patchForce`) are refused: use `rolloutTimeoutSeconds` or
    `loadBalancerAwaitSeconds`."""
    load_balancer_await_seconds: int = Field(default=600, ge=0, le=3600)
    """How long `pulumi up` waits for a LoadBalancer's address, in seconds; `0` does not wait
    (without a load-balancer controller the address never comes). Only with type
    `LoadBalancer`."""

    @model_validator(mode="after")
    def _ports_consistent(self) -> ServiceSettings:
        problems = [
            Problem(("ports",), f"{what} must be unique; this one is used more than once", value)
            for what, values in (
                ("port names", [p.name for p in self.ports]),
                ("port numbers per protocol", [f"{p.port}/{p.protocol}" for p in self.ports]),
                ("node ports", [p.node_port for p in self.ports if p.node_port is not None]),
            )
            for value in repeated(values)
        ]
        if self.type != "LoadBalancer" and "load_balancer_await_seconds" in self.model_fields_set:
            problems.append(
                Problem(
                    ("loadBalancerAwaitSeconds",),
                    only_with("type LoadBalancer", f"type is {self.type!r}"),
                    self.load_balancer_await_seconds,
                )
            )
        if self.type == "ClusterIP":
            problems += [
                Problem(
                    ("ports", index, "nodePort"),
                    only_with(
                        "type NodePort or LoadBalancer",
                        f"type is {self.type!r}",
                        "remove it or change the type",
                    ),
                    port.node_port,
                )
                for index, port in enumerate(self.ports)
                if port.node_port is not None
            ]
        raise_any(problems)
        return self
