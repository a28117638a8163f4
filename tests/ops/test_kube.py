"""core_api(): the stack's kubeconfig as content or path, or the ambient one; errors hide it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ops.errors import OpsError
from ops.kube import core_api
from ops.pods import list_agent_pods
from tests.ops.conftest import make_stack
from tests.ops.fake_kube import FakeKube, kubeconfig, pod_json


def test_kubeconfig_as_a_path_and_the_ambient_one(
    kube: FakeKube, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kube.pods = [pod_json("client-1", "client", "10.244.0.1", "n1")]
    config_file = tmp_path / "kc.yaml"
    config_file.write_text(json.dumps(kubeconfig(kube.url)))
    by_path = make_stack(kube.url, **{"cyperf-k8s:kubeconfig": (str(config_file), True)})
    assert [p.name for p in list_agent_pods(core_api(by_path), "cyperf")] == ["client-1"]
    monkeypatch.setenv("KUBECONFIG", str(config_file))
    ambient = make_stack(kube.url)
    object.__setattr__(ambient, "kubeconfig", None)
    assert [p.name for p in list_agent_pods(core_api(ambient), "cyperf")] == ["client-1"]


def test_a_broken_kubeconfig_is_refused_without_showing_it() -> None:
    broken = "token: hunter2-secret\n  bad: [indent"
    stack = make_stack("http://127.0.0.1:9", **{"cyperf-k8s:kubeconfig": (broken, True)})
    with pytest.raises(OpsError) as raised:
        core_api(stack)
    assert "not valid YAML (content hidden: it is a secret)" in str(raised.value)
    assert "hunter2" not in str(raised.value)


def test_an_unknown_context_is_named() -> None:
    stack = make_stack(
        "http://127.0.0.1:9", **{"cyperf-k8s:kubeContext": ("no-such-context", False)}
    )
    with pytest.raises(OpsError, match=r"cannot load the stack's kubeconfig: .*no-such-context"):
        core_api(stack)
