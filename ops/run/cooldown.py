"""The guide's 120-second rule between runs that switch a segment between a Service destination
and pod IPs: conntrack entries of the previous run may still be in TIME_WAIT (the stack plans
with the kernel's 120 s, see components/settings/conntrack.py) and confuse the new run's
connections.

The last run of each stack is remembered in a local JSON file, no server:
  {"<stack>": {"endedAt": <unix seconds>, "kinds": {"<client segment>": "pod" | "service"}}}
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

COOL_DOWN = 120.0


def default_state_file(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "cyperf-k8s" / "last-runs.json"


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def wait_needed(path: Path, stack: str, kinds: Mapping[str, str], now: float) -> tuple[float, str]:
    """Seconds still to wait before this run (0: none), and why."""
    last = _read(path).get(stack)
    if not isinstance(last, dict):
        return 0.0, ""
    before = last.get("kinds") or {}
    switched = sorted(s for s, kind in kinds.items() if s in before and before[s] != kind)
    if not switched:
        return 0.0, ""
    left = float(last.get("endedAt", 0)) + COOL_DOWN - now
    if left <= 0:
        return 0.0, ""
    changes = ", ".join(f"{s}: {before[s]} -> {kinds[s]}" for s in switched)
    return left, (
        f"the last run on stack {stack} ended {now - float(last['endedAt']):.0f}s ago and this "
        f"run switches destinations ({changes}); conntrack entries may still be in TIME_WAIT "
        f"for up to {COOL_DOWN:.0f}s"
    )


def remember(path: Path, stack: str, kinds: Mapping[str, str], ended_at: float) -> None:
    state = _read(path)
    state[stack] = {"endedAt": ended_at, "kinds": dict(sorted(kinds.items()))}
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n")
    os.replace(partial, path)
