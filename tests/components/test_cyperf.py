"""The CyPerf facts every layer shares: which release tags are pinned ones, the release numbers
a tag stands for, from which release the aarch64 image exists, the image of an architecture, and
the controller ports the agents of a release connect to."""

from __future__ import annotations

import pytest

from components import cyperf


@pytest.mark.parametrize(
    "tag", ["release1.0", "release7.0", "release1.0-update1", "release26.0.0", "26.0.3.834"]
)
def test_release_tags_as_published_are_accepted(tag: str) -> None:
    assert cyperf.RELEASE_TAG.fullmatch(tag)


@pytest.mark.parametrize(
    "tag",
    [
        "latest",
        "release",
        "release7",
        "release7.0.0.1",
        "release7.0-update",
        "release7.0-beta1",
        "Release7.0",
        "26.0.3",
        "v26.0.3.834",
        "release26.0.0\n",
        # Arabic-Indic digits are digits to `\d` without re.ASCII.
        "release\u0662\u0666.0",
    ],
)
def test_moving_and_malformed_tags_are_refused(tag: str) -> None:
    assert cyperf.RELEASE_TAG.fullmatch(tag) is None


@pytest.mark.parametrize(
    ("tag", "numbers"),
    [
        ("release1.0", (1, 0)),
        ("release7.0-update1", (7, 0)),
        ("release26.0.0", (26, 0, 0)),
        # A build number is not part of the release.
        ("26.0.3.834", (26, 0, 3)),
    ],
)
def test_release_version(tag: str, numbers: tuple[int, ...]) -> None:
    assert cyperf.release_version(tag) == numbers


@pytest.mark.parametrize(
    ("release", "arm64"),
    [
        ("release7.0", False),
        ("release7.0-update1", False),
        ("release26.0.0", True),
        ("26.0.3.834", True),
        ("release27.1", True),
    ],
)
def test_the_aarch64_image_exists_from_cyperf_26(release: str, arm64: bool) -> None:
    assert cyperf.supports_arm64(release) is arm64


def test_agent_image_by_architecture() -> None:
    assert cyperf.agent_image("release26.0.0", "amd64") == (
        "public.ecr.aws/keysight/cyperf-agent:release26.0.0"
    )
    assert cyperf.agent_image("26.0.3.834", "arm64") == (
        "public.ecr.aws/keysight/cyperf-agent-aarch64:26.0.3.834"
    )


@pytest.mark.parametrize(
    ("release", "ports"),
    [
        ("release1.0", [443, 30422]),
        ("release2.6-update1", [443, 30422]),
        ("release3.0", [443]),
        ("release26.0.0", [443]),
        ("26.0.3.834", [443]),
    ],
)
def test_controller_ports_by_release(release: str, ports: list[int]) -> None:
    assert cyperf.controller_ports(release) == ports
