"""The 120-second rule: only a switch between pod IPs and a Service destination waits, and only
within 120 s of the stack's last run; the state file is local and survives a corrupt copy."""

from __future__ import annotations

import json
from pathlib import Path

from ops.run.cooldown import COOL_DOWN, default_state_file, remember, wait_needed


def test_a_switch_within_the_window_waits_the_rest(tmp_path: Path) -> None:
    state = tmp_path / "runs.json"
    remember(state, "east-west", {"IP Network 1": "service"}, ended_at=1000.0)
    left, why = wait_needed(state, "east-west", {"IP Network 1": "pod"}, now=1030.0)
    assert left == COOL_DOWN - 30
    assert "ended 30s ago" in why and "IP Network 1: service -> pod" in why


def test_no_wait_after_the_window_for_the_same_kind_or_another_stack(tmp_path: Path) -> None:
    state = tmp_path / "runs.json"
    remember(state, "east-west", {"IP Network 1": "service"}, ended_at=1000.0)
    assert wait_needed(state, "east-west", {"IP Network 1": "pod"}, now=1120.0)[0] == 0
    assert wait_needed(state, "east-west", {"IP Network 1": "service"}, now=1001.0)[0] == 0
    assert wait_needed(state, "north-south", {"IP Network 1": "pod"}, now=1001.0)[0] == 0
    assert wait_needed(state, "east-west", {"IP Network 2": "pod"}, now=1001.0)[0] == 0


def test_state_is_kept_per_stack_and_a_corrupt_file_is_no_history(tmp_path: Path) -> None:
    state = tmp_path / "deeper" / "runs.json"
    remember(state, "a", {"s": "pod"}, ended_at=5.0)
    remember(state, "b", {"s": "service"}, ended_at=6.0)
    assert json.loads(state.read_text()) == {
        "a": {"endedAt": 5.0, "kinds": {"s": "pod"}},
        "b": {"endedAt": 6.0, "kinds": {"s": "service"}},
    }
    state.write_text("{not json")
    assert wait_needed(state, "a", {"s": "service"}, now=6.0) == (0.0, "")


def test_the_default_state_file_follows_xdg_state_home(tmp_path: Path) -> None:
    assert default_state_file({"XDG_STATE_HOME": str(tmp_path)}) == (
        tmp_path / "cyperf-k8s" / "last-runs.json"
    )
    assert default_state_file({}).parts[-3:] == ("state", "cyperf-k8s", "last-runs.json")
