"""Fixtures for the operations CLI's unit tests: fake controller and fake Kubernetes API,
both on 127.0.0.1 only."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ops.stack import StackInfo, stack_info
from tests.ops import fake_controller, fake_kube

CLIENT_TAGS = "K8s-Group=CyPerf-Agent-Client,node-owner=User"
SERVER_TAGS = "K8s-Group=CyPerf-Agent-Server,node-owner=User"


@pytest.fixture
def controller(tmp_path: Path) -> Iterator[fake_controller.FakeController]:
    with fake_controller.serve(tmp_path) as fake:
        yield fake


@pytest.fixture
def kube() -> Iterator[fake_kube.FakeKube]:
    with fake_kube.serve(fake_kube.FakeKube()) as fake:
        yield fake


def make_stack(kube_url: str, **config: Any) -> StackInfo:
    """A stack like `pulumi up` of the east-west example leaves it, pointed at the fake API."""
    values: dict[str, tuple[Any, bool]] = {
        "cyperf-k8s:kubeconfig": (json.dumps(fake_kube.kubeconfig(kube_url)), True),
        "cyperf-k8s:controllerAddress": ("192.0.2.10", False),
    }
    values.update(config)
    outputs = {
        "namespace": ("cyperf", False),
        "agentTags": ({"client": CLIENT_TAGS, "server": SERVER_TAGS}, False),
        "serverPodIps": (["10.244.0.4"], False),
        "controllerAddress": ("192.0.2.10", False),
    }
    return stack_info("east-west", values, outputs)
