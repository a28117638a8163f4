"""End-to-end fixtures: the real Pulumi CLI and engine against the local KWOK control plane.

The rig (rig/start.sh) binds everything to 127.0.0.1; these tests only read addresses from the
Kubernetes API and never connect to a pod or Service IP.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from rig.local import ROOT as ROOT
from rig.local import Result as Result
from rig.local import copy_project, own_rig, run_command

NAMESPACE = "cyperf"
CLIENT_NODES = {f"rig-client-{i}" for i in (1, 2, 3)}
SERVER_NODES = {f"rig-server-{i}" for i in (1, 2, 3)}
PLAIN_NODES = {"rig-node-1", "rig-node-2"}


class Rig:
    def __init__(self, env: dict[str, str], project: Path) -> None:
        self.env = env
        self.project = project

    def run(self, *args: str, check: bool = True, timeout: float = 600) -> Result:
        return run_command(args, self.env, self.project, check, timeout)

    def pulumi(self, *args: str, stack: str, check: bool = True, timeout: float = 600) -> Result:
        return self.run(
            "pulumi", *args, "--stack", stack, "--non-interactive", check=check, timeout=timeout
        )

    def kubectl_json(self, *args: str) -> Any:
        return json.loads(self.run("kubectl", *args, "-o", "json").stdout)

    def new_stack(self, name: str, config: dict[str, Any] | None = None) -> str:
        """A stack from stacks/Pulumi.<name>.yaml, or from `config` when given."""
        config_file = self.project / "stacks" / f"Pulumi.{name}.yaml"
        if config is not None:
            import yaml

            config_file.write_text(yaml.safe_dump({"config": config}))
        self.run("pulumi", "stack", "init", name, "--non-interactive")
        return name

    def up(self, stack: str, check: bool = True, timeout: float = 600) -> Result:
        return self.pulumi(
            "up", "--yes", "--skip-preview", stack=stack, check=check, timeout=timeout
        )

    def outputs(self, stack: str) -> dict[str, Any]:
        outputs: dict[str, Any] = json.loads(
            self.pulumi("stack", "output", "--json", stack=stack).stdout
        )
        return outputs

    def remove_stack(self, stack: str) -> None:
        self.pulumi("destroy", "--yes", "--skip-preview", stack=stack)
        self.pulumi("stack", "rm", "--yes", stack=stack)

    def pods(self, selector: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.kubectl_json(
            "get", "pods", "-n", NAMESPACE, "-l", selector
        )["items"]
        return items

    def wait_for(self, predicate: Any, what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}")
            time.sleep(1)


@pytest.fixture(scope="session")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    # A rig of its own (state, cluster name, Pulumi backend): a developer's running rig or
    # `make demo` is left alone, and every run starts from a fresh cluster.
    with own_rig(tmp_path_factory.mktemp("rig-state"), "cyperf-e2e") as env:
        project = copy_project(tmp_path_factory.mktemp("project"))
        shutil.copytree(ROOT / "stacks", project / "stacks")
        yield Rig(env, project)


def probe_project(
    rig: Rig, folder: Path, name: str, program: str, files: tuple[str, ...] = ()
) -> Rig:
    """A small Pulumi program of its own (`program` as its __main__.py) in `folder`, with copies
    of the project's `files` and its virtualenv, on the same rig."""
    project = copy_project(folder, files=files)
    (project / "Pulumi.yaml").write_text(
        f"name: {name}\nruntime:\n  name: python\n  options:\n    toolchain: pip\n"
        "    virtualenv: .venv\n"
    )
    (project / "__main__.py").write_text(program)
    return Rig(rig.env, project)


@contextmanager
def stack_of(rig: Rig, name: str, config: dict[str, Any] | None = None) -> Iterator[str]:
    """A stack that is destroyed and removed however the test ends, so a failed test leaves no
    objects behind for the next one."""
    stack = rig.new_stack(name, config)
    try:
        yield stack
    finally:
        rig.pulumi("destroy", "--yes", "--skip-preview", stack=stack, check=False)
        rig.pulumi("stack", "rm", "--yes", "--force", stack=stack, check=False)
