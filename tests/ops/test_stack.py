"""stack_info(): what the CLI takes from the stack's config and outputs; secrets stay hidden."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from ops.errors import UsageError
from ops.stack import REDACTED, Secret, deployed_replicas, selected_stack, stack_info


def test_existing_cluster_stack_reads_kubeconfig_context_and_redacts_secret_outputs() -> None:
    info = stack_info(
        "east-west",
        {
            "cyperf-k8s:kubeconfig": ("apiVersion: v1\nkind: Config\n", True),
            "cyperf-k8s:kubeContext": ("lab", False),
            "cyperf-k8s:controllerAddress": ("192.0.2.10", False),
            "cyperf-ops:controllerOfflineToken": ("tok-123", True),
            "cyperf-ops:controllerUsername": ("admin", False),
            "aws:region": ("eu-west-1", False),
        },
        {
            "namespace": ("agents", False),
            "agentTags": ({"client": "a=b"}, False),
            "someSecret": ("s3cr3t", True),
        },
    )
    assert info.namespace == "agents"
    assert info.cluster == "existing"
    assert info.kube_context == "lab"
    assert info.kubeconfig is not None and info.kubeconfig.value.startswith("apiVersion")
    assert info.controller_address == "192.0.2.10"
    assert info.agent_tags == {"client": "a=b"}
    assert info.outputs_redacted == {
        "agentTags": {"client": "a=b"},
        "namespace": "agents",
        "someSecret": REDACTED,
    }
    token = info.ops_config["controllerOfflineToken"]
    assert isinstance(token, Secret) and token.value == "tok-123"
    assert info.ops_config["controllerUsername"] == "admin"
    # the secret never shows in str/repr of the objects that carry it
    for text in (str(info), repr(info), str(token), repr(token)):
        assert "tok-123" not in text and "apiVersion" not in text


def test_eks_stack_takes_the_secret_kubeconfig_output_and_ignores_kube_context() -> None:
    kubeconfig = {"apiVersion": "v1", "clusters": []}
    info = stack_info(
        "eks",
        {"cyperf-k8s:cluster": ("eks", False)},
        {"kubeconfig": (kubeconfig, True), "clusterName": ("c", False)},
    )
    assert info.kubeconfig is not None and json.loads(info.kubeconfig.value) == kubeconfig
    assert info.outputs_redacted["kubeconfig"] == REDACTED
    assert info.namespace == "cyperf"  # the program's default when nothing says otherwise


def test_namespace_falls_back_to_config_when_the_stack_has_no_outputs() -> None:
    info = stack_info("s", {"cyperf-k8s:namespace": ("lab-agents", False)}, {})
    assert info.namespace == "lab-agents" and info.agent_tags == {} and info.kubeconfig is None


def test_cli_errors_show_the_clis_error_line_never_its_stdout() -> None:
    from pulumi.automation._cmd import CommandResult
    from pulumi.automation.errors import CommandError

    from ops.stack import _cli_reason

    err = CommandError(
        CommandResult('{"kubeconfig": "s3cr3t"}', "warning: x\nerror: incorrect passphrase\n", 255)
    )
    assert _cli_reason(err) == "error: incorrect passphrase"


def test_deployed_replicas_come_from_the_outputs_then_the_config() -> None:
    setup = {"agentAssignment": {"client": {"replicas": 3.0}, "server": {"replicas": 0}}}
    assert deployed_replicas(setup, None) == {"client": 3, "server": 0}
    config = '[{"name": "c", "role": "client", "replicas": 2}, {"name": "s", "role": "server"}]'
    assert deployed_replicas(None, config) == {"c": 2, "s": 1}
    assert deployed_replicas("[secret]", "not json") == {}


@pytest.mark.parametrize(("selected", "name"), [(None, None), ("lab-2", "lab-2")])
def test_the_selected_stack_or_a_usage_error(
    selected: str | None, name: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pulumi.automation

    class Workspace:
        def __init__(self, work_dir: str) -> None:
            assert work_dir == str(tmp_path)

        def stack(self) -> object:
            return None if selected is None else SimpleNamespace(name=selected)

    monkeypatch.setattr(pulumi.automation, "LocalWorkspace", Workspace)
    (tmp_path / "Pulumi.yaml").write_text("name: p\nruntime: python\n")
    if name is None:
        with pytest.raises(UsageError, match="--stack: no stack is selected"):
            selected_stack(tmp_path)
    else:
        assert selected_stack(tmp_path) == name
