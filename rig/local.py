"""The Python side of the local rig, shared by the end-to-end tests and the benchmarks: a rig of
the caller's own (its own state folder and cluster name, so a developer's rig or another run is
left alone) and a copy of a Pulumi project to run on it."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT_FILES = ("Pulumi.yaml", "__main__.py", "requirements.txt", "components")


def rig_env(base: dict[str, str]) -> dict[str, str]:
    """`base` plus what rig/env.sh exports (PATH, KUBECONFIG, the Pulumi backend and home)."""
    dump = subprocess.run(
        ["bash", "-c", f"source {ROOT / 'rig' / 'env.sh'} && env -0"],
        check=True,
        capture_output=True,
        env=base,
    ).stdout.decode()
    return dict(line.split("=", 1) for line in dump.split("\0") if "=" in line)


@contextmanager
def own_rig(
    state: Path, cluster: str, settings: Mapping[str, str] | None = None
) -> Iterator[dict[str, str]]:
    """Start a rig in `state` (rig/start.sh, with `settings` such as CYPERF_RIG_CLIENT_NODES),
    yield its environment, stop it and remove its state (rig/stop.sh) at the end, also when
    starting failed."""
    base = {
        **os.environ,
        **(settings or {}),
        "CYPERF_RIG_STATE": str(state),
        "CYPERF_RIG_CLUSTER": cluster,
    }
    try:
        start = subprocess.run(
            ["bash", str(ROOT / "rig" / "start.sh")], capture_output=True, env=base
        )
        if start.returncode != 0:
            tail = (start.stdout + start.stderr).decode()[-1500:]
            raise RuntimeError(f"`bash rig/start.sh` failed:\n{tail}")
        yield rig_env(base)
    finally:
        subprocess.run(["bash", str(ROOT / "rig" / "stop.sh")], capture_output=True, env=base)


def copy_project(target: Path, source: Path = ROOT, files: Sequence[str] = PROJECT_FILES) -> Path:
    """Copy a Pulumi project's `files` to `target`, with `.venv` pointing at the project's (the
    virtualenv Pulumi.yaml names, with the pinned SDKs)."""
    target.mkdir(exist_ok=True)
    for name in files:
        if (source / name).is_dir():
            ignore = shutil.ignore_patterns("__pycache__")
            shutil.copytree(source / name, target / name, ignore=ignore)
        else:
            shutil.copy2(source / name, target / name)
    (target / ".venv").symlink_to(ROOT / ".venv")
    return target


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def text(self) -> str:
        return self.stdout + self.stderr


def run_command(
    args: Sequence[str], env: dict[str, str], cwd: Path, check: bool = True, timeout: float = 600
) -> Result:
    """Run a command on the rig, timed; `check`: fail with its output unless it exits 0."""
    started = time.monotonic()
    done = subprocess.run(
        list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    result = Result(done.returncode, done.stdout, done.stderr, time.monotonic() - started)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {done.returncode}:\n{result.text}")
    return result
