"""Running a small program under the shared mocks for the mocks' own tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mocks.cluster import ClusterMocks
from mocks.harness import run_program
from mocks.monitor import RecordingMonitor


def run_done(mocks: ClusterMocks, body: Callable[[], Any]) -> RecordingMonitor:
    """Run `body`, which exports `done` (True once what it checks has resolved); returns the
    monitor that recorded it."""
    monitor = RecordingMonitor(mocks)
    exports = run_program(body, {}, mocks, monitor, "mocks-test", "test")
    assert exports == {"done": True}
    return monitor
