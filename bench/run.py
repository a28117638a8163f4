"""cyperf-k8s benchmarks: prints Markdown tables (see bench/README.md).

    .venv/bin/python -m bench.run                      # all parts, 7 runs each
    .venv/bin/python -m bench.run --parts 1,2 --runs 3
    .venv/bin/python -m bench.run --write bench/results.md

Every performance figure is a ratio against a baseline measured in the same run; every
measurement runs in a fresh child process.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
_VENV = _ROOT / ".venv"
if Path(sys.prefix).resolve() != _VENV.resolve() and (_VENV / "bin" / "python").exists():
    # Another interpreter (`python bench/run.py`): the project's virtualenv has the SDKs.
    os.execv(_VENV / "bin" / "python", [str(_VENV / "bin" / "python"), __file__, *sys.argv[1:]])
if __package__ in (None, ""):
    sys.path.insert(0, str(_ROOT))

from bench.common import ROOT, Scratch, python  # noqa: E402

PARTS = ("1", "2", "3", "4", "5")


def fingerprint() -> str:
    """A digest of what the benchmarks measure (the program and the example stacks): others may
    change the working tree during a run."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(
        [*ROOT.joinpath("components").rglob("*.py"), *ROOT.joinpath("stacks").glob("*")]
    ):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def header(runs: int, note: str = "") -> str:
    load = os.getloadavg()
    import subprocess

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    pythonver = subprocess.run(
        [python(), "-c", "import sys, pulumi; print(sys.version.split()[0])"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "components", "stacks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return (
        f"Run {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, commit {commit or '?'}"
        f"{' (components/ or stacks/ modified)' if dirty else ''}, "
        f"program fingerprint {fingerprint()}, "
        f"{os.cpu_count()} CPUs, {platform.system()} {platform.machine()}, Python {pythonver}, "
        f"load average at start {load[0]:.2f}; {runs} runs per measurement, each in a fresh "
        "process; `median [min-max]`; ratios are program / baseline of the same run (per-run "
        "pairs for the ratio columns)." + note
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--runs", type=int, default=7, help="runs per measurement (default 7)")
    parser.add_argument(
        "--rig-runs", type=int, default=3, help="runs of the rig comparison (default 3)"
    )
    parser.add_argument(
        "--scale-runs", type=int, default=2, help="runs of each day-two command in part 5 (2)"
    )
    parser.add_argument(
        "--scale-nodes", type=int, default=1000, help="nodes of part 5's rig (default 1000)"
    )
    parser.add_argument(
        "--scale-sizes",
        default="10,100,1000",
        help="agents of part 5's stacks, at least 2 sizes (default 10,100,1000)",
    )
    parser.add_argument(
        "--parts", default=",".join(PARTS), help="comma-separated subset of 1-5 (default all)"
    )
    parser.add_argument("--write", type=Path, help="also write the tables to this Markdown file")
    args = parser.parse_args(argv)
    parts = {p.strip() for p in args.parts.split(",") if p.strip()}
    if not parts <= set(PARTS):
        parser.error(f"unknown parts {sorted(parts - set(PARTS))}")

    started = time.monotonic()
    first = fingerprint()
    note = ""
    if "5" in parts:
        note = (
            f" Part 5: {args.scale_runs} runs per day-two command and size, "
            f"{args.scale_nodes} nodes, stacks of {args.scale_sizes} agents."
        )
    sections = [header(args.runs, note)]
    print(sections[0], "\n", flush=True)
    scratch = Scratch()
    try:
        cost = None
        if "1" in parts or "2" in parts:
            from bench import program

            text, cost = program.program_cost(args.runs, scratch)
            if "1" in parts:
                sections.append(text)
                print(text, "\n", flush=True)
            if "2" in parts:
                text, _ = program.growth(args.runs, scratch)
                text += "\n\n" + program.sdk_isolation(args.runs, scratch, cost)
                sections.append(text)
                print(text, "\n", flush=True)
        if "3" in parts:
            from bench import rig

            text = rig.compare(args.rig_runs, scratch)
            sections.append(text)
            print(text, "\n", flush=True)
        if "5" in parts:
            from bench import scale

            sizes = [int(n) for n in args.scale_sizes.split(",")]
            text = scale.compare(args.scale_runs, scratch, args.scale_nodes, sizes)
            sections.append(text)
            print(text, "\n", flush=True)
        if "4" in parts:
            from bench import critical_path

            text = critical_path.report(scratch)
            sections.append(text)
            print(text, "\n", flush=True)
    finally:
        scratch.close()
    footer = f"Total benchmark time: {time.monotonic() - started:.0f} s."
    if fingerprint() != first:
        footer += (
            " **WARNING: components/ or stacks/ changed during the run (program fingerprint "
            f"{first} -> {fingerprint()}); the tables mix two versions: run again.**"
        )
    print(footer)
    sections.append(footer)
    if args.write is not None:
        args.write.write_text(
            "# Benchmark results\n\nOutput of `.venv/bin/python -m bench.run` (see "
            "[README.md](README.md) for what each table means).\n\n" + "\n\n".join(sections) + "\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
