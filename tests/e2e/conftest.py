"""End-to-end fixtures: the real Pulumi CLI and engine against the local KWOK control plane.

The rig (rig/start.sh) binds everything to 127.0.0.1; these tests only read addresses from the
Kubernetes API and never connect to a pod or Service IP.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
NAMESPACE = "cyperf"
CLIENT_NODES = {f"rig-client-{i}" for i in (1, 2, 3)}
SERVER_NODES = {f"rig-server-{i}" for i in (1, 2, 3)}
PLAIN_NODES = {"rig-node-1", "rig-node-2"}
PROJECT_FILES = ("Pulumi.yaml", "__main__.py", "requirements.txt", "components")


def _rig_env(base: dict[str, str]) -> dict[str, str]:
    dump = subprocess.run(
        ["bash", "-c", f"source {ROOT / 'rig' / 'env.sh'} && env -0"],
        check=True,
        capture_output=True,
        env=base,
    ).stdout.decode()
    return dict(line.split("=", 1) for line in dump.split("\0") if "=" in line)


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def text(self) -> str:
        return self.stdout + self.stderr


class Rig:
    def __init__(self, env: dict[str, str], project: Path) -> None:
        self.env = env
        self.project = project

    def run(self, *args: str, check: bool = True, timeout: float = 600) -> Result:
        started = time.monotonic()
        done = subprocess.run(
            args, cwd=self.project, env=self.env, capture_output=True, text=True, timeout=timeout
        )
        result = Result(done.returncode, done.stdout, done.stderr, time.monotonic() - started)
        if check and done.returncode != 0:
            raise AssertionError(f"{' '.join(args)} exited {done.returncode}:\n{result.text}")
        return result

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
    base = {
        **os.environ,
        "CYPERF_RIG_STATE": str(tmp_path_factory.mktemp("rig-state")),
        "CYPERF_RIG_CLUSTER": "cyperf-e2e",
    }
    env = _rig_env(base)
    subprocess.run(["bash", str(ROOT / "rig" / "start.sh")], check=True, env=base)
    project = tmp_path_factory.mktemp("project")
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, project / name)
    shutil.copytree(ROOT / "stacks", project / "stacks")
    # Pulumi.yaml names `.venv`: the one `make venv` built, with the pinned SDKs.
    (project / ".venv").symlink_to(ROOT / ".venv")
    try:
        yield Rig(env, project)
    finally:
        subprocess.run(["bash", str(ROOT / "rig" / "stop.sh")], check=False, env=base)
