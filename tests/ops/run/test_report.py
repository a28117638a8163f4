"""Thresholds judged on the statistics, and the files: CSV, JSON, JUnit (one case per
threshold), and the one-page report drawn with matplotlib."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from xml.etree import ElementTree

import pytest

from ops.run.definition import parse
from ops.run.report import Verdict, judge, metrics, reduce, series, write_all
from tests.ops.run.conftest import STATS, definition


def stats_results() -> dict[str, object]:
    from cyperf.models.stats_result import StatsResult

    return {
        name: StatsResult.from_dict(
            {
                "name": name,
                "columns": columns,
                "snapshots": [
                    {"timestamp": 5000 + 1000 * i, "values": [row]} for i, row in enumerate(rows)
                ],
            }
        )
        for name, (columns, rows) in STATS.items()
    }


def test_series_reads_the_column_over_relative_time() -> None:
    stats = stats_results()
    assert series(stats, "client-throughput", "Throughput") == [(0, 8e8), (1, 1e9), (2, 1.2e9)]
    assert series(stats, "client-throughput", "Other") == []
    assert series(stats, "missing", "Throughput") == []


@pytest.mark.parametrize(
    ("how", "value"), [("mean", 2.0), ("max", 3.0), ("min", 1.0), ("last", 3.0)]
)
def test_reduce(how: str, value: float) -> None:
    assert reduce([(0, 1.0), (1, 2.0), (2, 3.0)], how) == value
    assert reduce([], how) is None


def test_judge_each_threshold() -> None:
    test = parse(
        definition(
            thresholds={
                "throughput": {"min": 1.1e9},
                "connectionRate": {"min": 900, "max": 1100},
                "failedConnections": {"max": 0},
            }
        ),
        "t",
    )
    verdicts = {v.metric: v for v in judge(test, metrics(test, stats_results()))}
    assert (verdicts["throughput"].value, verdicts["throughput"].passed) == (1e9, False)
    assert verdicts["connectionRate"].passed and verdicts["connectionRate"].value == 1000
    assert (verdicts["failedConnections"].value, verdicts["failedConnections"].passed) == (2, False)
    assert verdicts["throughput"].message() == "throughput = 1e+09 (wanted >= 1.1e+09)"
    missing = Verdict("throughput", None, 1.0, None)
    assert not missing.passed and "statistic missing" in missing.message()


def test_write_all_holds_the_numbers(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="reinstall .venv-ops: requirements-ops.txt pins it")
    test = parse(definition(thresholds={"failedTransactions": {"max": 0}}), "t")
    measured = metrics(test, stats_results())
    verdicts = judge(test, measured)
    summary = {
        "stack": "s",
        "test": "t.yaml",
        "verdict": "PASS",
        "seconds": 3.0,
        "status": "STOPPED",
    }
    write_all(tmp_path, summary, measured, verdicts)
    rows = list(csv.reader((tmp_path / "statistics.csv").open()))
    assert rows[0] == ["metric", "seconds", "value"] and ["throughput", "2", "1.2e+09"] in rows
    document = json.loads((tmp_path / "statistics.json").read_text())
    assert document["thresholds"] == [
        {"metric": "failedTransactions", "value": 0.0, "min": None, "max": 0.0, "passed": True}
    ]
    suite = ElementTree.parse(tmp_path / "junit.xml").getroot()[0]
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("1", "0", "0")
    assert suite[0].get("name") == "threshold failedTransactions"
    assert (tmp_path / "report.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "report.png").stat().st_size > 10_000  # four charts, not an empty page
