"""The bundle's readers: which kube-system pods count as the node network's, their versions, and
the stack config read that fails softly."""

from __future__ import annotations

from pathlib import Path

import pytest

from ops.gather import is_network_pod, stack_config, versions
from tests.ops.fake_kube import pod_json


@pytest.mark.parametrize(
    ("name", "labels", "network"),
    [
        ("kube-proxy-abcde", {}, True),
        ("aws-node-x", {"k8s-app": "aws-node"}, True),
        ("x-1", {"k8s-app": "cilium"}, True),
        ("calico-node-1", {}, True),
        ("coredns-1", {"k8s-app": "kube-dns"}, False),
        ("metrics-server-1", {}, False),
    ],
)
def test_network_pods(name: str, labels: dict[str, str], network: bool) -> None:
    pod = pod_json(name, "", None, "n1", namespace="kube-system")
    pod["metadata"]["labels"] = labels
    assert is_network_pod(pod) is network


def test_versions_from_spec_and_status() -> None:
    pod = pod_json("kube-proxy-a", "", "10.0.0.1", "n1", containers=("kube-proxy",))
    pod["spec"]["containers"][0]["image"] = "registry.k8s.io/kube-proxy:v1.34.0"
    pod["status"]["containerStatuses"][0]["imageID"] = "sha256:abc"
    assert versions(pod) == {
        "name": "kube-proxy-a",
        "node": "n1",
        "images": {"kube-proxy": "registry.k8s.io/kube-proxy:v1.34.0"},
        "imageIDs": {"kube-proxy": "sha256:abc"},
        "phase": "Running",
    }


def test_stack_config_unreadable_is_a_reason_not_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no pulumi
    assert stack_config("east-west", tmp_path) == (
        "cannot read the stack config: FileNotFoundError"
    )
