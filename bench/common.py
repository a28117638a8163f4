"""Shared helpers of the benchmark parent: fresh child processes, statistics, Markdown tables."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
STACKS = ROOT / "stacks"
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"


def python() -> str:
    return str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable


def child_env() -> dict[str, str]:
    """The parent's environment without config the Pulumi runtime would read from it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_CONFIG")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


@dataclass
class Sample:
    """One child run: wall time measured by the parent (spawn to exit), peak RSS and CPU time
    from the child's rusage (os.wait4), and what the child reported."""

    wall_s: float
    maxrss_kib: int
    cpu_s: float
    report: dict[str, Any] = field(default_factory=dict)
    stderr: str = ""


class Scratch:
    """A temp folder for argument files and recordings."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="cyperf-bench-")
        self.path = Path(self._dir.name)
        self._count = 0

    def file(self, stem: str, suffix: str = ".json") -> Path:
        self._count += 1
        return self.path / f"{self._count:04d}-{stem}{suffix}"

    def json(self, stem: str, data: Any) -> Path:
        path = self.file(stem)
        path.write_text(json.dumps(data))
        return path

    def close(self) -> None:
        self._dir.cleanup()


def run_child(
    mode: str, args_file: Path, out: Path | None = None, flags: Sequence[str] = ()
) -> Sample:
    """`python [flags] -m bench.child <mode> <args_file> [out]` in a fresh interpreter."""
    command = [python(), *flags, "-m", "bench.child", mode, str(args_file)]
    if out is not None:
        command.append(str(out))
    with tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        proc = subprocess.Popen(
            command, cwd=ROOT, env=child_env(), stdout=subprocess.PIPE, stderr=stderr
        )
        assert proc.stdout is not None
        stdout = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        proc.stdout.close()
        stderr.seek(0)
        errors = stderr.read().decode()
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} exited {proc.returncode}:\n{errors[-4000:]}")
    report: dict[str, Any] = json.loads(stdout.decode().strip().splitlines()[-1])
    return Sample(wall, usage.ru_maxrss, usage.ru_utime + usage.ru_stime, report, errors)


def stack_config(name: str) -> dict[str, Any]:
    data = yaml.safe_load((STACKS / f"Pulumi.{name}.yaml").read_text())
    return dict(data["config"])


def engine_config(config: dict[str, Any]) -> dict[str, str]:
    """Stack values as the engine hands them to the program (objects as JSON text)."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}


def example_stacks() -> list[str]:
    return sorted(
        p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in STACKS.glob("*.yaml")
    )


def is_eks(name: str) -> bool:
    return bool(stack_config(name).get("cyperf-k8s:cluster", "existing") == "eks")


# --- statistics ------------------------------------------------------------------------------


def med(values: Sequence[float]) -> float:
    return statistics.median(values)


def spread(values: Sequence[float], scale: float = 1.0, digits: int = 0) -> str:
    """`median [min-max]` of values times scale."""
    fmt = f"{{:.{digits}f}}"
    return (
        f"{fmt.format(med(values) * scale)} "
        f"[{fmt.format(min(values) * scale)}-{fmt.format(max(values) * scale)}]"
    )


def ratio_spread(values: Sequence[float]) -> str:
    return f"{med(values):.2f}x [{min(values):.2f}-{max(values):.2f}]"


def fit_line(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float, float]:
    """Least squares y = a + b x; returns (a, b, r squared)."""
    slope, intercept = statistics.linear_regression(xs, ys)
    mean = statistics.fmean(ys)
    total = sum((y - mean) ** 2 for y in ys)
    residual = sum((y - (intercept + slope * x)) ** 2 for x, y in zip(xs, ys, strict=True))
    return intercept, slope, 1.0 - residual / total if total else 1.0


def table(headers: str | Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table; `headers` as a list or as one string `"a | b | c"`."""
    if isinstance(headers, str):
        headers = headers.split(" | ")
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def mib(kib: float) -> float:
    return kib / 1024.0
