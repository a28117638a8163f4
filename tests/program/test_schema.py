"""Every Kubernetes object the stack registers validates (strictly) against the official
Kubernetes OpenAPI schema of a current release, for the defaults, a config that sets everything,
and each existing-cluster example stack."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from tests.program.test_settings_reach_inputs import full_config
from tests.support.program import (
    STACKS,
    StackRun,
    cluster_state_for,
    config_of,
    engine_config,
    run_stack,
    stack_config,
)

KUBERNETES_VERSION = "1.37.0"


def example_stacks() -> list[Path]:
    stacks = sorted(STACKS.glob("Pulumi.*.yaml"))
    return [p for p in stacks if stack_config(p).get("cyperf-k8s:cluster", "existing") != "eks"]


def kubernetes_objects(run: StackRun) -> list[dict[str, Any]]:
    objects = []
    for resource in run.resources:
        if resource.read_id is not None or not resource.typ.startswith("kubernetes:"):
            continue
        _, group_version, kind = resource.typ.split(":")
        kind = kind.removesuffix("Patch")
        api_version = group_version.removeprefix("core/")
        obj = _integral_numbers(dict(resource.inputs))
        obj.setdefault("apiVersion", api_version)
        obj.setdefault("kind", kind)
        assert (obj["apiVersion"], obj["kind"]) == (api_version, kind)
        objects.append(obj)
    return objects


def _integral_numbers(value: Any) -> Any:
    """The engine carries every number as a float; the API server reads 2.0 as 2."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _integral_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_integral_numbers(v) for v in value]
    return value


CASES = {
    "defaults": {},
    "every-setting": full_config(),
    # The node-tuning DaemonSet and the client pods' sysctl.
    "conntrack-tuning": config_of(
        conntrack={"nodeTuning": True, "timeWaitSeconds": 60},
        agentGroups=[
            {
                "name": "client",
                "role": "client",
                "conntrack": {"peakConnectionsPerSecond": 5000},
                "localPortRange": "2000-65000",
            },
            {"name": "server", "role": "server", "conntrack": {"concurrentConnections": 10}},
        ],
    ),
    **{path.name: engine_config(path) for path in example_stacks()},
}


def test_the_existing_cluster_examples_are_covered() -> None:
    names = {p.name for p in example_stacks()}
    assert {"Pulumi.east-west.yaml", "Pulumi.north-south.yaml"} <= names


@pytest.mark.parametrize("config", list(CASES.values()), ids=list(CASES))
def test_registered_objects_validate_strictly(config: dict[str, str]) -> None:
    objects = kubernetes_objects(run_stack(config, cluster_state_for(config)))
    assert objects, "no Kubernetes object registered"
    assert any(o["kind"] == "Deployment" for o in objects)
    for obj in objects:
        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as err:
            pytest.fail(f"{obj['kind']} {obj['metadata'].get('name')}: {err.message} at {err.path}")


def test_the_validator_rejects_a_broken_object() -> None:
    """Guard against a validator that accepts everything."""
    broken = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "x"},
        "spec": {"replicas": "two", "selector": {}, "template": {}, "unknownField": 1},
    }
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)
