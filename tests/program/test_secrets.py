"""Secrets stay secret: a value set with `pulumi config set --secret` is
registered secret wherever it reaches an input and exported secret in every output derived from
it (that problems never show it: tests/components/settings/test_loading.py)."""

from __future__ import annotations

from typing import Any

from tests.support.program import StackRun, config_of, default_cluster_state, run_stack

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
CONTROLLER = "10.77.0.9"
ENV_SECRET = "api-key-5b1c"


def groups(env_value: str = ENV_SECRET) -> list[dict[str, Any]]:
    return [
        {"name": "client", "role": "client", "env": {"LICENSE": env_value}},
        {"name": "server", "role": "server", "tags": {"site": "lab-7"}},
    ]


def run_with(secret_keys: tuple[str, ...]) -> StackRun:
    state = default_cluster_state(endpoints={"cyperf-agent-service": {"subsets": []}})
    return run_stack(
        config_of(controllerAddress=CONTROLLER, agentGroups=groups()),
        state,
        secret_keys=secret_keys,
    )


def env(run: StackRun, group: str) -> dict[str, str]:
    deployment = run.one(DEPLOYMENT, f"agents-{group}")
    entries = deployment.inputs["spec"]["template"]["spec"]["containers"][0]["env"]
    return {entry["name"]: entry["value"] for entry in entries}


def spec_is_secret(run: StackRun, group: str) -> bool:
    # The SDK sends a Deployment's `spec` whole: one secret value inside marks all of it secret
    # (and only it: the metadata, with the object's name, stays readable).
    deployment = run.one(DEPLOYMENT, f"agents-{group}")
    assert deployment.secret_paths <= {"spec"}, deployment.secret_paths
    return deployment.secret_inputs == {"spec"}


def test_without_secret_keys_nothing_is_secret() -> None:
    run = run_with(())
    kubernetes_objects = [r for r in run.resources if r.typ.startswith("kubernetes:")]
    assert len(kubernetes_objects) >= 3  # namespace, two Deployments, the Service
    assert all(not r.secret_paths for r in kubernetes_objects)
    assert run.secret_exports == set()
    assert run.exports["controllerAddress"] == CONTROLLER


def test_a_secret_controller_address_is_registered_and_exported_secret() -> None:
    run = run_with(("controllerAddress",))
    for group in ("client", "server"):
        assert spec_is_secret(run, group)
        assert env(run, group)["AGENT_CONTROLLER"] == CONTROLLER
    assert run.secret_exports == {"controllerAddress", "controllerSetup"}
    assert run.exports["controllerAddress"] == CONTROLLER
    assert run.exports["controllerSetup"]["agentController"]["address"] == CONTROLLER
    dut = next(o for urn, o in run.component_outputs.items() if urn.endswith("::dut"))
    assert dut["controllerSetup"]["agentController"]["address"] == CONTROLLER


def test_secret_agent_groups_keep_env_and_tags_secret() -> None:
    run = run_with(("agentGroups",))
    # The client through its env value, the server through its tags.
    assert spec_is_secret(run, "client") and env(run, "client")["LICENSE"] == ENV_SECRET
    assert spec_is_secret(run, "server") and env(run, "server")["AGENT_TAGS"] == (
        "cyperf-k8s=test.server,site=lab-7"
    )
    assert {"agentTags", "controllerSetup"} <= run.secret_exports
    assert "controllerAddress" not in run.secret_exports
    assert run.exports["agentTags"]["server"] == "cyperf-k8s=test.server,site=lab-7"


def test_a_warning_never_prints_a_secret_value(logged_warnings: list[str]) -> None:
    """A secret controller name that draws a warning (an mDNS `.local` name) is scrubbed from it;
    without `--secret` the same warning quotes the name."""
    state = default_cluster_state(endpoints={"cyperf-agent-service": {"subsets": []}})
    config = config_of(controllerAddress="ctl.lab.local")
    run_stack(config, state)
    quoted = [w for w in logged_warnings if w.startswith("cyperf-k8s:controllerAddress: ")]
    assert quoted == [w for w in quoted if "'ctl.lab.local' ends in '.local'" in w] != []
    logged_warnings.clear()
    run_stack(config, state, secret_keys=("controllerAddress",))
    scrubbed = [w for w in logged_warnings if w.startswith("cyperf-k8s:controllerAddress: ")]
    assert len(scrubbed) == 1 and "<secret> ends in '.local'" in scrubbed[0], scrubbed
    assert not any("ctl.lab.local" in w for w in logged_warnings), logged_warnings
