"""Run a program under the mocks the way the engine would on `pulumi up` (preview=False) and
wait for every stack export and every output the program hands back."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks

from mocks.cluster import ClusterMocks

Program = Callable[[], pulumi.Output[Any] | None]


async def _is_secret(value: Any) -> bool:
    return await pulumi.Output.from_input(value).is_secret()


def run_program(
    program: Program,
    config: dict[str, str],
    mocks: ClusterMocks,
    monitor: pulumi_mocks.MockMonitor,
    project: str,
    stack: str,
    secret_exports: set[str] | None = None,
    secret_config: Sequence[str] = (),
) -> dict[str, Any]:
    """Run `program` (its `pulumi.export` calls are captured) with `config` as the engine hands it
    over; returns the resolved exports (and adds the names of those exported secret to
    `secret_exports`). Errors from the program propagate; a program that
    returns normally must have every export resolved."""
    mocks.monitor = monitor
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False, monitor=monitor)
    # As the engine hands them over: the values, and which keys were set with `--secret`.
    pulumi.runtime.set_all_config(config, list(secret_config))
    exports: dict[str, Any] = {}
    resolved: dict[str, Any] = {}
    secret: dict[str, bool] = {}

    def capture(name: str, value: Any) -> None:
        exports[name] = value

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def run() -> pulumi.Output[Any]:
        waits = program()
        secrecy: dict[str, pulumi.Output[bool]] = {
            key: pulumi.Output.from_input(_is_secret(value)) for key, value in exports.items()
        }
        return pulumi.Output.all(
            waits, pulumi.Output.all(**exports), pulumi.Output.all(**secrecy)
        ).apply(lambda all_: (resolved.update(all_[1]), secret.update(all_[2])))

    original_export = pulumi.export
    pulumi.export = capture
    try:
        run()
    finally:
        pulumi.export = original_export
        pulumi.runtime.set_all_config({}, [])
    if set(resolved) != set(exports):
        raise AssertionError(f"not every export resolved: {sorted(set(exports) - set(resolved))}")
    if secret_exports is not None:
        secret_exports.update(key for key, is_secret in secret.items() if is_secret)
    return resolved
