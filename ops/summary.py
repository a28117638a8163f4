"""The bundle's summary.txt: what a first reader needs on one screen, in kubectl's own shapes
(`kubectl get pods -o wide` columns, then the namespace's Warning events, newest last)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any


def age(created: str | None, now: datetime) -> str:
    """kubectl's short age: 45s, 12m, 3h, 2d."""
    if not created:
        return "<unknown>"
    then = datetime.fromisoformat(created.replace("Z", "+00:00"))
    seconds = max(0, int((now.astimezone(UTC) - then).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size * (2 if unit != "m" else 1):
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def pod_row(pod: dict[str, Any], now: datetime) -> list[str]:
    status = pod.get("status") or {}
    statuses = status.get("containerStatuses") or []
    ready = sum(1 for s in statuses if s.get("ready"))
    total = len((pod.get("spec") or {}).get("containers") or [])
    shown = status.get("reason") or status.get("phase") or "Unknown"
    for container in statuses:
        waiting = (container.get("state") or {}).get("waiting") or {}
        if waiting.get("reason"):
            shown = waiting["reason"]
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        shown = "Terminating"
    return [
        pod["metadata"]["name"],
        f"{ready}/{total}",
        str(shown),
        str(sum(int(s.get("restartCount") or 0) for s in statuses)),
        age((pod.get("metadata") or {}).get("creationTimestamp"), now),
        status.get("podIP") or "<none>",
        (pod.get("spec") or {}).get("nodeName") or "<none>",
    ]


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    cells = [list(header), *[list(r) for r in rows]]
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]
    return [
        "   ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in cells
    ]


def summary_text(
    title: str,
    pods: Sequence[dict[str, Any]],
    events: Sequence[dict[str, Any]],
    now: datetime,
) -> str:
    lines = [title, "", "Pods (kubectl get pods -o wide):"]
    header = ("NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE")
    lines += table(header, [pod_row(p, now) for p in pods]) if pods else ["  no pods"]
    warnings = [e for e in events if e.get("type") == "Warning"]
    lines += ["", f"Warning events ({len(warnings)}):"]
    rows = [
        [
            str(e.get("lastTimestamp") or e.get("eventTime") or ""),
            str(e.get("reason") or ""),
            f"{(e.get('involvedObject') or {}).get('kind', '')}/"
            f"{(e.get('involvedObject') or {}).get('name', '')}",
            str(e.get("message") or "").replace("\n", " "),
        ]
        for e in warnings
    ]
    lines += table(("LAST SEEN", "REASON", "OBJECT", "MESSAGE"), rows) if rows else ["  none"]
    return "\n".join(lines) + "\n"
