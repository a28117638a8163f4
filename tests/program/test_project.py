"""Pulumi.yaml's `requiredPulumiVersion` is the engine the project is tested with: the rig's CLI
pin (rig/versions.sh) is its lower bound, and the README's prerequisites name the same version.
The CLI checks the range before running the program (Pulumi docs, project file
`requiredPulumiVersion`; the rig's CLI v3.274.1 refuses a project that asks `>=9.0.0` with
"Pulumi CLI version 3.274.1 does not satisfy the version range")."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def rig_pulumi_version() -> str:
    versions = (ROOT / "rig" / "versions.sh").read_text()
    found = re.search(r'^RIG_PULUMI_VERSION="\$\{RIG_PULUMI_VERSION:-v([0-9.]+)\}"', versions, re.M)
    assert found is not None
    return found.group(1)


def test_required_pulumi_version_is_the_rig_pin() -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["requiredPulumiVersion"] == f">={rig_pulumi_version()}"


def test_the_readme_names_the_same_minimum() -> None:
    readme = (ROOT / "README.md").read_text()
    assert f"Pulumi CLI](https://www.pulumi.com/docs/install/) {rig_pulumi_version()} or newer" in (
        readme
    )
