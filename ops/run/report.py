"""Results of a run, for people and for CI: thresholds judged on the controller's statistics,
written as statistics.csv, statistics.json, junit.xml and a one-page report (report.png, charts
drawn with matplotlib) in the run's folder."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from ops.run.definition import TestDefinition

Series = list[tuple[float, float]]  # (seconds since the first snapshot, value)


@dataclass(frozen=True)
class Verdict:
    metric: str
    value: float | None
    minimum: float | None
    maximum: float | None

    @property
    def passed(self) -> bool:
        if self.value is None:
            return False
        too_low = self.minimum is not None and self.value < self.minimum
        return not too_low and not (self.maximum is not None and self.value > self.maximum)

    def message(self) -> str:
        if self.value is None:
            return f"{self.metric}: no value (statistic missing on the controller)"
        bounds = " and ".join(
            text
            for text in (
                f">= {self.minimum:g}" if self.minimum is not None else "",
                f"<= {self.maximum:g}" if self.maximum is not None else "",
            )
            if text
        )
        return f"{self.metric} = {self.value:g} (wanted {bounds})"


def _number(cell: Any) -> float | None:
    value = getattr(cell, "actual_instance", cell)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def series(stats: Mapping[str, Any], stat: str, column: str) -> Series:
    """One column of a statistic's first row over time."""
    result = stats.get(stat)
    if result is None or column not in (result.columns or []):
        return []
    index = result.columns.index(column)
    points: Series = []
    first: float | None = None
    for snapshot in result.snapshots or []:
        if not snapshot.values or snapshot.timestamp is None:
            continue
        value = _number(snapshot.values[0][index])
        if value is None:
            continue
        first = snapshot.timestamp if first is None else first
        points.append(((snapshot.timestamp - first) / 1000.0, value))
    return points


def reduce(points: Series, how: str) -> float | None:
    values = [v for _, v in points]
    if not values:
        return None
    if how == "mean":
        return sum(values) / len(values)
    if how == "max":
        return max(values)
    return min(values) if how == "min" else values[-1]


def metrics(definition: TestDefinition, stats: Mapping[str, Any]) -> dict[str, Series]:
    from ops.run.definition import DEFAULT_STATISTICS

    return {
        metric: series(
            stats, definition.statistic(metric).stat, definition.statistic(metric).column
        )
        for metric in DEFAULT_STATISTICS
    }


def judge(definition: TestDefinition, measured: Mapping[str, Series]) -> list[Verdict]:
    return [
        Verdict(
            metric,
            reduce(measured.get(metric, []), definition.statistic(metric).reduce),
            bound.min,
            bound.max,
        )
        for metric, bound in sorted(definition.thresholds.items())
    ]


def write_all(
    folder: Path,
    summary: dict[str, Any],
    measured: Mapping[str, Series],
    verdicts: list[Verdict],
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "statistics.csv").open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["metric", "seconds", "value"])
        for metric, points in sorted(measured.items()):
            for seconds, value in points:
                writer.writerow([metric, f"{seconds:g}", f"{value:g}"])
    document = {
        **summary,
        "thresholds": [
            {
                "metric": v.metric,
                "value": v.value,
                "min": v.minimum,
                "max": v.maximum,
                "passed": v.passed,
            }
            for v in verdicts
        ],
        "series": {m: [[s, v] for s, v in p] for m, p in sorted(measured.items())},
    }
    (folder / "statistics.json").write_text(json.dumps(document, indent=2) + "\n")
    _junit(folder / "junit.xml", summary, verdicts)
    _chart(folder / "report.png", summary, measured, verdicts)


def _junit(path: Path, summary: Mapping[str, Any], verdicts: list[Verdict]) -> None:
    name = f"cyperf-k8s run {summary.get('test')} on {summary.get('stack')}"
    failures = sum(not v.passed for v in verdicts)
    suite = ElementTree.Element(
        "testsuite",
        name=name,
        tests=str(len(verdicts)),
        failures=str(failures),
        errors="0" if summary.get("status") != "ERROR" else "1",
        time=f"{summary.get('seconds', 0):.1f}",
    )
    for verdict in verdicts:
        case = ElementTree.SubElement(
            suite, "testcase", classname=name, name=f"threshold {verdict.metric}"
        )
        if not verdict.passed:
            ElementTree.SubElement(case, "failure", message=verdict.message())
        else:
            ElementTree.SubElement(case, "system-out").text = verdict.message()
    root = ElementTree.Element("testsuites")
    root.append(suite)
    ElementTree.indent(root)
    ElementTree.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def _chart(
    path: Path,
    summary: Mapping[str, Any],
    measured: Mapping[str, Series],
    verdicts: list[Verdict],
) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    from matplotlib import pyplot

    shown = [(m, p) for m, p in sorted(measured.items()) if p]
    figure, axes = pyplot.subplots(
        max(len(shown), 1), 1, figsize=(8.27, 11.69), squeeze=False, constrained_layout=True
    )
    lines = [
        f"{summary.get('test')} on stack {summary.get('stack')}: {summary.get('verdict')}",
        *(("PASS " if v.passed else "FAIL ") + v.message() for v in verdicts),
    ]
    figure.suptitle("\n".join(lines), fontsize=9, x=0.02, ha="left")
    for axis, (metric, points) in zip(axes[:, 0], shown, strict=False):
        axis.plot([s for s, _ in points], [v for _, v in points])
        axis.set_title(metric, fontsize=9)
        axis.set_xlabel("seconds")
        axis.grid(True, alpha=0.3)
    if not shown:
        axes[0, 0].text(0.5, 0.5, "no statistics collected", ha="center")
        axes[0, 0].set_axis_off()
    figure.savefig(path, dpi=80)
    pyplot.close(figure)
