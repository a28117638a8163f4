"""What the Calico releases rely on, run by the real engine: a resource `deleted_with` its
Kubernetes provider is not deleted on its own when that provider is replaced (the provider's
`clusterIdentifier` changes, as it does when a `serviceCidr` change makes a new EKS cluster), nor
on `destroy`; a resource without the option is. So the Calico releases' Helm uninstall, whose
pre-delete hook would wait forever for a node, never runs when their cluster goes away.

Helm charts and EKS cannot run here: the resources are ConfigMaps, auto-named so that their
replacement is created before the old copy is deleted, as the releases' would be.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import Rig, probe_project, stack_of

pytestmark = pytest.mark.e2e

PROGRAM = """
import pulumi
import pulumi_kubernetes as k8s

provider = k8s.Provider("cluster", cluster_identifier=pulumi.Config().require("clusterId"))
for name, extra in (("deleted-with", {"deleted_with": provider}), ("plain", {})):
    k8s.core.v1.ConfigMap(
        name,
        metadata={"namespace": "default", "labels": {"deleted-with-probe": name}},
        data={"value": "same"},
        opts=pulumi.ResourceOptions(provider=provider, **extra),
    )
"""


@pytest.fixture
def probe(rig: Rig, tmp_path: Path) -> Rig:
    return probe_project(rig, tmp_path / "probe", "deleted-with-probe", PROGRAM, ())


def names(rig: Rig, probe_name: str) -> set[str]:
    items = rig.kubectl_json(
        "get", "configmaps", "-n", "default", "-l", f"deleted-with-probe={probe_name}"
    )["items"]
    return {item["metadata"]["name"] for item in items}


def test_a_replaced_provider_takes_its_deleted_with_resources_without_deleting_them(
    probe: Rig,
) -> None:
    try:
        with stack_of(probe, "probe") as stack:
            probe.pulumi("config", "set", "clusterId", "cluster-a", stack=stack)
            probe.up(stack)
            [kept_first] = names(probe, "deleted-with")
            [plain_first] = names(probe, "plain")

            # A new cluster identifier: the engine replaces the provider and both objects.
            probe.pulumi("config", "set", "clusterId", "cluster-b", stack=stack)
            result = probe.up(stack)
            assert "replaced" in result.text, result.text
            kept = names(probe, "deleted-with")
            plain = names(probe, "plain")
            # The old copy of the deleted_with object was never deleted; the plain one was.
            assert len(kept) == 2 and kept_first in kept
            assert len(plain) == 1 and plain_first not in plain

            # destroy deletes the provider, so the deleted_with objects stay too.
            probe.pulumi("destroy", "--yes", "--skip-preview", stack=stack)
            assert names(probe, "deleted-with") == kept
            assert names(probe, "plain") == set()
    finally:
        probe.run(
            "kubectl",
            "delete",
            "configmaps",
            "-n",
            "default",
            "-l",
            "deleted-with-probe",
            check=False,
        )
