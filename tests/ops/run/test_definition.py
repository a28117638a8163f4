"""Test definitions: every refusal names its key, the bad value and what is allowed; nothing is
contacted before the file is valid (parse and the stack check are pure)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ops.errors import UsageError
from ops.run.definition import DEFAULT_STATISTICS, check_against_stack, load, parse
from tests.ops.run.conftest import SERVICE, definition

ROLES = {"client": "client", "server": "server"}


def refusal(document: Any) -> str:
    with pytest.raises(UsageError) as caught:
        parse(document, "t.yaml")
    return str(caught.value)


def with_destination(**fields: Any) -> dict[str, Any]:
    document = definition("service")
    document["segments"][0]["destination"].update(fields)
    return document


REFUSED: list[tuple[Any, str]] = [
    ([1], "a mapping of keys (got list)"),
    ({**definition(), "config": {}}, "config: give exactly one of `file`"),
    ({**definition(), "config": {"file": "a.zip", "name": "x"}}, "config: give exactly one"),
    ({**definition(), "segments": []}, "segments: List should have at least 1 item"),
    ({**definition(), "extra": 1}, "extra: Extra inputs are not permitted (got 1)"),
    (with_destination(mode="ingress"), "segments[0].destination.mode: Input should be 'pod-ip'"),
    (with_destination(nodeAddress="10.0.0.1"), "only used with mode 'node-port'"),
    (with_destination(mode="node-port", nodeAddress="node-1"), "does not appear to be an IPv"),
    ({**definition(), "objectives": {"duration": 5}}, "objectives.duration: Input should be"),
    (
        {**definition(), "objectives": {"rate": 0}},
        "objectives.rate: Input should be greater than 0",
    ),
    ({**definition(), "thresholds": {"latency": {"max": 1}}}, "thresholds.latency.[key]: Input"),
    ({**definition(), "thresholds": {"throughput": {}}}, "give `min`, `max` or both"),
    ({**definition(), "thresholds": {"throughput": {"min": 2, "max": 1}}}, "`min` (2.0) is above"),
    (
        {
            **definition(),
            "statistics": {"throughput": {"stat": "s", "column": "c", "reduce": "p99"}},
        },
        "statistics.throughput.reduce: Input should be 'mean', 'max', 'min' or 'last'",
    ),
    ({**definition(), "timeout": 10}, "timeout: Input should be greater than or equal to 60"),
]


@pytest.mark.parametrize(("document", "message"), REFUSED)
def test_each_refusal_names_the_key(document: Any, message: str) -> None:
    assert message in refusal(document)


def test_duplicate_segment_names_are_refused() -> None:
    document = definition()
    document["segments"][1]["name"] = "IP Network 1"
    assert "segment names must be unique (repeated: IP Network 1)" in refusal(document)


def test_all_problems_are_reported_at_once() -> None:
    message = refusal({**definition(), "timeout": 1, "objectives": {"rate": -1}})
    assert "timeout:" in message and "objectives.rate:" in message


def test_load_reads_yaml_and_refuses_unreadable_files(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("config: {name: HTTP}\nsegments: [{name: IP Network 1, group: client}]\n")
    assert load(good).config.name == "HTTP"
    bad = tmp_path / "bad.yaml"
    bad.write_text("config: [\n")
    with pytest.raises(UsageError, match="not YAML"):
        load(bad)
    with pytest.raises(UsageError, match="cannot read"):
        load(tmp_path / "missing.yaml")
    exported = tmp_path / "exported.yaml"
    exported.write_text("config: {file: http.zip}\nsegments: [{name: S, group: client}]\n")
    with pytest.raises(UsageError, match=r"config.file: an exported config .*http.zip\)"):
        load(exported)
    (tmp_path / "http.zip").write_bytes(b"zip")
    assert load(exported).config.file == "http.zip"


def test_statistics_default_and_can_be_overridden() -> None:
    test = parse(
        {
            **definition(),
            "statistics": {"throughput": {"stat": "s", "column": "c", "reduce": "max"}},
        },
        "t",
    )
    assert (test.statistic("throughput").stat, test.statistic("throughput").reduce) == ("s", "max")
    assert test.statistic("connectionRate").stat == DEFAULT_STATISTICS["connectionRate"][0]


STACK_REFUSED: list[tuple[Any, dict[str, Any], str]] = [
    (
        lambda d: d["segments"][0].update(group="edge"),
        {},
        "segments[0].group: a group of the stack (client, server) (got 'edge')",
    ),
    (
        lambda d: d["segments"][0].pop("destination"),
        {},
        "segments[0].destination: required for client group",
    ),
    (
        lambda d: d["segments"][1].update(destination={"dutSegment": "D", "server": "server"}),
        {},
        "segments[1].destination: only for client groups",
    ),
    (
        lambda d: d["segments"][0]["destination"].update(server="client"),
        {},
        "destination.server: a server group of the stack (server) (got 'client')",
    ),
    (
        lambda d: d["segments"][0]["destination"].update(mode="load-balancer"),
        {"type": "ClusterIP"},
        "destination.mode: one of pod-ip, service for group 'server' (Service type ClusterIP) "
        "(got 'load-balancer')",
    ),
    (
        lambda d: d["segments"][0]["destination"].update(port="grpc"),
        {},
        "destination.port: a port name of the Service (http, https) (got 'grpc')",
    ),
]


@pytest.mark.parametrize(("change", "service", "message"), STACK_REFUSED)
def test_refusals_against_the_stack(change: Any, service: dict[str, Any], message: str) -> None:
    document = definition("service")
    change(document)
    test = parse(document, "t.yaml")
    with pytest.raises(UsageError) as caught:
        check_against_stack(test, "t.yaml", ROLES, {"server": {**SERVICE, **service}})
    assert message in str(caught.value)


def test_a_server_group_without_a_service_allows_pod_ips_only() -> None:
    test = parse(definition(None), "t.yaml")
    assert check_against_stack(test, "t.yaml", ROLES, {}) == {"IP Network 1": "pod-ip"}
    with pytest.raises(UsageError, match="one of pod-ip for group 'server'"):
        check_against_stack(parse(definition("service"), "t"), "t", ROLES, {})


def test_the_example_definitions_are_valid() -> None:
    examples = sorted((Path(__file__).resolve().parents[3] / "test-definitions").glob("*.yaml"))
    assert examples
    for example in examples:
        test = load(example)
        modes = check_against_stack(test, str(example), ROLES, {"server": SERVICE})
        assert modes == {"IP Network 1": "service"}
