"""Session endpoints for the fake controller (tests/ops/fake_controller.py), enough for `run`.

Every request body is checked against the `cyperf` client's models the way the client would
build it: a key that is no field alias of the model, or a value the model's validators refuse,
answers 422 and is recorded in `refused` (tests assert it stays empty). Answers are in the
models' shapes (tests/ops/test_fake_sessions.py parses each with the client).

Endpoints (paths of the 26.1.2 client, config node URLs as snappi-cyperf uses them):
  GET  /api/v2/configs?searchCol=displayName&searchVal=   POST /api/v2/configs/operations/import
  POST /api/v2/sessions                       GET /api/v2/sessions/{id}/config?include=all
  PATCH /api/v2/sessions/{id}/config/config/<node path>   DELETE /api/v2/sessions/{id}
  POST /api/v2/sessions/{id}/test-run/operations/start|stop   GET /api/v2/sessions/{id}/test
  GET  /api/v2/results/{rid}/stats[/{name}]   POST /api/v2/results/{rid}/operations/generate-all
Async operations answer IN_PROGRESS, then SUCCESS with a resultUrl on the first poll.
It is not a controller: the config tree is a small made-up one with the client's field names.
"""

from __future__ import annotations

import copy
import json
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

BUNDLE = b"PK\x05\x06" + b"\x00" * 18  # an empty zip archive

NODE_MODELS = {
    "IPNetworkSegment": "ip_network.IPNetwork",
    "DUTNetworkSegment": "dut_network.DUTNetwork",
    "IPRanges": "ip_range.IPRange",
    "HTTPHealthCheck": "health_check_config.HealthCheckConfig",
    "Params": "params.Params",
    "Timeline": "timeline_segment_union.TimelineSegmentUnion",
}


def model(dotted: str) -> Any:
    import importlib

    module, name = dotted.rsplit(".", 1)
    return getattr(importlib.import_module(f"cyperf.models.{module}"), name)


def check_partial(cls: Any, body: Any) -> None:
    """Raise ValueError unless every key of `body` is a field alias of `cls` whose value the
    model accepts (its validators, nested models with no key dropped)."""
    if not isinstance(body, dict):
        raise ValueError(f"{cls.__name__}: a JSON object (got {type(body).__name__})")
    aliases = {(f.alias or n): n for n, f in cls.model_fields.items()}
    holder = cls.model_construct()
    for key, value in body.items():
        if key not in aliases:
            raise ValueError(f"{cls.__name__}: unknown field {key!r}")
        cls.__pydantic_validator__.validate_assignment(holder, aliases[key], value)
        checked = getattr(holder, aliases[key])
        items = checked if isinstance(checked, list) else [checked]
        originals = value if isinstance(value, list) else [value]
        for item, original in zip(items, originals, strict=True):
            if hasattr(item, "to_dict") and item.to_dict() != original:
                raise ValueError(f"{cls.__name__}.{key}: keys the client does not know")


def config_tree() -> dict[str, Any]:
    def ip_segment(index: int) -> dict[str, Any]:
        return {
            "id": str(index),
            "Name": f"IP Network {index}",
            "active": True,
            "agentAssignments": {"ByTag": [], "ByID": []},
            "IPRanges": [{"id": "1", "IpAuto": False, "IpRangeName": f"IP Range {index}"}],
        }

    return {
        "id": "config-1",
        "name": "HTTP throughput",
        "configTypeName": "appsec",
        "Config": {
            "NetworkProfiles": [
                {
                    "id": "1",
                    "IPNetworkSegment": [ip_segment(1), ip_segment(2)],
                    "DUTNetworkSegment": [
                        {
                            "id": "1",
                            "Name": "DUT Network 1",
                            "active": False,
                            "HTTPHealthCheck": {
                                "Enabled": False,
                                "Port": 80,
                                "Params": [{"id": "1", "Name": "Target URL", "Value": "/"}],
                            },
                        }
                    ],
                }
            ],
            "TrafficProfiles": [
                {
                    "id": "1",
                    "Name": "Application Profile",
                    "ObjectivesAndTimeline": {
                        "PrimaryObjective": {
                            "id": "1",
                            "Type": "Simulated users",
                            "Unit": "",
                            "MaxPendingSimulatedUsers": "0",
                            "Timeline": [
                                {
                                    "id": "1",
                                    "SegmentType": "SteadySegment",
                                    "Duration": 600,
                                    "ObjectiveUnit": "",
                                    "ObjectiveValue": 100,
                                    "Enabled": True,
                                    "NumberOfSteps": 1,
                                }
                            ],
                        }
                    },
                }
            ],
        },
    }


@dataclass
class FakeSessions:
    configs: dict[str, str] = field(default_factory=lambda: {"HTTP throughput": "appsec-1"})
    # statistic name -> (columns, rows of the first row over time, one per second)
    stats: dict[str, tuple[list[str], list[list[float]]]] = field(default_factory=dict)
    duration: int = 30
    step: int = 10  # test seconds per poll of the test state
    end_status: str = "STOPPED"
    details: str = ""
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    patches: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    operations: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    uploads: list[bytes] = field(default_factory=list)
    created: list[dict[str, Any]] = field(default_factory=list)
    # The FakeController these endpoints extend: only its access tokens are accepted.
    controller: Any = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, handler: Any, method: str, raw_path: str) -> bool:
        parts = urlsplit(raw_path)
        path, query = parts.path, parse_qs(parts.query)
        if not path.startswith(("/api/v2/sessions", "/api/v2/configs", "/api/v2/results")):
            return False
        token = handler.headers.get("Authorization", "").removeprefix("Bearer ")
        if self.controller is None or token not in self.controller._access_tokens:
            handler.reply_json(401, {"error": "not authenticated"})
            return True
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        with self._lock:
            try:
                status, answer = self.answer(method, path, query, raw, handler.headers)
            except ValueError as err:
                self.refused.append(f"{method} {path}: {err}")
                status, answer = 422, {"error": str(err)}
        if isinstance(answer, bytes):
            handler.send_response(status)
            handler.send_header("Content-Type", "application/zip")
            handler.send_header("Content-Disposition", 'attachment; filename="results.zip"')
            handler.send_header("Content-Length", str(len(answer)))
            handler.end_headers()
            handler.wfile.write(answer)
        elif answer is None:
            handler.send_response(status)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
        else:
            handler.reply_json(status, answer)
        return True

    def _json(self, raw: bytes) -> Any:
        try:
            return json.loads(raw or b"null")
        except ValueError:
            raise ValueError("body is not JSON") from None

    def _operation(self, path: str, kind: str) -> dict[str, Any]:
        self.operations.append(kind)
        number = len(self.operations)
        return {"id": number, "state": "IN_PROGRESS", "type": kind, "url": f"{path}/{number}"}

    def answer(self, method: str, path: str, query: Any, raw: bytes, headers: Any) -> Any:
        parts = path.strip("/").split("/")[2:]  # after api/v2
        if method == "GET" and "operations" in parts and parts[-1] != "operations":
            return 200, self._result(parts[-3]) if parts[-1] == "result" else self._done(path)
        if parts == ["configs"] and method == "GET":
            name = query.get("searchVal", [""])[0]
            found = [
                {"id": url, "displayName": n, "configUrl": url}
                for n, url in self.configs.items()
                if n == name
            ]
            return 200, {"data": found, "totalCount": len(found)}
        if len(parts) == 2 and parts[0] == "configs" and method == "DELETE":
            self.deleted.append(f"config {parts[1]}")
            return 204, None
        if parts == ["configs", "operations", "import"] and method == "POST":
            if headers.get("Content-Type") != "application/x-zip":
                raise ValueError("import wants Content-Type application/x-zip")
            self.uploads.append(raw)
            return 202, self._operation(path, "import")
        if parts == ["sessions"] and method == "POST":
            from cyperf.models.session import Session

            body = self._json(raw)
            if not isinstance(body, list) or len(body) != 1:
                raise ValueError("create_sessions sends a list of one Session")
            check_partial(Session, body[0])
            session_id = f"session-{len(self.sessions) + 1}"
            self.created.append(body[0])
            self.sessions[session_id] = {
                "config": config_tree(),
                "test": {"status": "STOPPED", "testElapsed": 0, "testDuration": 0},
            }
            return 201, [{"id": session_id, "configUrl": body[0].get("configUrl")}]
        if len(parts) >= 2 and parts[0] == "sessions":
            return self._session(method, path, parts[1], parts[2:], raw)
        if len(parts) >= 2 and parts[0] == "results":
            return self._results(method, path, parts[1], parts[2:], raw)
        raise ValueError("no such endpoint")

    def _session(self, method: str, path: str, sid: str, rest: list[str], raw: bytes) -> Any:
        session = self.sessions.get(sid)
        if session is None:
            return 404, {"error": f"no session {sid}"}
        test = session["test"]
        if rest == [] and method == "DELETE":
            self.deleted.append(sid)
            del self.sessions[sid]
            return 204, None
        if rest == ["config"] and method == "GET":
            return 200, session["config"]
        if rest[:2] == ["config", "config"] and method == "PATCH":
            body = self._json(raw)
            node, kind = self._node(session["config"]["Config"], rest[2:])
            check_partial(model(NODE_MODELS[kind]), body)
            node.update(copy.deepcopy(body))
            self.patches.append(("/".join(rest[2:]), body))
            return 204, None
        if rest == ["test"] and method == "GET":
            if test["status"] == "STARTED":
                test["testElapsed"] = min(test["testElapsed"] + self.step, test["testDuration"])
                if test["testElapsed"] >= test["testDuration"]:
                    test["status"] = self.end_status
                    test["testDetails"] = self.details
            return 200, test
        if rest[:2] == ["test-run", "operations"] and method == "POST":
            if len(rest) == 3 and self._json(raw) not in ({}, None):
                raise ValueError(f"{rest[2]} takes no body")
            if rest[2:] == ["start"]:
                test.update(status="STARTED", testElapsed=0, testDuration=self.duration)
                test["testId"] = f"result-{sid}"
            elif rest[2:] == ["stop"]:
                test["status"] = "STOPPED"
            else:
                raise ValueError(f"no operation {rest[2:]}")
            return 202, self._operation(path, rest[2])
        raise ValueError("no such session endpoint")

    def _done(self, path: str) -> dict[str, Any]:
        number = int(path.rsplit("/", 1)[1])
        return {"id": number, "state": "SUCCESS", "progress": 100, "resultUrl": f"{path}/result"}

    def _result(self, kind: str) -> Any:
        if kind == "import":
            return [{"id": "imported-1", "configUrl": "appsec-imported-1"}]
        return BUNDLE if kind == "generate-all" else {}

    def _node(self, tree: dict[str, Any], rest: list[str]) -> tuple[dict[str, Any], str]:
        node: Any = tree
        kind = ""
        index = 0
        while index < len(rest):
            key = rest[index]
            value = node.get(key)
            if isinstance(value, list):
                if index + 1 >= len(rest):
                    raise ValueError(f"{key}: a list item id is missing")
                item = next((i for i in value if str(i.get("id")) == rest[index + 1]), None)
                if item is None:
                    raise ValueError(f"{key}/{rest[index + 1]}: no such item")
                node, kind, index = item, key, index + 2
            elif isinstance(value, dict):
                node, kind, index = value, key, index + 1
            else:
                raise ValueError(f"{key}: no such node")
        if kind not in NODE_MODELS:
            raise ValueError(f"{'/'.join(rest)}: not a node `run` may patch")
        return node, kind

    def _results(self, method: str, path: str, rid: str, rest: list[str], raw: bytes) -> Any:
        if rest == ["stats"] and method == "GET":
            return 200, [{"name": name} for name in sorted(self.stats)]
        if len(rest) == 2 and rest[0] == "stats" and method == "GET":
            columns, rows = self.stats[rest[1]]
            snapshots = [
                {"timestamp": 1_000_000 + 1000 * i, "values": [row]} for i, row in enumerate(rows)
            ]
            return 200, {"name": rest[1], "columns": columns, "snapshots": snapshots}
        if rest == ["operations", "generate-all"] and method == "POST":
            from cyperf.models.generate_all_operation import GenerateAllOperation

            check_partial(GenerateAllOperation, self._json(raw))
            return 202, self._operation(path, "generate-all")
        raise ValueError("no such results endpoint")
