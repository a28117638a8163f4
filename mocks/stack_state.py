"""The stack's own state as the engine's builtin reads return it to the program
(`readStackOutputs`, `readStackResourceOutputs`): empty for a stack that never completed an `up`
(the default), or the state an earlier mock run left, so a test runs an update of a deployed
stack."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mocks.monitor import Registered

READ_OUTPUTS = "pulumi:pulumi:readStackOutputs"
READ_RESOURCES = "pulumi:pulumi:readStackResourceOutputs"
READS = frozenset({READ_OUTPUTS, READ_RESOURCES})


@dataclass
class StackState:
    # The stack's outputs, and its resources: URN -> {"type", "outputs"}.
    outputs: dict[str, Any] = field(default_factory=dict)
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def after(cls, registered: Iterable[Registered], exports: Mapping[str, Any]) -> StackState:
        """What a completed `up` leaves: its exports, and every resource it registered (reads
        are not kept) with its inputs as outputs, as the mock cluster echoes them."""
        return cls(
            outputs=dict(exports),
            resources={
                r.urn: {"type": r.typ, "outputs": r.inputs} for r in registered if r.read_id is None
            },
        )

    def answer(self, token: str, args: Mapping[str, Any]) -> dict[str, Any]:
        if token == READ_OUTPUTS:
            return {"name": args["name"], "outputs": self.outputs, "secretOutputNames": []}
        return {"name": args["stackName"], "outputs": self.resources}
