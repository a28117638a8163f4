"""Every example stack registers exactly the resources recorded in tests/snapshots/.

A snapshot holds, per registered (or read) resource, its URN, type, name, parent, inputs, which
inputs were secret and every resource option the engine receives (provider, dependencies,
ignoreChanges, additionalSecretOutputs, protect, deleteBeforeReplace, ...), plus the component
outputs, the resolved stack outputs and, on the EKS path, the launch templates pulumi-eks would
create as the program's transforms change them, as sorted JSON. A refactor that changes no
behaviour keeps this test green; a deliberate change regenerates the files and shows up in
review as their diff:

    CYPERF_K8S_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/program/test_snapshot.py

(CI never sets that variable: `make test` refuses to run with it set, and so does this module
when `CI` is set.)
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from google.protobuf.json_format import MessageToDict  # type: ignore[import-untyped]

from components.settings.problems import PROJECT
from mocks.monitor import RecordingMonitor
from tests.support.eks import EksMocks
from tests.support.program import (
    STACK,
    STACKS,
    ClusterMocks,
    StackRun,
    cluster_state_for,
    engine_config,
    run_stack,
    stack_config,
)

SNAPSHOTS = Path(__file__).resolve().parents[1] / "snapshots"
UPDATE = os.environ.get("CYPERF_K8S_UPDATE_SNAPSHOTS") == "1"
if UPDATE and os.environ.get("CI"):
    raise RuntimeError("CYPERF_K8S_UPDATE_SNAPSHOTS must not be set in CI")
EXAMPLE_STACKS = sorted(STACKS.glob("Pulumi.*.yaml"))
# Request fields that are not options: the resource itself, or where in the program it came from.
NOT_OPTIONS = {
    "type",
    "name",
    "parent",
    "custom",
    "object",
    "properties",
    "id",
    "sourcePosition",
    "stackTrace",
    "parentStackTraceHandle",
}


class OptionsRecorder:
    """Mixed in before a recording monitor: keeps each request's resource options by URN."""

    options: dict[str, dict[str, Any]]

    def _keep(self, urn: str, request: Any) -> None:
        if not hasattr(self, "options"):
            self.options = {}
        fields = MessageToDict(request)
        kept = {k: v for k, v in fields.items() if k not in NOT_OPTIONS}
        # Dependencies are a set to the engine; the order they arrive in is not behaviour.
        if "dependencies" in kept:
            kept["dependencies"] = sorted(kept["dependencies"])
        for entry in kept.get("propertyDependencies", {}).values():
            entry["urns"] = sorted(entry.get("urns", []))
        # A transform is a callback into this process (a fresh token and port each run); what it
        # does shows in the remote children it changed (`remoteChildren`).
        if "transforms" in kept:
            kept["transforms"] = ["callback"] * len(kept["transforms"])
        self.options[urn] = kept

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)  # type: ignore[misc]
        self._keep(response.urn, request)
        return response

    def ReadResource(self, request: Any) -> Any:
        response = super().ReadResource(request)  # type: ignore[misc]
        self._keep(response.urn, request)
        return response


class OptionsMonitor(OptionsRecorder, RecordingMonitor):
    pass


def snapshot(
    run: StackRun, options: dict[str, dict[str, Any]], mocks: ClusterMocks
) -> dict[str, Any]:
    resources = []
    for resource in sorted(run.resources, key=lambda r: (r.urn, r.read_id or "")):
        resources.append(
            {
                "urn": resource.urn,
                "type": resource.typ,
                "name": resource.name,
                "parent": resource.parent,
                "custom": resource.custom,
                "readId": resource.read_id,
                "inputs": resource.inputs,
                "secretInputs": sorted(resource.secret_inputs),
                "options": options[resource.urn],
            }
        )
    # The root stack's own outputs arrive after the program ends (sometimes after the run
    # returns); what it exports is `stackOutputs`.
    components = {
        urn: outputs
        for urn, outputs in run.component_outputs.items()
        if not urn.endswith(f"::pulumi:pulumi:Stack::{PROJECT}-{STACK}")
    }
    recorded: dict[str, Any] = {
        "resources": resources,
        "componentOutputs": components,
        "stackOutputs": run.exports,
    }
    if isinstance(mocks, EksMocks):
        # Children pulumi-eks creates, as the program's transforms leave them.
        recorded["remoteChildren"] = sorted(mocks.remote_children, key=lambda c: c["urn"])
    return recorded


def record(path: Path) -> dict[str, Any]:
    config = engine_config(path)
    mocks: ClusterMocks
    if stack_config(path).get("cyperf-k8s:cluster") == "eks":
        mocks = EksMocks()
        run = run_stack(config, mocks=mocks, monitor_class=OptionsMonitor)
    else:
        mocks = ClusterMocks(cluster_state_for(config))
        run = run_stack(config, mocks=mocks, monitor_class=OptionsMonitor)
    assert isinstance(mocks.monitor, OptionsRecorder)
    return snapshot(run, mocks.monitor.options, mocks)


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def differences(expected: str, actual: str, name: str) -> str:
    """A unified diff of two snapshot texts; empty when they are equal."""
    return "".join(
        difflib.unified_diff(
            expected.splitlines(keepends=True),
            actual.splitlines(keepends=True),
            fromfile=f"tests/snapshots/{name} (committed)",
            tofile=f"{name} (this run)",
            n=4,
        )
    )


def snapshot_file(stack: Path) -> Path:
    return SNAPSHOTS / (stack.name.removeprefix("Pulumi.").removesuffix(".yaml") + ".json")


def test_every_example_stack_has_a_snapshot() -> None:
    assert len(EXAMPLE_STACKS) >= 6
    kinds = {stack_config(p).get("cyperf-k8s:cluster", "existing") for p in EXAMPLE_STACKS}
    assert kinds == {"existing", "eks"}
    assert sorted(SNAPSHOTS.glob("*.json")) == sorted(map(snapshot_file, EXAMPLE_STACKS))


@pytest.mark.parametrize("stack", EXAMPLE_STACKS, ids=[p.name for p in EXAMPLE_STACKS])
def test_example_stack_registers_its_snapshot(stack: Path) -> None:
    actual = render(record(stack))
    target = snapshot_file(stack)
    if UPDATE:
        target.write_text(actual)
    expected = target.read_text()
    data = json.loads(expected)
    # A snapshot that recorded nothing would prove nothing.
    assert data["resources"] and data["stackOutputs"]
    assert all(r["options"] or r["readId"] for r in data["resources"] if r["custom"])
    diff = differences(expected, actual, target.name)
    assert not diff, f"registrations differ from the snapshot:\n{diff}"


def test_a_changed_registration_shows_as_a_diff() -> None:
    stack = STACKS / "Pulumi.east-west.yaml"
    recorded = json.loads(snapshot_file(stack).read_text())
    changed = json.loads(json.dumps(recorded))
    deployment = next(r for r in changed["resources"] if r["type"].endswith(":Deployment"))
    deployment["inputs"]["spec"]["replicas"] = 7.0
    diff = differences(render(recorded), render(changed), "east-west.json")
    removed = [line[1:].strip() for line in diff.splitlines() if line.startswith("-")]
    added = [line[1:].strip() for line in diff.splitlines() if line.startswith("+")]
    assert '"replicas": 2.0,' in removed
    assert '"replicas": 7.0,' in added
    assert differences(render(recorded), render(recorded), "east-west.json") == ""
