"""summary.txt: kubectl's age format, the `get pods -o wide` row, and the Warning events."""

from __future__ import annotations

from datetime import UTC, datetime

from ops.summary import age, pod_row, summary_text
from tests.ops.fake_kube import pod_json

NOW = datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC)


def test_age_like_kubectl() -> None:
    assert age("2026-11-30T11:59:15Z", NOW) == "45s"
    assert age("2026-11-30T11:48:00Z", NOW) == "12m"
    assert age("2026-11-30T09:00:00Z", NOW) == "3h"
    assert age("2026-11-28T12:00:00Z", NOW) == "2d"
    assert age(None, NOW) == "<unknown>"


def test_pod_row_shows_the_waiting_reason_as_status() -> None:
    pod = pod_json("client-1", "client", "10.0.0.1", "n1", restarts=3, ready=False)
    pod["metadata"]["creationTimestamp"] = "2026-11-30T11:00:00Z"
    pod["status"]["containerStatuses"][0]["state"] = {"waiting": {"reason": "CrashLoopBackOff"}}
    assert pod_row(pod, NOW) == [
        "client-1",
        "0/1",
        "CrashLoopBackOff",
        "3",
        "60m",
        "10.0.0.1",
        "n1",
    ]
    pending = pod_json("client-2", "client", None, None, ready=False)
    assert pod_row(pending, NOW)[2:] == ["Pending", "0", "<unknown>", "<none>", "<none>"]


def test_summary_lists_only_warning_events() -> None:
    events = [
        {"type": "Normal", "reason": "Scheduled", "involvedObject": {"kind": "Pod", "name": "a"}},
        {
            "type": "Warning",
            "reason": "FailedScheduling",
            "lastTimestamp": "2026-11-30T11:00:00Z",
            "message": "0/3 nodes\nare available",
            "involvedObject": {"kind": "Pod", "name": "b"},
        },
    ]
    text = summary_text("title", [], events, NOW)
    lines = text.splitlines()
    assert lines[0] == "title" and "  no pods" in lines
    assert "Warning events (1):" in lines
    assert lines[-1].split() == [
        "2026-11-30T11:00:00Z", "FailedScheduling", "Pod/b", "0/3", "nodes", "are", "available",
    ]  # fmt: skip
