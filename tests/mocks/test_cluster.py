"""The shared mocks (package `mocks`) stand on their own: the benchmarks' bare-SDK floor uses
them, so importing them must not import the program."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pulumi
import pytest

from mocks.aws import EksMocks
from mocks.cluster import CLUSTER_DNS_IP, ClusterMocks
from mocks.harness import run_program
from mocks.monitor import RecordingMonitor

ROOT = Path(__file__).resolve().parents[2]


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


def _run(mocks: ClusterMocks, body: Any) -> RecordingMonitor:
    monitor = RecordingMonitor(mocks)
    exports = run_program(body, {}, mocks, monitor, "mocks-test", "test")
    assert exports == {"done": True}
    return monitor


def test_reads_come_from_the_cluster_state_or_fail() -> None:
    def body() -> None:
        dns = pulumi.CustomResource(
            "kubernetes:core/v1:Service",
            "dns",
            {},
            pulumi.ResourceOptions(id="kube-system/kube-dns"),
        )
        pulumi.export("done", dns.id.apply(lambda _: True))

    monitor = _run(ClusterMocks(), body)
    assert [(r.typ, r.read_id) for r in monitor.registered] == [
        ("kubernetes:core/v1:Service", "kube-system/kube-dns")
    ]
    with pytest.raises(Exception, match="mock cluster has no kubernetes:core/v1:Endpoints"):
        _run(
            ClusterMocks(),
            lambda: pulumi.export(
                "done",
                pulumi.CustomResource(
                    "kubernetes:core/v1:Endpoints",
                    "e",
                    {},
                    pulumi.ResourceOptions(id="cyperf/missing"),
                ).id.apply(lambda _: True),
            ),
        )


def test_answer_every_read_makes_up_distinct_ready_endpoints() -> None:
    read: dict[str, Any] = {}

    def body() -> None:
        outputs = []
        for name in ("a", "b"):
            endpoints = pulumi.CustomResource(
                "kubernetes:core/v1:Endpoints",
                name,
                {"subsets": None},
                pulumi.ResourceOptions(id=f"ns/{name}"),
            )
            outputs.append(endpoints.subsets)  # type: ignore[attr-defined]
        dns = pulumi.CustomResource(
            "kubernetes:core/v1:Service",
            "dns",
            {"spec": None},
            pulumi.ResourceOptions(id="kube-system/other-dns"),
        )
        outputs.append(dns.spec)  # type: ignore[attr-defined]
        pulumi.export("done", pulumi.Output.all(*outputs).apply(lambda v: read.update(v=v) or True))

    _run(ClusterMocks(cluster_state={}, answer_every_read=True), body)
    a, b, spec = read["v"]
    assert a[0]["addresses"] != b[0]["addresses"]
    assert spec["clusterIP"] == CLUSTER_DNS_IP


def test_invokes_are_recorded_and_unknown_ones_refused() -> None:
    mocks = EksMocks()

    def body() -> None:
        zones = pulumi.runtime.invoke_output(
            "aws:index/getAvailabilityZones:getAvailabilityZones", {}
        )
        pulumi.export(
            "done",
            zones.apply(lambda z: z["names"][:3] == ["us-east-1a", "us-east-1b", "us-east-1c"]),
        )

    _run(mocks, body)
    assert [i.token for i in mocks.invokes] == [
        "aws:index/getAvailabilityZones:getAvailabilityZones"
    ]
    with pytest.raises(Exception, match="unexpected invoke aws:index/getRegion:getRegion"):
        _run(
            ClusterMocks(),
            lambda: pulumi.export(
                "done", pulumi.runtime.invoke_output("aws:index/getRegion:getRegion", {})
            ),
        )
