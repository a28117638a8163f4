"""The agent container's requests and limits (`agentGroups[i].resources`): the guide's memory
defaults, kept field by field under a partial map, and requests within limits."""

from __future__ import annotations

from typing import Any

from pydantic import model_validator

from components.settings.fields import Cpu, Memory, Model, cpu_millis, memory_bytes
from components.settings.problems import Problem, raise_any


class ResourceQuantities(Model):
    cpu: Cpu | None = None
    """CPU: cores (`2`, `3.5`) or millicores (`500m`); `3.5` suits two agents on an 8-core
    node."""
    memory: Memory | None = None
    """Memory: bytes with an optional SI or binary suffix (`4Gi`, `512Mi`, `2G`)."""


# The guide's defaults: limit 4Gi, request 2Gi; CPU left to the tester (3.5 suits 8-core nodes).
DEFAULT_RESOURCES = {"requests": {"memory": "2Gi"}, "limits": {"memory": "4Gi"}}


class Resources(Model):
    requests: ResourceQuantities = ResourceQuantities(memory="2Gi")
    """What the scheduler reserves for the agent container; a request must not exceed its
    limit."""
    limits: ResourceQuantities = ResourceQuantities(memory="4Gi")
    """The most the agent container may use; the memory limit is required (an agent without one
    can starve its node)."""

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
