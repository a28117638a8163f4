"""Part 3: the real Pulumi CLI on the local rig (rig/README.md), against two baselines measured
in the same run on the same control plane:

- the bare-Pulumi floor: bench/bare, a Pulumi program that does not import the project and
  applies Keysight's official example manifests (client and server Deployments, the server
  Service) with pulumi-kubernetes, placeholders filled with the values the east-west stack
  renders (image, controller address, replicas); and the same program at level `empty` (no
  resource: engine, language host, Python) and `provider` (only the Kubernetes provider: its
  plugin starts), which split the fixed cost of every `pulumi` command;
- plain kubectl: the objects the east-west stack registers, rendered from components.specs for
  the same settings, with `kubectl apply` + `kubectl rollout status` (+ the stack's two reads),
  `kubectl diff` and `kubectl delete --wait`.

The east-west example stack goes through `pulumi up`, a no-change `pulumi preview` and
`pulumi destroy` in a copy of the project (like tests/e2e/conftest.py), in namespace
`cyperf-bench`. The part starts a rig of its own (its own CYPERF_RIG_STATE and cluster name,
like the e2e tests) and stops it again. Its times mean most on a machine that runs nothing else
at the same time (no end-to-end run in particular).
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bench.common import (
    ROOT,
    Scratch,
    engine_config,
    med,
    ratio_spread,
    spread,
    stack_config,
    table,
)
from rig.local import Result, copy_project, own_rig, run_command

STACK = "east-west"
NAMESPACE = "cyperf-bench"
RIG_CLUSTER = "cyperf-bench"
BARE = ROOT / "bench" / "bare"
# The Pulumi programs of a round: label -> (project directory name, stack).
PROGRAMS = {
    "project": ("project", "bench-east-west"),
    "bare": ("bare", "bare-manifests"),
    "provider only": ("bare", "bare-provider"),
    "empty": ("bare", "bare-empty"),
}
TOOLS = (*PROGRAMS, "kubectl")
STEPS = ("up", "change", "preview", "destroy")
# The pod-template change of step `change` (timed until every agent is replaced): a new controller
# address, which every agent must be replaced to pick up.
CHANGED_CONTROLLER = "198.51.100.7"
CHANGED_KEY = {"project": "cyperf-k8s:controllerAddress", "bare": "cyperf-bare:controller"}


def run(args: Sequence[str], env: dict[str, str], cwd: Path) -> Result:
    return run_command(args, env, cwd, timeout=900)


def manifests(config: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """The objects the stack registers, as plain manifests from components.specs; and the
    Deployments to await."""
    from components import specs
    from components.settings.loading import parse_settings

    agents = parse_settings(engine_config(config)).agents_in(STACK)
    objects: list[dict[str, Any]] = []
    if agents.create_namespace:
        objects.append(specs.namespace(agents))
    rollouts = []
    for group in agents.groups:
        objects.append(specs.deployment(group, agents, []))
        rollouts.append(specs.deployment_name(group))
        if group.service is not None:
            objects.append(specs.service(group, group.service, agents))
    return objects, rollouts


def bare_config(objects: list[dict[str, Any]]) -> dict[str, str]:
    """The official manifests' placeholders, filled with what the east-west stack renders."""
    deployment = next(o for o in objects if o["kind"] == "Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in container["env"]}
    return {
        "cyperf-bare:image": container["image"],
        "cyperf-bare:controller": env["AGENT_CONTROLLER"],
        "cyperf-bare:replicas": str(deployment["spec"]["replicas"]),
    }


@dataclass
class Round:
    seconds: dict[str, dict[str, float]] = field(default_factory=dict)
    # Per program and resource, the creation time `pulumi up` reported ("created (10s)").
    up_steps: dict[str, dict[str, float]] = field(default_factory=dict)


CREATED = re.compile(r"^\s*\+\s+(\S+)\s+(\S+)\s+created \(([\d.]+)s\)", re.MULTILINE)


def pulumi_steps(
    env: dict[str, str], cwd: Path, stack: str, changed_key: str | None, original: str | None
) -> tuple[dict[str, float], str]:
    """up, a pod-template change (`changed_key` set to CHANGED_CONTROLLER, then `up`; programs
    without agents run a no-change `up`), a no-change preview, destroy."""
    common = ["--stack", stack, "--non-interactive"]
    up = run(["pulumi", "up", "--yes", "--skip-preview", *common], env, cwd)
    if changed_key is not None:
        run(["pulumi", "config", "set", changed_key, CHANGED_CONTROLLER, *common], env, cwd)
    change = run(["pulumi", "up", "--yes", "--skip-preview", *common], env, cwd)
    preview = run(["pulumi", "preview", "--expect-no-changes", *common], env, cwd)
    destroy = run(["pulumi", "destroy", "--yes", "--skip-preview", *common], env, cwd)
    if changed_key is not None and original is not None:
        run(["pulumi", "config", "set", changed_key, original, *common], env, cwd)
    seconds = {
        "up": up.seconds,
        "change": change.seconds,
        "preview": preview.seconds,
        "destroy": destroy.seconds,
    }
    return seconds, up.text


def kubectl_steps(
    env: dict[str, str],
    cwd: Path,
    manifests_of: dict[str, Path],
    rollouts: list[str],
    reads: list[str],
) -> dict[str, float]:
    """apply + rollout status + reads, the same for the changed manifests, diff, delete."""

    def apply(manifest: Path) -> float:
        started = time.perf_counter()
        run(["kubectl", "apply", "-f", str(manifest)], env, cwd)
        for name in rollouts:
            status = ["rollout", "status", "-n", NAMESPACE, f"deployment/{name}", "--timeout=300s"]
            run(["kubectl", *status], env, cwd)
        # What the stack reads back for its outputs: the servers' Endpoints and the DNS Service.
        run(["kubectl", "get", "-n", NAMESPACE, *reads, "-o", "json"], env, cwd)
        run(["kubectl", "get", "-n", "kube-system", "service/kube-dns", "-o", "json"], env, cwd)
        return time.perf_counter() - started

    up = apply(manifests_of["original"])
    change = apply(manifests_of["changed"])
    diff = run(["kubectl", "diff", "-f", str(manifests_of["changed"])], env, cwd)
    destroy = run(
        ["kubectl", "delete", "-f", str(manifests_of["changed"]), "--wait=true"], env, cwd
    )
    return {"up": up, "change": change, "preview": diff.seconds, "destroy": destroy.seconds}


def wait_for_namespace_gone(env: dict[str, str], cwd: Path) -> None:
    for _ in range(120):
        done = subprocess.run(
            ["kubectl", "get", "namespace", NAMESPACE], env=env, cwd=cwd, capture_output=True
        )
        if done.returncode != 0:
            return
        time.sleep(1)
    raise RuntimeError(f"namespace {NAMESPACE} still there after 120 s")


TITLE = "### 3. Real `pulumi` on the local rig vs. a bare Pulumi program and kubectl"


def compare(runs: int, scratch: Scratch) -> str:
    try:
        with own_rig(scratch.path / "rig-state", RIG_CLUSTER) as env:
            return report(measure(runs, scratch, env))
    except RuntimeError as err:
        if "rig/start.sh" not in str(err):
            raise
        return f"{TITLE}\n\nSkipped (`bash rig/build.sh` builds the rig):\n\n```\n{err}\n```"


def measure(runs: int, scratch: Scratch, env: dict[str, str]) -> list[Round]:
    project = copy_project(scratch.path / "project")
    bare = copy_project(scratch.path / "bare", BARE, ("Pulumi.yaml", "__main__.py"))
    config = {**stack_config(STACK), "cyperf-k8s:namespace": NAMESPACE}
    objects, rollouts = manifests(config)
    stack_configs = {
        "project": config,
        "bare": {**bare_config(objects), "cyperf-bare:level": "manifests"},
        "provider only": {"cyperf-bare:level": "provider"},
        "empty": {"cyperf-bare:level": "empty"},
    }
    dirs = {"project": project, "bare": bare}
    (project / "stacks").mkdir()
    for label, (where, stack) in PROGRAMS.items():
        config_dir = project / "stacks" if where == "project" else bare
        config_file = config_dir / f"Pulumi.{stack}.yaml"
        config_file.write_text(yaml.safe_dump({"config": stack_configs[label]}))
        run(["pulumi", "stack", "init", stack, "--non-interactive"], env, dirs[where])
    manifests_of = {"original": project / "manifests.yaml", "changed": project / "changed.yaml"}
    manifests_of["original"].write_text(yaml.safe_dump_all(objects))
    changed, _ = manifests({**config, CHANGED_KEY["project"]: CHANGED_CONTROLLER})
    manifests_of["changed"].write_text(yaml.safe_dump_all(changed))
    reads = [f"endpoints/{o['metadata']['name']}" for o in objects if o["kind"] == "Service"]
    rounds: list[Round] = []
    for i in range(runs):
        result = Round()
        # Rotate the order so drift in machine load hits every tool alike.
        for tool in TOOLS[i % len(TOOLS) :] + TOOLS[: i % len(TOOLS)]:
            if tool == "kubectl":
                result.seconds[tool] = kubectl_steps(env, project, manifests_of, rollouts, reads)
            else:
                where, stack = PROGRAMS[tool]
                key = CHANGED_KEY.get(tool)
                original = stack_configs[tool].get(key) if key else None
                result.seconds[tool], output = pulumi_steps(env, dirs[where], stack, key, original)
                result.up_steps[tool] = {
                    f"{typ.rsplit(':', 1)[-1]} `{name}`": float(seconds)
                    for typ, name, seconds in CREATED.findall(output)
                    if typ != "pulumi:pulumi:Stack"
                }
            wait_for_namespace_gone(env, project)
        rounds.append(result)
    return rounds


def report(rounds: list[Round]) -> str:
    def seconds(tool: str, step: str) -> list[float]:
        return [r.seconds[tool][step] for r in rounds]

    def ratios(tool: str, step: str, baseline: str) -> str:
        paired = [r.seconds[tool][step] / r.seconds[baseline][step] for r in rounds]
        return ratio_spread(paired)

    labels = {
        "up": "`up --skip-preview` / `apply` + `rollout status` + reads",
        "change": "pod-template change (new controller address): `up` / `apply` + `rollout "
        "status` + reads",
        "preview": "`preview` (no change) / `kubectl diff`",
        "destroy": "`destroy --skip-preview` / `kubectl delete --wait`",
    }
    main_rows = [
        [
            labels[step],
            spread(seconds("project", step), digits=2),
            spread(seconds("bare", step), digits=2),
            spread(seconds("kubectl", step), digits=2),
            ratios("project", step, "bare"),
            ratios("project", step, "kubectl"),
            ratios("bare", step, "kubectl"),
        ]
        for step in STEPS
    ]
    # Each level adds one thing to the one before it (differences of medians).
    levels = (
        ("empty", "engine, language host, Python + pulumi SDK, stack snapshot (no resource)"),
        ("provider only", "+ pulumi_kubernetes import, provider plugin start and configure"),
        ("bare", "+ 3 official objects: registration and the provider's awaits"),
        ("project", "+ the project: its imports, settings, namespace, 2 reads, outputs"),
    )
    level_rows = []
    previous = dict.fromkeys(STEPS, 0.0)
    for tool, what in levels:
        cells = [f"`{tool}`", what]
        for step in STEPS:
            value = med(seconds(tool, step))
            cells += [f"{value:.2f}", f"{value - previous[step]:+.2f}"]
            previous[step] = value
        level_rows.append(cells)
    step_rows = []
    for tool in ("project", "bare"):
        names = {k for r in rounds for k in r.up_steps[tool]}
        for name in sorted(names, key=lambda k: -med([r.up_steps[tool].get(k, 0) for r in rounds])):
            step_rows.append(
                [tool, name, f"{med([r.up_steps[tool].get(name, 0.0) for r in rounds]):.2f}"]
            )

    def without_service(tool: str) -> float:
        return med(
            [
                r.seconds[tool]["up"]
                - max(
                    (v for k, v in r.up_steps[tool].items() if k.startswith("Service ")),
                    default=0.0,
                )
                for r in rounds
            ]
        )

    kubectl_up = med(seconds("kubectl", "up"))
    return "\n".join(
        [
            TITLE,
            "",
            f"East-west example stack (namespace, 2 Deployments of 2 agents, 1 Service; "
            f"namespace `{NAMESPACE}`) against the bare-Pulumi floor (`bench/bare`: Keysight's "
            "official example manifests, 2 Deployments + 1 Service, through pulumi-kubernetes) "
            f"and kubectl; {len(rounds)} rounds, rotating which tool goes first; a KWOK control "
            "plane of this run's own on 127.0.0.1. Seconds, `median [min-max]`; ratios per round.",
            "",
            table(
                (
                    "step (pulumi / kubectl) | project s | bare Pulumi s | kubectl s | "
                    "project / bare Pulumi | project / kubectl | bare Pulumi / kubectl"
                ),
                main_rows,
            ),
            "",
            "Where the time of a `pulumi` command goes: each program adds one thing to the one "
            "above it (medians, s; `+` the difference to the row above):",
            "",
            table(
                ["program", "adds", "up", "+", "change", "+", "preview", "+", "destroy", "+"],
                level_rows,
            ),
            "",
            "Creation time per resource as `pulumi up` itself reports it (`created (Ns)`, median "
            "over the rounds):",
            "",
            table(["program", "resource", "seconds"], step_rows),
            "",
            "A Service's time is the Kubernetes provider's Service await: after the last "
            "Endpoints update it waits a fixed 10 s for stragglers (pulumi-kubernetes "
            "`pkg/await/service.go`, `time.Sleep(10 * time.Second)` before `settled`); both "
            "Pulumi programs pay it. Without it (an estimate: `up` minus the Service step) "
            f"`pulumi up` would take {without_service('project'):.2f} s for the project "
            f"({without_service('project') / kubectl_up:.1f}x kubectl) and "
            f"{without_service('bare'):.2f} s for the bare program "
            f"({without_service('bare') / kubectl_up:.1f}x kubectl).",
        ]
    )
