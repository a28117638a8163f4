"""Changing a child that a packaged (multi-language) component creates and offers no argument
for: a Pulumi `transforms` callback, which the engine runs for the component and each of its
children with the child's inputs under their wire names (camelCase), including the children
a component provider registers (Pulumi docs, resource option `transforms`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pulumi

Props = dict[str, Any]


def child_transform(
    child_type: str, change: Callable[[Props], Props], kept: Sequence[str] = ()
) -> pulumi.ResourceTransform:
    """A transform that applies `change` to the inputs of every child of type `child_type` and
    adds `kept` (property paths) to its ignoreChanges, so a later `up` keeps their first value;
    every other resource passes unchanged."""

    def transform(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
        if args.type_ != child_type:
            return None
        opts = args.opts
        if kept:
            opts = pulumi.ResourceOptions.merge(
                opts, pulumi.ResourceOptions(ignore_changes=list(kept))
            )
        return pulumi.ResourceTransformResult(change(dict(args.props)), opts)

    return transform
