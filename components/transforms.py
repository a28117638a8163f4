"""Changing a child that a packaged (multi-language) component creates and offers no argument
for: a Pulumi `transforms` callback, which the engine runs for the component and each of its
children with the child's inputs under their wire names (camelCase), including the children
a component provider registers (Pulumi docs, resource option `transforms`).

Such a transform depends on the component's internals: a component upgrade that renames the
child's type or creates it elsewhere (another parent) leaves the transform matching nothing, and
the engine says nothing. So each transform counts what it changed (`ChildChange.matched`), for
the caller to check once the component has registered."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi

Props = dict[str, Any]


class ChildChange:
    """A transform (call it as one) that applies `change` to the inputs of every child of type
    `child_type`, leaving its options as they are; every other resource passes unchanged.
    `matched`: the names of the children it changed, in the order the engine offered them."""

    def __init__(self, child_type: str, change: Callable[[Props], Props]) -> None:
        self.child_type = child_type
        self.change = change
        self.matched: list[str] = []

    def __call__(self, args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
        if args.type_ != self.child_type:
            return None
        self.matched.append(args.name)
        return pulumi.ResourceTransformResult(self.change(dict(args.props)), args.opts)

    def unmatched_warning(self, component: str) -> str | None:
        """What to tell the user when the transform has changed nothing by the time `component`
        (the resource it was given to) finished registering its children."""
        if self.matched:
            return None
        return (
            f"{component}: no child of type {self.child_type} reached the stack's transform, "
            "so the change it makes is missing (did an upgrade of the component rename that "
            "child or move it to another parent?)"
        )


def child_transform(child_type: str, change: Callable[[Props], Props]) -> ChildChange:
    """The ChildChange of `child_type`; see there."""
    return ChildChange(child_type, change)
