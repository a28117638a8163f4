"""Facts about Keysight CyPerf that the settings, the specs, the outputs and the EKS plan share:
where the agent images live, which release tags exist, which ports the agents use to reach the
controller, and the node label that places agents by role."""

from __future__ import annotations

import re
from typing import Literal

from components.versions import version_numbers

AGENT_IMAGE_REPOSITORY = "public.ecr.aws/keysight/cyperf-agent"
AGENT_IMAGE_REPOSITORY_ARM64 = "public.ecr.aws/keysight/cyperf-agent-aarch64"
DEFAULT_RELEASE = "release26.0.0"
# The aarch64 image is published from CyPerf 26.0.0 on.
FIRST_ARM64_RELEASE = (26, 0, 0)

# A CyPerf release tag as published: `release1.0-update1`, `release26.0.0`, or a build `26.0.3.834`.
# Matched with fullmatch, ASCII digits only.
RELEASE_TAG = re.compile(r"release\d+(\.\d+){1,2}(-update\d+)?|\d+\.\d+\.\d+\.\d+", re.ASCII)

# Agents reach the controller on 443; releases before 3.0 also use the NATS broker on 30422.
CONTROLLER_PORT = 443
CONTROLLER_NATS_PORT = 30422
FIRST_RELEASE_WITHOUT_NATS_PORT = (3, 0)

# The guide places agents with the node label `agenttype=client|server`.
ROLE_LABEL = "agenttype"
Role = Literal["client", "server"]


def release_version(tag: str) -> tuple[int, ...]:
    """(major, minor, patch) of a release tag: `release7.0-update1` -> (7, 0), `26.0.3.834` ->
    (26, 0, 3)."""
    return version_numbers(tag.split("-")[0])[:3]


def supports_arm64(release: str) -> bool:
    return release_version(release) >= FIRST_ARM64_RELEASE


def controller_ports(release: str) -> list[int]:
    """The controller ports the agents of `release` connect to."""
    if release_version(release)[:2] < FIRST_RELEASE_WITHOUT_NATS_PORT:
        return [CONTROLLER_PORT, CONTROLLER_NATS_PORT]
    return [CONTROLLER_PORT]


def agent_image(release: str, architecture: Literal["amd64", "arm64"]) -> str:
    repository = AGENT_IMAGE_REPOSITORY_ARM64 if architecture == "arm64" else AGENT_IMAGE_REPOSITORY
    return f"{repository}:{release}"
