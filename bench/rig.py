"""Part 3: the real Pulumi CLI against plain kubectl on the local rig (rig/README.md).

The east-west example stack goes through `pulumi up`, a no-change `pulumi preview` and
`pulumi destroy` in a copy of the project (like tests/e2e/conftest.py); the baseline applies the
same objects, rendered from components.specs for the same settings, with `kubectl apply` +
`kubectl rollout status`, checks them with `kubectl diff`, and removes them with
`kubectl delete --wait`, on the same control plane in the same run. Both use their own
namespace (`cyperf-bench`) and the Pulumi stack its own name, so a rig someone else started is
left as it was. A rig this part started itself is stopped again.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bench.common import ROOT, Scratch, engine_config, med, stack_config, table

STACK = "east-west"
NAMESPACE = "cyperf-bench"
PROJECT_FILES = ("Pulumi.yaml", "__main__.py", "requirements.txt", "components")
# How long to wait for an end-to-end test run on the rig to finish before skipping.
E2E_WAIT_SECONDS = 900


def rig_env() -> dict[str, str]:
    dump = subprocess.run(
        ["bash", "-c", f"source {ROOT / 'rig' / 'env.sh'} && env -0"],
        check=True,
        capture_output=True,
    ).stdout.decode()
    return dict(line.split("=", 1) for line in dump.split("\0") if "=" in line)


def missing_binaries(env: dict[str, str]) -> list[str]:
    wanted = [
        f"{env['CYPERF_RIG_PULUMI_BIN']}/pulumi",
        f"{env['CYPERF_RIG_PULUMI_BIN']}/pulumi-language-python",
        f"{env['CYPERF_RIG_KUBE_BIN']}/kube-apiserver",
        f"{env['CYPERF_RIG_KUBE_BIN']}/kubectl",
        f"{env['CYPERF_RIG_ETCD_BIN']}/etcd",
        f"{env['CYPERF_RIG_KWOK_BIN']}/kwokctl",
        f"{env['CYPERF_RIG_K8S_PROVIDER_BIN']}/pulumi-resource-kubernetes",
    ]
    return [b for b in wanted if not os.access(b, os.X_OK)]


def e2e_runs() -> list[int]:
    """Pids of pytest processes running the end-to-end tests."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "pytest" in cmdline and "e2e" in cmdline:
            found.append(int(entry.name))
    return found


def api_ok(env: dict[str, str]) -> bool:
    return (
        subprocess.run(
            ["kubectl", "get", "--raw", "/readyz"], env=env, capture_output=True, timeout=30
        ).returncode
        == 0
    )


@dataclass
class Timed:
    seconds: float
    output: str


def run(args: Sequence[str], env: dict[str, str], cwd: Path, timeout: float = 900) -> Timed:
    started = time.perf_counter()
    done = subprocess.run(
        list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args)} exited {done.returncode}:\n{(done.stdout + done.stderr)[-4000:]}"
        )
    return Timed(seconds, done.stdout + done.stderr)


def bench_config() -> dict[str, Any]:
    return {**stack_config(STACK), "cyperf-k8s:namespace": NAMESPACE}


def project_copy(scratch: Scratch) -> Path:
    project = scratch.path / "project"
    project.mkdir()
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, project / name)
    (project / "stacks").mkdir()
    (project / ".venv").symlink_to(ROOT / ".venv")
    return project


def manifests(config: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """The objects the stack registers, as plain manifests from components.specs; and the
    Deployments to await."""
    from components import specs
    from components.settings.loading import parse_settings

    agents = parse_settings(engine_config(config)).agents
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


@dataclass
class Round:
    pulumi: dict[str, float] = field(default_factory=dict)
    kubectl: dict[str, float] = field(default_factory=dict)
    # Per resource, the creation time `pulumi up` reported ("created (10s)").
    up_steps: dict[str, float] = field(default_factory=dict)


CREATED = re.compile(r"^\s*\+\s+(\S+)\s+(\S+)\s+created \(([\d.]+)s\)", re.MULTILINE)


def pulumi_round(env: dict[str, str], project: Path, stack: str, result: Round) -> None:
    common = ["--stack", stack, "--non-interactive"]
    up = run(["pulumi", "up", "--yes", "--skip-preview", *common], env, project)
    preview = run(["pulumi", "preview", "--expect-no-changes", *common], env, project)
    destroy = run(["pulumi", "destroy", "--yes", "--skip-preview", *common], env, project)
    result.pulumi = {"up": up.seconds, "preview": preview.seconds, "destroy": destroy.seconds}
    result.up_steps = {
        f"{typ.rsplit(':', 1)[-1]} `{name}`": float(seconds)
        for typ, name, seconds in CREATED.findall(up.output)
        if typ != "pulumi:pulumi:Stack"
    }


def kubectl_round(
    env: dict[str, str], project: Path, manifest: Path, rollouts: list[str], reads: list[str]
) -> dict[str, float]:
    started = time.perf_counter()
    run(["kubectl", "apply", "-f", str(manifest)], env, project)
    for name in rollouts:
        run(
            [
                "kubectl",
                "rollout",
                "status",
                "-n",
                NAMESPACE,
                f"deployment/{name}",
                "--timeout=300s",
            ],
            env,
            project,
        )
    # What the stack reads back for its outputs: the servers' Endpoints and the DNS Service.
    run(["kubectl", "get", "-n", NAMESPACE, *reads, "-o", "json"], env, project)
    run(["kubectl", "get", "-n", "kube-system", "service/kube-dns", "-o", "json"], env, project)
    up = time.perf_counter() - started
    diff = run(["kubectl", "diff", "-f", str(manifest)], env, project)
    destroy = run(["kubectl", "delete", "-f", str(manifest), "--wait=true"], env, project)
    return {"up": up, "preview": diff.seconds, "destroy": destroy.seconds}


def _wait_for_namespace_gone(env: dict[str, str], project: Path) -> None:
    for _ in range(120):
        done = subprocess.run(
            ["kubectl", "get", "namespace", NAMESPACE], env=env, cwd=project, capture_output=True
        )
        if done.returncode != 0:
            return
        time.sleep(1)
    raise RuntimeError(f"namespace {NAMESPACE} still there after 120 s")


def skipped(reason: str) -> str:
    return f"### 3. Real `pulumi` vs. `kubectl` on the local rig\n\nSkipped: {reason}"


def compare(runs: int, scratch: Scratch) -> str:
    env = rig_env()
    missing = missing_binaries(env)
    if missing:
        return skipped(
            "the rig's binaries are not built (missing "
            + ", ".join(Path(m).name for m in missing)
            + "; `bash rig/build.sh` builds them)."
        )
    deadline = time.monotonic() + E2E_WAIT_SECONDS
    while e2e_runs():
        if time.monotonic() > deadline:
            return skipped(f"an end-to-end test run kept the rig busy for {E2E_WAIT_SECONDS} s.")
        time.sleep(10)
    started_here = not api_ok(env)
    # Also on a running rig: start.sh reuses it and makes sure of the nodes, kube-dns and the
    # Kubernetes provider plugin in the rig's Pulumi home.
    start = subprocess.run(["bash", str(ROOT / "rig" / "start.sh")], capture_output=True)
    if start.returncode != 0:
        tail = (start.stdout + start.stderr).decode()[-1500:]
        if started_here:
            subprocess.run(["bash", str(ROOT / "rig" / "stop.sh")], capture_output=True)
        return skipped(f"`bash rig/start.sh` failed:\n\n```\n{tail}\n```")
    project = project_copy(scratch)
    stack = f"bench-{STACK}-{os.getpid()}"
    config = bench_config()
    (project / "stacks" / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config}))
    objects, rollouts = manifests(config)
    manifest = project / "manifests.yaml"
    manifest.write_text(yaml.safe_dump_all(objects))
    reads = [f"endpoints/{o['metadata']['name']}" for o in objects if o["kind"] == "Service"]
    rounds: list[Round] = []
    try:
        run(["pulumi", "stack", "init", stack, "--non-interactive"], env, project)
        for i in range(runs):
            result = Round()
            if i % 2 == 0:
                pulumi_round(env, project, stack, result)
                _wait_for_namespace_gone(env, project)
                result.kubectl = kubectl_round(env, project, manifest, rollouts, reads)
            else:
                result.kubectl = kubectl_round(env, project, manifest, rollouts, reads)
                _wait_for_namespace_gone(env, project)
                pulumi_round(env, project, stack, result)
            _wait_for_namespace_gone(env, project)
            rounds.append(result)
    finally:
        subprocess.run(
            ["pulumi", "destroy", "--yes", "--skip-preview", "--stack", stack, "--non-interactive"],
            cwd=project,
            env=env,
            capture_output=True,
        )
        subprocess.run(
            ["pulumi", "stack", "rm", "--yes", "--force", stack, "--non-interactive"],
            cwd=project,
            env=env,
            capture_output=True,
        )
        subprocess.run(
            ["kubectl", "delete", "-f", str(manifest), "--ignore-not-found", "--wait=true"],
            cwd=project,
            env=env,
            capture_output=True,
        )
        if started_here:
            subprocess.run(["bash", str(ROOT / "rig" / "stop.sh")], capture_output=True)
    return report(rounds, started_here, len(objects))


def report(rounds: list[Round], started_here: bool, objects: int) -> str:
    rows = []
    labels = {
        "up": ("`pulumi up --skip-preview`", "`kubectl apply` + `rollout status` + reads"),
        "preview": ("`pulumi preview` (no change)", "`kubectl diff` (no change)"),
        "destroy": ("`pulumi destroy --skip-preview`", "`kubectl delete --wait`"),
    }
    for step, (p_label, k_label) in labels.items():
        p = [r.pulumi[step] for r in rounds]
        k = [r.kubectl[step] for r in rounds]
        ratios = [r.pulumi[step] / r.kubectl[step] for r in rounds]
        rows.append(
            [
                p_label,
                f"{med(p):.2f} [{min(p):.2f}-{max(p):.2f}]",
                k_label,
                f"{med(k):.2f} [{min(k):.2f}-{max(k):.2f}]",
                f"{med(ratios):.1f}x [{min(ratios):.1f}-{max(ratios):.1f}]",
            ]
        )
    steps = sorted({k for r in rounds for k in r.up_steps})
    service_steps = [k for k in steps if k.startswith("Service ")]
    without_service = [
        r.pulumi["up"] - max((r.up_steps.get(k, 0.0) for k in service_steps), default=0.0)
        for r in rounds
    ]
    kubectl_up = [r.kubectl["up"] for r in rounds]
    step_rows = [
        [step, f"{med([r.up_steps.get(step, 0.0) for r in rounds]):.2f}"]
        for step in sorted(steps, key=lambda k: -med([r.up_steps.get(k, 0.0) for r in rounds]))
    ]
    return "\n".join(
        [
            "### 3. Real `pulumi` vs. `kubectl` on the local rig",
            "",
            f"East-west example stack ({objects} objects: namespace, 2 Deployments of 2 agents, "
            f"1 Service; namespace `{NAMESPACE}`), {len(rounds)} rounds, alternating which tool "
            "goes first; KWOK control plane on 127.0.0.1 "
            f"({'started by this run' if started_here else 'already running, reused'}).",
            "",
            table(["pulumi step", "seconds", "kubectl baseline", "seconds", "ratio"], rows),
            "",
            "Creation time per resource as `pulumi up` itself reports it (`created (Ns)`, median "
            "over the rounds):",
            "",
            table(["resource", "seconds"], step_rows),
            "",
            "The Service's time is the Kubernetes provider's Service await: after the last "
            "Endpoints update it waits a fixed 10 s for stragglers (pulumi-kubernetes "
            "`pkg/await/service.go`, `time.Sleep(10 * time.Second)` before `settled`). Without "
            f"that wait (an estimate: `up` minus the Service step) `pulumi up` would take "
            f"{med(without_service):.2f} s, {med(without_service) / med(kubectl_up):.1f}x "
            "kubectl.",
        ]
    )
