"""The existing-cluster path never loads the AWS or EKS SDKs: they are imported only inside
components/eks/ when `provision` runs. Checked in fresh interpreters, so no other test's imports
can hide a leak."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AWS_SDKS = ("pulumi_aws", "pulumi_eks")


def run_python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.mark.parametrize(
    "modules",
    [
        ["components.settings.loading", "components.cluster_access", "components.cyperf"],
        ["components.settings.eks.stack", "components.eks", "components.eks.plan"],
        ["components.stack", "components.existing", "components.agents"],
    ],
)
def test_importing_does_not_load_the_aws_sdks(modules: list[str]) -> None:
    out = run_python(
        f"""
        import importlib, sys
        for name in {modules!r}:
            importlib.import_module(name)
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in {AWS_SDKS!r})
        assert not loaded, loaded
        print("checked", len({modules!r}))
        """
    )
    assert out.strip() == f"checked {len(modules)}"


def test_running_the_existing_cluster_path_does_not_load_the_aws_sdks() -> None:
    out = run_python(
        f"""
        import sys
        from tests.support.program import config_of, default_cluster_state, run_stack
        ready = {{"subsets": [{{"addresses": [{{"ip": "10.1.0.4"}}]}}]}}
        endpoints = {{"cyperf-agent-service": ready}}
        run = run_stack(
            config_of(controllerAddress="10.0.0.5"),
            default_cluster_state(endpoints=endpoints),
        )
        kinds = {{r.typ for r in run.resources}}
        assert "kubernetes:apps/v1:Deployment" in kinds, kinds
        assert not any(k.startswith(("aws:", "eks:")) for k in kinds), kinds
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in {AWS_SDKS!r})
        assert not loaded, loaded
        # Not even the EKS settings models: an existing-cluster stack pays for no EKS code.
        eks_code = sorted(
            m for m in sys.modules if m.startswith(("components.eks", "components.settings.eks"))
        )
        assert not eks_code, eks_code
        print("deployments", sum(r.typ == "kubernetes:apps/v1:Deployment" for r in run.resources))
        """
    )
    assert out.strip() == "deployments 2"


def test_the_eks_path_does_load_them() -> None:
    """The check above can fail: running the EKS path in the same way loads both SDKs."""
    out = run_python(
        """
        import sys
        from tests.support.eks import eks_config, run_provision
        run_provision(eks_config())
        print(sorted(m for m in ("pulumi_aws", "pulumi_eks") if m in sys.modules))
        """
    )
    assert out.strip() == "['pulumi_aws', 'pulumi_eks']"
