"""The run harness: a program runs under the mocks as on `pulumi up`, with the config the engine
would hand over, and every export is waited for. The mocks stand on their own: the benchmarks'
bare-SDK floor uses them, so importing them must not import the program."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pulumi
import pytest

from mocks.cluster import ClusterMocks
from mocks.harness import run_program
from mocks.monitor import RecordingMonitor

ROOT = Path(__file__).resolve().parents[2]


def run(program: Any, config: dict[str, str] | None = None, **options: Any) -> dict[str, Any]:
    mocks = ClusterMocks()
    monitor = RecordingMonitor(mocks)
    return run_program(program, config or {}, mocks, monitor, "harness-test", "test", **options)


def test_importing_the_mocks_imports_no_project_module() -> None:
    probe = (
        "import json, sys\n"
        "import mocks.aws, mocks.cluster, mocks.harness, mocks.monitor\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = json.loads(done.stdout)
    assert "mocks.harness" in loaded  # the probe really imported them
    project = [m for m in loaded if m.split(".")[0] in ("components", "policy", "bench")]
    assert project == []
    # Nor the cloud SDKs: the EKS answers are plain data.
    assert [m for m in loaded if m.split(".")[0] in ("pulumi_aws", "pulumi_eks")] == []


def test_exports_are_resolved_and_the_secret_ones_named() -> None:
    def program() -> None:
        pulumi.export("plain", pulumi.Output.from_input(3).apply(lambda n: n + 1))
        pulumi.export("hidden", pulumi.Output.secret({"token": "t-1"}))

    secret: set[str] = set()
    assert run(program, secret_exports=secret) == {"plain": 4, "hidden": {"token": "t-1"}}
    assert secret == {"hidden"}


def test_the_output_a_program_returns_is_waited_for() -> None:
    seen: list[str] = []

    def program() -> pulumi.Output[Any]:
        pulumi.export("done", True)
        return pulumi.Output.from_input("late").apply(seen.append)

    run(program)
    assert seen == ["late"]


def test_config_reaches_the_program_as_the_engine_hands_it_over_and_is_cleared() -> None:
    seen: dict[str, Any] = {}

    def program() -> None:
        config = pulumi.Config("harness-test")
        seen.update(
            plain=config.get("plain"),
            secret=pulumi.runtime.is_config_secret("harness-test:token"),
            not_secret=pulumi.runtime.is_config_secret("harness-test:plain"),
        )
        pulumi.export("done", True)

    config = {"harness-test:plain": "p", "harness-test:token": "t"}
    run(program, config, secret_config=["harness-test:token"])
    assert seen == {"plain": "p", "secret": True, "not_secret": False}
    # The next run (the next test) starts without this run's config.
    assert pulumi.runtime.get_config("harness-test:plain") is None


def test_errors_of_the_program_propagate() -> None:
    def program() -> None:
        raise ValueError("refused by the program")

    with pytest.raises(ValueError, match="refused by the program"):
        run(program)
