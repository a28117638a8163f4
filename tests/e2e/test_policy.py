"""The CrossGuard policy pack through the real `pulumi preview --policy-pack` on the local rig.

Pulumi CLI v3.274.1 starts a Python policy pack (a directory with PulumiPolicy.yaml) through the
Python language host's `RunPlugin`: the host runs `<pack virtualenv>/bin/python <pack dir>
<engine address>`, and the pack's `__main__.py` serves the analyzer. The rig's stand-in host
(rig/langhost/) implements that call; these tests run the pack as policy/README.md says, in a
virtualenv of its own built from policy/requirements.txt.
"""

from __future__ import annotations

import filecmp
import json
import shutil
import subprocess
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi_policy import ResourceValidationPolicy, StackValidationPolicy

from policy.pack import POLICIES, POLICY_PACK_NAME
from tests.e2e.conftest import ROOT, Result, Rig

pytestmark = pytest.mark.e2e

PACK_VERSION = yaml.safe_load((ROOT / "policy" / "PulumiPolicy.yaml").read_text())["version"]
RESOURCE_POLICIES = {p.name for p in POLICIES if isinstance(p, ResourceValidationPolicy)}
STACK_POLICIES = {p.name for p in POLICIES if isinstance(p, StackValidationPolicy)}
LANGHOST_FILES = ("pulumi-language-python", "pulumi-language-python-rig.py")
AGENT_IMAGE = "public.ecr.aws/keysight/cyperf-agent"


@pytest.fixture(scope="module")
def policy_pack(rig: Rig) -> Path:
    """policy/ copied into the rig's project copy, with its own virtualenv (policy/README.md)."""
    # The CLI runs the language host that rig/build.sh copies beside `pulumi`; `make e2e` runs
    # build.sh first, a bare pytest run may not have. Refresh it when it differs (cheap, warm).
    installed = Path(rig.env["CYPERF_RIG_PULUMI_BIN"])
    if not all(
        filecmp.cmp(ROOT / "rig" / "langhost" / name, installed / name, shallow=False)
        for name in LANGHOST_FILES
    ):
        subprocess.run(["bash", str(ROOT / "rig" / "build.sh"), "pulumi"], check=True)
    pack = rig.project / "policy"
    shutil.copytree(
        ROOT / "policy",
        pack,
        ignore=shutil.ignore_patterns("venv", "__pycache__"),
        dirs_exist_ok=True,
    )
    # PulumiPolicy.yaml names `venv` (relative to the pack). The project's interpreter creates it
    # without pip (saves ensurepip's ~7 s); the project's pip installs the pack's requirements.
    started = time.monotonic()
    python = str(ROOT / ".venv" / "bin" / "python")
    venv = pack / "venv"
    subprocess.run([python, "-m", "venv", "--without-pip", str(venv)], check=True)
    pip = [python, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--quiet"]
    pip += ["--disable-pip-version-check", "--no-compile", "-r", str(pack / "requirements.txt")]
    subprocess.run(pip, check=True)
    print(f"policy pack virtualenv: {time.monotonic() - started:.1f}s")
    return pack


def run_in(rig: Rig, cwd: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    """`rig.run` in another directory and with extra environment variables."""
    started = time.monotonic()
    done = subprocess.run(
        args,
        cwd=cwd,
        env={**rig.env, **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
    )
    return Result(done.returncode, done.stdout, done.stderr, time.monotonic() - started)


def stack_with_config(rig: Rig, name: str, example: str) -> Iterator[str]:
    config = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{example}.yaml").read_text())["config"]
    stack = rig.new_stack(name, config)
    yield stack
    rig.pulumi("stack", "rm", "--yes", stack=stack)
    (rig.project / "stacks" / f"Pulumi.{name}.yaml").unlink(missing_ok=True)


@pytest.fixture(scope="module")
def east_west_preview_stack(rig: Rig) -> Iterator[str]:
    """The east-west example's config under a name of its own (test_stacks.py owns east-west)."""
    yield from stack_with_config(rig, "policy-east-west", "east-west")


def test_east_west_preview_passes_the_policy_pack(
    rig: Rig, policy_pack: Path, east_west_preview_stack: str
) -> None:
    result = rig.pulumi("preview", "--policy-pack", str(policy_pack), stack=east_west_preview_stack)
    print(f"east-west preview with the policy pack: {result.seconds:.1f}s")
    pack_lines = [
        line.strip() for line in result.text.splitlines() if f"{POLICY_PACK_NAME}@v" in line
    ]
    assert pack_lines == [f"✅ {POLICY_PACK_NAME}@v{PACK_VERSION} (local: {policy_pack})"], (
        result.text
    )
    assert "[mandatory]" not in result.text and "[advisory]" not in result.text


def test_east_west_preview_runs_every_policy_on_the_agent_resources(
    rig: Rig, policy_pack: Path, east_west_preview_stack: str
) -> None:
    """The engine's per-resource policy summaries: each policy ran, and passed."""
    result = run_in(
        rig,
        rig.project,
        *("pulumi", "preview", "--json", "--stack", east_west_preview_stack, "--non-interactive"),
        *("--policy-pack", str(policy_pack)),
        env={"PULUMI_ENABLE_STREAMING_JSON_PREVIEW": "true"},
    )
    assert result.returncode == 0, result.text
    events = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    resources: dict[str, dict[str, Any]] = {}
    stack_summaries = []
    for event in events:
        if summary := event.get("policyAnalyzeSummaryEvent"):
            resources[summary["resourceUrn"].rsplit("::", 1)[-1]] = summary
        if summary := event.get("policyAnalyzeStackSummaryEvent"):
            stack_summaries.append(summary)
        assert "policyEvent" not in event, event
    for name in ("agents-client", "agents-server", "agents-server-service"):
        summary = resources[name]
        assert summary["policyPackName"] == POLICY_PACK_NAME
        assert summary["policyPackVersion"] == PACK_VERSION
        assert set(summary["passed"]) == RESOURCE_POLICIES, summary
        assert not summary.get("failed"), summary
    assert len(stack_summaries) == 1, stack_summaries
    assert set(stack_summaries[0]["passed"]) == STACK_POLICIES, stack_summaries
    assert not stack_summaries[0].get("failed"), stack_summaries


VIOLATING_PROGRAM = f'''\
"""A throwaway program that breaks the pack's rules (a latest, privileged agent)."""

import pulumi_kubernetes as k8s

labels = {{"app": "cyperf-agent", "run": "cyperf-agent-client"}}
k8s.apps.v1.Deployment(
    "agent",
    metadata={{"name": "cyperf-agent-policy-violation", "namespace": "default"}},
    spec={{
        "selector": {{"matchLabels": labels}},
        "template": {{
            "metadata": {{"labels": labels}},
            "spec": {{
                "containers": [
                    {{
                        "name": "cyperf-agent-client",
                        "image": "{AGENT_IMAGE}:latest",
                        "securityContext": {{
                            "privileged": True,
                            "capabilities": {{"add": ["NET_ADMIN", "IPC_LOCK", "NET_RAW"]}},
                        }},
                        "resources": {{"limits": {{"memory": "4Gi"}}}},
                    }}
                ]
            }},
        }},
    }},
)
# Selects client pods: a stack policy (Services select servers only) rejects it.
k8s.core.v1.Service(
    "agent-service",
    metadata={{"name": "cyperf-agent-policy-violation", "namespace": "default"}},
    spec={{"selector": labels, "ports": [{{"port": 80}}]}},
)
'''


@pytest.fixture(scope="module")
def violating_program(rig: Rig, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    program = tmp_path_factory.mktemp("policy-violation")
    (program / "Pulumi.yaml").write_text(
        textwrap.dedent(f"""\
            name: policy-violation
            runtime:
              name: python
              options:
                toolchain: pip
                virtualenv: {ROOT / ".venv"}
            """)
    )
    (program / "__main__.py").write_text(VIOLATING_PROGRAM)
    init = run_in(rig, program, "pulumi", "stack", "init", "violation", "--non-interactive")
    assert init.returncode == 0, init.text
    yield program
    run_in(rig, program, "pulumi", "stack", "rm", "--yes", "violation", "--non-interactive")


def test_preview_of_a_latest_privileged_agent_fails_on_mandatory_policies(
    rig: Rig, policy_pack: Path, violating_program: Path
) -> None:
    result = run_in(
        rig,
        violating_program,
        *("pulumi", "preview", "--stack", "violation", "--non-interactive"),
        *("--policy-pack", str(policy_pack)),
    )
    print(f"violating preview: exit {result.returncode} after {result.seconds:.1f}s")
    text = result.text
    assert result.returncode != 0, text
    assert f"❌ {POLICY_PACK_NAME}@v{PACK_VERSION} (local: {policy_pack})" in text, text
    violations = {
        line.split("]", 1)[1].split()[0]
        for line in text.splitlines()
        if line.strip().startswith("- [mandatory]")
    }
    assert violations == {
        "cyperf-agent-image-pinned",
        "cyperf-agent-security-context",
        "cyperf-agent-services-select-servers",
        # A privileged container is host access, which only the node-tuning DaemonSet may have.
        "host-access-only-node-tuning",
    }, text
    assert f"image '{AGENT_IMAGE}:latest' uses the tag 'latest'" in text
    assert "securityContext.privileged is true" in text
    # The agent leaves allowPrivilegeEscalation unset, which Kubernetes treats as true.
    assert "securityContext.allowPrivilegeEscalation is not set" in text
    assert "privileged is true; host access is allowed only to the node-tuning DaemonSet" in text
    assert "error: preview failed" in text
