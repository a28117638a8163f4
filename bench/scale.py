"""Part 5: the day-two commands and `pulumi up` at scale, on a rig of this run's own with 1,000
fake nodes (half `agenttype=client`, half `agenttype=server`).

- Three stacks of the east-west example (half clients, half servers) with 10, 100 and 1,000
  agents, each in its own namespace, deployed by the real `pulumi up`.
- `pulumi up` of the 1,000-agent stack against the bare-Pulumi floor (bench/bare, Keysight's
  official manifests with the same 500 + 500 replicas), on the same rig.
- Every polling day-two command of this tree (`verify`, and `status` when
  `python -m ops status --help` works) against the tests' fake controller (tests/ops), which lists
  N agents for a stack of N pods: N - 1 match a pod, one is an extra agent at an address of no
  pod, so one pod stays missing and the command polls until its `--wait` ends. Time per poll is
  the time between two of its "... agent pods not ..." progress lines (recorded by
  bench/ops_child.py) minus the `--interval` sleep; the peak RSS is the command's process.
- `logs`: the bundle of each stack, every pod's log served by KWOK (one ClusterLogs object).

Each command is a fresh process (`.venv-ops`), sizes interleaved with alternating order. Linear
growth: the cost per added agent from 10 to 100 agents and from 100 to 1,000 is about the same
(`later/earlier` near 1), and the ratio 1,000 / 100 is at most about 10.
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import json
import os
import re
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bench.common import ROOT, Scratch, med, spread, stack_config, table
from bench.rig import BARE, CREATED, bare_config, manifests
from rig.local import copy_project, own_rig

SIZES = (10, 100, 1000)
NODES = 1000
POLLING = ("verify", "status")
OPS_PYTHON = ROOT / ".venv-ops" / "bin" / "python"
TOKEN = "bench-offline-token"
# How long a polling command runs (its --wait: a base and a share per agent, so a poll of the
# largest stack is sampled several times, not once) and the sleep between its polls.
POLL_WAIT = 6.0
POLL_WAIT_PER_AGENT = 0.015
INTERVAL = 0.01
# The progress line verify and status print after each poll that leaves pods waiting.
POLL_LINE = re.compile(r"^\d+ of \d+ agent pods not ")
LOG_LINES = 25
TITLE = "### 5. Day-two commands and `pulumi up` at scale"


def poll_wait(agents: int) -> float:
    """A polling command's --wait for a stack of `agents` agents."""
    return POLL_WAIT + POLL_WAIT_PER_AGENT * agents


def rig_nodes(nodes: int) -> dict[str, str]:
    """rig/start.sh's node counts: half client nodes, half server nodes, no others."""
    return {
        "CYPERF_RIG_CLIENT_NODES": str(nodes // 2),
        "CYPERF_RIG_SERVER_NODES": str(nodes - nodes // 2),
        "CYPERF_RIG_PLAIN_NODES": "0",
    }


def scaled_config(agents: int, namespace: str) -> dict[str, Any]:
    """The east-west example with `agents` agents, half clients and half servers."""
    config = stack_config("east-west")
    groups = config["cyperf-k8s:agentGroups"]
    for i, group in enumerate(groups):
        group["replicas"] = agents // len(groups) + (1 if i < agents % len(groups) else 0)
    return {**config, "cyperf-k8s:namespace": namespace}


def controller_agents(pods: Sequence[Mapping[str, Any]], tags: Mapping[str, str]) -> list[Any]:
    """What the fake controller lists for a stack of N pods: N agents, one per pod (its IP, its
    group's tags, the pod name as hostname) except the first pod, plus one extra agent with the
    first group's tags at an address of no pod. The first pod stays missing, so a polling
    command keeps polling."""
    make = agent_json()
    ordered = sorted(pods, key=lambda p: p["metadata"]["name"])
    agents = []
    for i, pod in enumerate(ordered[1:], start=1):
        group = pod["metadata"]["labels"]["cyperf-k8s/agent-group"]
        name = pod["metadata"]["name"]
        agents.append(
            make(f"agent-{i}", pod["status"]["podIP"], tags[group].split(","), hostname=name)
        )
    first = sorted(tags)[0]
    agents.append(make("agent-extra", "192.0.2.250", tags[first].split(",")))
    return agents


def agent_json() -> Any:
    """tests/ops/fake_controller.py's agent_json, imported by name: the fake belongs to the ops
    code, which the project's type check leaves to the ops virtualenv."""
    return importlib.import_module("tests.ops.fake_controller").agent_json


@contextlib.contextmanager
def fake_controller(
    env: Mapping[str, str], scratch: Scratch, agents: list[Any]
) -> Iterator[list[str]]:
    """The tests' fake controller listing `agents`, in an ops-virtualenv process (it needs the
    ops packages); yields the commands' controller options."""
    listed = scratch.json("agents", agents)
    folder = scratch.file("controller", "")
    folder.mkdir()
    argv = [str(OPS_PYTHON), "-m", "bench.ops_child", "--serve", str(folder), TOKEN, str(listed)]
    process = subprocess.Popen(
        argv, cwd=ROOT, env=dict(env), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        where = json.loads(process.stdout.readline())
        yield ["--controller", where["url"].removeprefix("https://"), "--ca-cert", where["cert"]]
    finally:
        process.stdin.close()
        process.wait(timeout=30)


def poll_seconds(progress: Sequence[Sequence[Any]], interval: float) -> list[float]:
    """Time per poll from a command's progress lines `[[seconds, message], ...]`: the time
    between two consecutive poll lines, less the sleep between polls."""
    stamps = [float(at) for at, message in progress if POLL_LINE.match(str(message))]
    return [later - earlier - interval for earlier, later in itertools.pairwise(stamps)]


def per_added(values: Mapping[int, float]) -> list[tuple[int, int, float]]:
    """(from size, to size, cost per added agent) for consecutive sizes."""
    sizes = sorted(values)
    return [(a, b, (values[b] - values[a]) / (b - a)) for a, b in itertools.pairwise(sizes)]


def growth(values: Mapping[int, float]) -> str:
    """`x1000/x100`, and the per-agent cost of the last step over the one before it."""
    steps = per_added(values)
    text = f"{values[max(values)] / values[sorted(values)[-2]]:.1f}x"
    if len(steps) >= 2 and steps[-2][2] > 0:
        text += f"; per added agent, later/earlier {steps[-1][2] / steps[-2][2]:.2f}"
    return text


@dataclass
class Run:
    """One process: wall time, CPU (user + system, with its reaped children), peak RSS."""

    seconds: float
    cpu: float
    rss_kib: int
    code: int
    output: str = ""
    report: dict[str, Any] = field(default_factory=dict)


def timed(argv: Sequence[str], env: Mapping[str, str], cwd: Path, timeout: float = 900) -> Run:
    """Run a command as a fresh process; rusage from os.wait4."""
    with tempfile.TemporaryFile("w+") as out:
        started = time.perf_counter()
        process = subprocess.Popen(list(argv), cwd=cwd, env=dict(env), stdout=out, stderr=out)
        timer = threading.Timer(timeout, process.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read()
    return Run(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, process.returncode, text)


def checked(run: Run, what: str, codes: Sequence[int] = (0,)) -> Run:
    if run.code not in codes:
        raise RuntimeError(f"{what} exited {run.code}:\n{run.output[-3000:]}")
    return run


def skipped(reason: str) -> str:
    return f"{TITLE}\n\nSkipped:\n\n```\n{reason}\n```"


def compare(runs: int, scratch: Scratch, nodes: int = NODES, sizes: Sequence[int] = SIZES) -> str:
    if not OPS_PYTHON.exists():
        return skipped(f"no ops virtualenv ({OPS_PYTHON.relative_to(ROOT)}): `make venv-ops`")
    try:
        with own_rig(scratch.path / "scale-rig", "cyperf-scale", rig_nodes(nodes)) as env:
            return report(measure(runs, scratch, env, sorted(sizes)), nodes)
    except RuntimeError as err:
        if "rig/start.sh" not in str(err):
            raise
        return skipped(f"`bash rig/build.sh` builds the rig:\n{err}")


def polling_commands(env: Mapping[str, str]) -> list[str]:
    """The polling day-two commands of this tree (`python -m ops <command> --help` works)."""
    return [
        command
        for command in POLLING
        if subprocess.run(
            [str(OPS_PYTHON), "-m", "ops", command, "--help"],
            cwd=ROOT,
            env=dict(env),
            capture_output=True,
        ).returncode
        == 0
    ]


@dataclass
class Measured:
    commands: list[str]
    sizes: list[int]
    ups: dict[str, Run] = field(default_factory=dict)
    up_steps: dict[str, dict[str, float]] = field(default_factory=dict)
    polls: dict[tuple[str, int], list[tuple[float, int, Run]]] = field(default_factory=dict)
    bundles: dict[int, list[tuple[Run, dict[str, Any]]]] = field(default_factory=dict)


def measure(runs: int, scratch: Scratch, env: dict[str, str], sizes: list[int]) -> Measured:
    env = {**env, "CYPERF_OFFLINE_TOKEN": TOKEN, "PYTHONDONTWRITEBYTECODE": "1"}
    result = Measured(polling_commands(env), sizes)
    project = copy_project(scratch.path / "scale-project")
    bare = copy_project(scratch.path / "scale-bare", BARE, ("Pulumi.yaml", "__main__.py"))
    (project / "stacks").mkdir()

    def pulumi(cwd: Path, stack: str, *args: str) -> Run:
        argv = ["pulumi", *args, "--stack", stack, "--non-interactive"]
        return checked(timed(argv, env, cwd), " ".join(argv))

    configs = {s: scaled_config(s, f"cyperf-scale-{s}") for s in sizes}
    for size, config in configs.items():
        stack_file = project / "stacks" / f"Pulumi.scale-{size}.yaml"
        stack_file.write_text(yaml.safe_dump({"config": config}))
        pulumi(project, f"scale-{size}", "stack", "init")
    objects, _ = manifests(configs[sizes[-1]])
    bare_stack = {**bare_config(objects), "cyperf-bare:level": "manifests"}
    (bare / "Pulumi.bare-scale.yaml").write_text(yaml.safe_dump({"config": bare_stack}))
    pulumi(bare, "bare-scale", "stack", "init")

    up = ("up", "--yes", "--skip-preview")
    result.ups["bare"] = pulumi(bare, "bare-scale", *up)
    result.ups["bare destroy"] = pulumi(bare, "bare-scale", "destroy", "--yes", "--skip-preview")
    wait_until_no_pods(env, project, "default")
    for size in [sizes[-1], *sizes[:-1]]:
        result.ups[str(size)] = pulumi(project, f"scale-{size}", *up)
    for key, run in result.ups.items():
        result.up_steps[key] = {
            f"{typ.rsplit(':', 1)[-1]} `{name}`": float(seconds)
            for typ, name, seconds in CREATED.findall(run.output)
            if typ != "pulumi:pulumi:Stack"
        }
    serve_logs(env, project, scratch, [str(c["cyperf-k8s:namespace"]) for c in configs.values()])

    with contextlib.ExitStack() as servers:
        controllers: dict[int, list[str]] = {}
        for size in sizes:
            agents = stack_agents(env, project, f"scale-{size}", configs[size])
            controllers[size] = servers.enter_context(fake_controller(env, scratch, agents))
        for i in range(runs):
            # alternate the order, so a change in machine load hits every size
            for size in sizes if i % 2 == 0 else sizes[::-1]:
                controller = controllers[size]
                stack = ["--stack", f"scale-{size}", "--project-dir", str(project), "--json"]
                for command in result.commands:
                    argv = [command, *stack, *controller, "--wait", str(poll_wait(size))]
                    run = ops(env, scratch, [*argv, "--interval", str(INTERVAL)], (1,))
                    times = poll_seconds(run.report["progress"], INTERVAL)
                    if not times:
                        raise RuntimeError(f"{command} at {size} agents: no poll\n{run.output}")
                    result.polls.setdefault((command, size), []).append(
                        (med(times), len(times), run)
                    )
                out = scratch.path / f"bundle-{size}-{i}"
                out.mkdir()
                run = ops(env, scratch, ["logs", *stack, "--output-dir", str(out)], (0,))
                summary = json.loads(run.report["stdout"])
                if summary["pods"] != size or summary["logs"] != size:
                    raise RuntimeError(f"bundle of {size} agents: {summary}")
                result.bundles.setdefault(size, []).append((run, summary))
                for bundle in out.iterdir():
                    bundle.unlink()
    return result


def ops(env: Mapping[str, str], scratch: Scratch, argv: list[str], codes: Sequence[int]) -> Run:
    """`python -m ops <argv>` in a fresh process of the ops virtualenv (bench/ops_child.py)."""
    report = scratch.file("ops")
    child = [str(OPS_PYTHON), "-m", "bench.ops_child", str(report), *argv]
    run = checked(timed(child, env, ROOT), " ".join(argv))
    run.report = json.loads(report.read_text())
    run.report["stdout"] = report.with_suffix(".out").read_text()
    if run.report["exit"] not in codes:
        raise RuntimeError(f"ops {' '.join(argv)} exited {run.report['exit']}:\n{run.output}")
    return run


def kubectl_json(env: Mapping[str, str], cwd: Path, *args: str) -> Any:
    done = subprocess.run(
        ["kubectl", *args, "-o", "json"], cwd=cwd, env=dict(env), capture_output=True, check=True
    )
    return json.loads(done.stdout)


def wait_until_no_pods(env: Mapping[str, str], cwd: Path, namespace: str) -> None:
    for _ in range(600):
        if not kubectl_json(env, cwd, "get", "pods", "-n", namespace)["items"]:
            return
        time.sleep(1)
    raise RuntimeError(f"pods of namespace {namespace} still there after 600 s")


def stack_agents(
    env: Mapping[str, str], project: Path, stack: str, config: Mapping[str, Any]
) -> list[Any]:
    outputs = json.loads(
        subprocess.run(
            ["pulumi", "stack", "output", "--json", "--stack", stack],
            cwd=project,
            env=dict(env),
            capture_output=True,
            check=True,
        ).stdout
    )
    namespace = str(config["cyperf-k8s:namespace"])
    pods = kubectl_json(env, project, "get", "pods", "-n", namespace, "-l", "app=cyperf-agent")
    return controller_agents(pods["items"], outputs["agentTags"])


def serve_logs(env: Mapping[str, str], cwd: Path, scratch: Scratch, namespaces: list[str]) -> None:
    """Every agent pod's log is LOG_LINES lines of one file, served by KWOK (one ClusterLogs
    object for the namespaces, like the Logs objects of tests/e2e/test_ops.py)."""
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000000000Z", time.gmtime())
    log = scratch.file("agent", ".log")
    log.write_text(
        "".join(f"{now} stdout F line {i}: agent says hello\n" for i in range(LOG_LINES))
    )
    logs = {
        "apiVersion": "kwok.x-k8s.io/v1alpha1",
        "kind": "ClusterLogs",
        "metadata": {"name": "bench-agent-logs"},
        "spec": {"selector": {"matchNamespaces": namespaces}, "logs": [{"logsFile": str(log)}]},
    }
    manifest = scratch.file("logs", ".yaml")
    manifest.write_text(yaml.safe_dump(logs))
    subprocess.run(["kubectl", "apply", "-f", str(manifest)], cwd=cwd, env=dict(env), check=True)
    pod = kubectl_json(env, cwd, "get", "pods", "-n", namespaces[0])["items"][0]["metadata"]["name"]
    for _ in range(60):
        done = subprocess.run(
            ["kubectl", "logs", "-n", namespaces[0], pod],
            cwd=cwd,
            env=dict(env),
            capture_output=True,
        )
        if done.stdout.decode().count("\n") == LOG_LINES:
            return
        time.sleep(1)
    raise RuntimeError(f"KWOK does not serve the log of pod {pod}")


def mib(kib: float) -> str:
    return f"{kib / 1024:.1f}"


def report(data: Measured, nodes: int) -> str:
    sizes, big = data.sizes, data.sizes[-1]
    project, bare = data.ups[str(big)], data.ups["bare"]
    bare_replicas = big // 2
    up_rows = [
        [
            f"`pulumi up`, {big} agents ({bare_replicas} + {bare_replicas} replicas)",
            f"{project.seconds:.1f}",
            f"{bare.seconds:.1f}",
            f"{project.seconds / bare.seconds:.2f}x",
            f"{project.cpu:.1f}",
            f"{bare.cpu:.1f}",
            f"{project.cpu / bare.cpu:.2f}x",
        ]
    ]
    growth_rows = [
        [str(s), f"{data.ups[str(s)].seconds:.1f}", f"{data.ups[str(s)].cpu:.1f}"] for s in sizes
    ]
    step_rows = [
        [who, name, f"{seconds:.1f}"]
        for who, key in (("project", str(big)), ("bare", "bare"))
        for name, seconds in sorted(data.up_steps[key].items(), key=lambda kv: -kv[1])
    ]
    poll_rows, poll_growth = [], []
    for command in data.commands:
        per_poll: dict[int, float] = {}
        rss: dict[int, float] = {}
        for size in sizes:
            samples = data.polls[(command, size)]
            times = [t for t, _, _ in samples]
            per_poll[size] = med(times)
            rss[size] = med([r.rss_kib for _, _, r in samples])
            poll_rows.append(
                [
                    f"`{command}`",
                    str(size),
                    spread(times, scale=1000),
                    "/".join(str(n) for _, n, _ in samples),
                    mib(rss[size]),
                ]
            )
        poll_growth.append([f"`{command}` time per poll", growth(per_poll)])
        poll_growth.append([f"`{command}` peak RSS", growth(rss)])
    bundle_rows, bundle_growth = [], []
    wall: dict[int, float] = {}
    own: dict[int, float] = {}
    rss_b: dict[int, float] = {}
    for size in sizes:
        bundles = data.bundles[size]
        wall[size] = med([r.seconds for r, _ in bundles])
        own[size] = med([float(s["seconds"]) for _, s in bundles])
        rss_b[size] = med([r.rss_kib for r, _ in bundles])
        bundle_rows.append(
            [
                str(size),
                f"{wall[size]:.2f}",
                f"{own[size]:.2f}",
                mib(rss_b[size]),
                f"{med([s['bytes'] for _, s in bundles]) / 1024:.0f}",
            ]
        )
    bundle_growth.append(["`logs` command wall", growth(wall)])
    bundle_growth.append(["`logs` bundle time (its own `seconds`)", growth(own)])
    bundle_growth.append(["`logs` peak RSS", growth(rss_b)])
    runs = len(data.bundles[big])
    missing = [c for c in POLLING if c not in data.commands]
    return "\n".join(
        [
            TITLE,
            "",
            f"A rig of this run's own with {nodes} KWOK nodes ({nodes // 2} client, "
            f"{nodes - nodes // 2} server); the east-west example stack with "
            f"{', '.join(map(str, sizes))} agents (half clients, half servers), each in its own "
            "namespace. `pulumi up` once per program (the bare floor first, on the fresh rig, "
            "then destroyed; then the project): one round, so no range.",
            "",
            table(
                "measure | project s | bare Pulumi s | project / bare | project CPU s | "
                "bare CPU s | CPU project / bare",
                up_rows,
            ),
            "",
            "CPU is user + system of `pulumi` and its reaped children (engine, language host, "
            "program, provider plugin), from os.wait4. Creation time per resource as `pulumi up` "
            "reports it:",
            "",
            table(["program", "resource", "seconds"], step_rows),
            "",
            "`pulumi up` of the project by stack size (the larger stacks' time is mostly the "
            "control plane creating and scheduling pods and the provider awaiting them):",
            "",
            table(["agents", "wall s", "CPU s"], growth_rows),
            "",
            f"Polling commands ({', '.join(f'`{c}`' for c in data.commands)}"
            + (f"; not in this tree: {', '.join(f'`{c}`' for c in missing)}" if missing else "")
            + f"), {runs} fresh process(es) per size, `--wait {POLL_WAIT:g} + "
            f"{POLL_WAIT_PER_AGENT:g} s per agent`, "
            f"`--interval {INTERVAL:g}`; the fake controller lists N agents, N - 1 of them "
            "matching a pod. Time per poll: median over one process's polls, then `median "
            "[min-max]` over the processes; polls per process; peak RSS median:",
            "",
            table(["command", "agents", "ms per poll", "polls", "peak RSS MiB"], poll_rows),
            "",
            f"`logs` bundles ({runs} fresh process(es) per size; every pod's log is {LOG_LINES} "
            "lines served by KWOK):",
            "",
            table(
                ["agents", "command wall s", "bundle s", "peak RSS MiB", "bundle KiB"], bundle_rows
            ),
            "",
            f"Growth: ratio {big} / {sizes[-2]} agents (linear: about 10x or less; the fixed "
            "part of each measure keeps it lower), and the cost per added agent from "
            f"{sizes[-2]} to {big} over the one from {sizes[0]} to {sizes[-2]} (linear: near 1; "
            "memory steps of a few MiB are noisy):",
            "",
            table(["measure", f"{big} / {sizes[-2]}"], poll_growth + bundle_growth),
        ]
    )
