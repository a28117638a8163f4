"""The whole program on the EKS path: the example EKS stacks run under the mocks, the agents wait
for the node groups and get the dedicated groups' tolerations.

The existing-cluster path never loads the AWS or EKS SDKs: they are imported only inside
components/eks/ when `provision` runs. Checked in fresh interpreters, so no other test's imports
can hide a leak."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from components.settings.eks.stack import EksStackSettings
from components.settings.loading import parse_settings
from tests.support.eks import ADDON, NODE_GROUP, run_eks_stack
from tests.support.program import STACKS, engine_config

ROOT = Path(__file__).resolve().parents[2]
AWS_SDKS = ("pulumi_aws", "pulumi_eks")


@pytest.mark.parametrize(
    "stack_file",
    [
        "Pulumi.eks-east-west-vpc-cni.yaml",
        "Pulumi.eks-east-west-calico.yaml",
        "Pulumi.eks-north-south.yaml",
    ],
)
def test_example_stacks_run(stack_file: str) -> None:
    config = engine_config(STACKS / stack_file)
    settings = parse_settings(config)
    run = run_eks_stack(config)
    by_urn = {r.urn: r for r in run.resources}
    deployments = [r for r in run.resources if r.typ == "kubernetes:apps/v1:Deployment"]
    assert len(deployments) == len(settings.agent_groups)
    assert isinstance(settings, EksStackSettings)
    for deployment in deployments:
        waited = {by_urn[u].typ for u in deployment.dependencies if u in by_urn}
        assert NODE_GROUP in waited
        if settings.eks.cni.is_calico:
            assert ADDON in waited
    assert all("::eks-cluster-kubernetes::" in r.provider for r in deployments)
    assert run.exports["cni"] == settings.eks.cni.type
    assert run.exports["clusterDnsIp"] == "10.100.0.10"
    assert run.exports["controllerSetup"]["dnsResolverNameServer"] == "10.100.0.10"


def test_dedicated_taint_reaches_the_agents_tolerations() -> None:
    run = run_eks_stack(engine_config(STACKS / "Pulumi.eks-east-west-calico.yaml"))
    deployments = {
        r.name: r.inputs for r in run.resources if r.typ == "kubernetes:apps/v1:Deployment"
    }
    assert len(deployments) == 2
    client_spec = deployments["agents-client"]["spec"]["template"]["spec"]
    assert {
        "key": "agenttype",
        "operator": "Equal",
        "value": "client",
        "effect": "NoSchedule",
    } in client_spec["tolerations"]
    server_spec = deployments["agents-server"]["spec"]["template"]["spec"]
    assert not server_spec.get("tolerations")


def test_load_balancer_services_are_deleted_on_their_own() -> None:
    """Deleting a LoadBalancer Service is what removes its NLB; skipped, the NLB's ENIs would
    block the subnet and VPC deletes."""
    run = run_eks_stack(engine_config(STACKS / "Pulumi.eks-north-south.yaml"))
    services = [
        r
        for r in run.of_type("kubernetes:core/v1:Service")
        if r.inputs["spec"]["type"] == "LoadBalancer"
    ]
    assert len(services) == 1
    assert services[0].deleted_with == ""


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
