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
from components.settings.problems import Problem, raise_any

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
    port: Port = 80
    target_port: Port = 80
    node_port: NodePort | None = None
    protocol: Literal["TCP", "UDP"] = "TCP"


class ServiceSettings(Model):
    name: ServiceName = "cyperf-agent-service"
    type: Literal["ClusterIP", "NodePort", "LoadBalancer"] = "ClusterIP"
    ports: list[ServicePort] = Field(default_factory=lambda: [ServicePort()], min_length=1)
    annotations: Annotated[AnnotationMap, AfterValidator(no_reserved_annotations)] = Field(
        default_factory=dict
    )
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
            problems.append(Problem(("ports",), "port names must be unique", names))
        if len(set(numbers)) != len(numbers):
            problems.append(
                Problem(
                    ("ports",),
                    "port numbers must be unique per protocol",
                    [p.port for p in self.ports],
                )
            )
        if len(set(node_ports)) != len(node_ports):
            problems.append(Problem(("ports",), "node ports must be unique", node_ports))
        if self.type != "LoadBalancer" and "load_balancer_await_seconds" in self.model_fields_set:
            problems.append(
                Problem(
                    ("loadBalancerAwaitSeconds",),
                    f"applies only to type LoadBalancer (type is {self.type!r}); remove it",
                    self.load_balancer_await_seconds,
                )
            )
        if node_ports and self.type == "ClusterIP":
            problems.append(
                Problem(
                    ("type",),
                    f"a nodePort ({node_ports}) needs type NodePort or LoadBalancer",
                    self.type,
                )
            )
        raise_any(problems)
        return self
