"""A test session on the controller: create it from a config, patch it, start, follow, stop,
collect statistics and the results bundle, delete it.

Requests go through the `cyperf` client's ApiClient (its login, token and TLS handling) but
read plain JSON: the client's dynamic-model layer would follow links with extra GETs we do not
need. Answers are checked with the client's models (`from_dict`), so a shape the client cannot
read is a clear error. Endpoints (26.1.2 client): `SessionsApi.create_sessions`,
`get_session_config`, `get_session_test`, `delete_session`; `TestOperationsApi.start_test_run_start`
and `start_test_run_stop`; `StatisticsApi.get_result_stats` and `get_result_stat_by_id`;
`TestResultsApi.start_result_generate_all`; `ConfigurationsApi.get_configs` and
`start_configs_import`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ops.errors import CannotRunError, UnreachableError

TIMEOUT = 30.0
POLL = 1.0


class RunFailed(CannotRunError):
    """The controller refused or failed an operation of the run (exit code 9: could not run)."""


class Session:
    def __init__(self, api_client: Any, url: str) -> None:
        self._api = api_client
        self.url = url
        self.id = ""
        self.imported: str | None = None  # a config uploaded for this run

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        query: dict[str, Any] | None = None,
        content_type: str = "application/json",
    ) -> tuple[int, Any, dict[str, str]]:
        from cyperf.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = content_type
        _, url, headers, payload, _ = self._api.param_serialize(
            method=method,
            resource_path=path,
            query_params=list((query or {}).items()),
            header_params=headers,
            body=body,
            auth_settings=["OAuth2"],
        )
        try:
            response = self._api.rest_client.request(
                method, url, headers=headers, body=payload, _request_timeout=TIMEOUT
            )
            response.read()
        except (ApiException, HTTPError) as err:
            raise UnreachableError(f"controller {self.url}: {method} {path}: {err}") from None
        if not 200 <= response.status <= 299:
            raise RunFailed(
                f"controller {self.url}: {method} {path} answered {response.status}: "
                f"{(response.data or b'').decode(errors='replace')[:300]}"
            )
        raw = response.data or b""
        type_ = response.getheader("content-type") or ""
        data = json.loads(raw) if raw and "json" in type_ else raw
        return response.status, data, dict(response.getheaders())

    def _operation(
        self,
        path: str,
        body: Any = None,
        bound: float = 600,
        content_type: str = "application/json",
    ) -> Any:
        """POST an async operation and poll it until it ends; its result."""
        from cyperf.models.async_context import AsyncContext

        _, answer, _ = self.call(
            "POST", path, body if body is not None else {}, content_type=content_type
        )
        deadline = time.monotonic() + bound
        while True:
            context = AsyncContext.from_dict(answer)
            if context is None or context.state is None:
                raise RunFailed(f"{path}: not an operation answer")
            if context.state == "ERROR":
                raise RunFailed(f"{path}: {context.message or 'failed'}")
            if context.state != "IN_PROGRESS":
                break
            if time.monotonic() > deadline:
                raise RunFailed(f"{path}: still in progress after {bound:.0f}s")
            time.sleep(POLL)
            _, answer, _ = self.call("GET", _path(context.url or ""))
        if context.result_url:
            _, result, _ = self.call("GET", _path(context.result_url))
            return result
        return context.result

    def config_url(self, file: Path | None, name: str | None) -> str:
        from cyperf.models.config_metadata import ConfigMetadata

        if file is not None:
            result = self._operation(
                "/api/v2/configs/operations/import",
                file.read_bytes(),
                bound=300,
                content_type="application/x-zip",
            )
            items = result if isinstance(result, list) else [result]
            self.imported = str(items[0]["id"])
            return str(items[0]["configUrl"])
        _, answer, _ = self.call(
            "GET", "/api/v2/configs", query={"searchCol": "displayName", "searchVal": name}
        )
        listed = answer.get("data", []) if isinstance(answer, dict) else answer
        configs = [ConfigMetadata.from_dict(c) for c in listed]
        found = [c for c in configs if c is not None and c.display_name == name]
        if not found or not found[0].config_url:
            raise RunFailed(f"config {name!r}: not on the controller")
        return found[0].config_url

    def create(self, config_url: str) -> str:
        from cyperf.models.session import Session as SessionModel

        body = [SessionModel(config_url=config_url).to_dict()]
        _, answer, _ = self.call("POST", "/api/v2/sessions", body)
        created = SessionModel.from_dict(answer[0])
        if created is None or not created.id:
            raise RunFailed("session not created: the answer has no session id")
        self.id = created.id
        return self.id

    def config(self) -> dict[str, Any]:
        from cyperf.models.appsec_config import AppsecConfig

        _, answer, _ = self.call(
            "GET", f"/api/v2/sessions/{self.id}/config", query={"include": "all"}
        )
        AppsecConfig.from_dict(answer)
        return dict(answer)

    def patch(self, path: str, body: dict[str, Any]) -> None:
        self.call("PATCH", f"/api/v2/sessions/{self.id}/config/config/{path}", body)

    def start(self) -> None:
        self._operation(f"/api/v2/sessions/{self.id}/test-run/operations/start")

    def stop(self, bound: float = 120) -> None:
        self._operation(f"/api/v2/sessions/{self.id}/test-run/operations/stop", bound=bound)

    def test(self) -> Any:
        from cyperf.models.test_info import TestInfo

        _, answer, _ = self.call("GET", f"/api/v2/sessions/{self.id}/test")
        return TestInfo.from_dict(answer)

    def stats(self, result_id: str, names: list[str]) -> dict[str, Any]:
        """{stat name: StatsResult} for the named statistics (a missing one is left out)."""
        from cyperf.models.stats_result import StatsResult

        _, listed, _ = self.call("GET", f"/api/v2/results/{result_id}/stats")
        entries = listed.get("data", []) if isinstance(listed, dict) else listed
        available = {e.get("name") for e in entries}
        found = {}
        for name in sorted(set(names) & available):
            _, answer, _ = self.call(
                "GET",
                f"/api/v2/results/{result_id}/stats/{name}",
                query={"useRelativeTime": "true", "from": 0},
            )
            found[name] = StatsResult.from_dict(answer)
        return found

    def bundle(self, result_id: str, folder: Path) -> Path:
        from cyperf.models.generate_all_operation import GenerateAllOperation

        body = GenerateAllOperation(timezone_offset=0).to_dict()
        data = self._operation(f"/api/v2/results/{result_id}/operations/generate-all", body)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / "results-bundle.zip"
        target.write_bytes(data if isinstance(data, bytes) else json.dumps(data).encode())
        return target

    def delete(self) -> None:
        """The session, and the config uploaded for it (`ConfigurationsApi.delete_config`)."""
        if self.id:
            self.call("DELETE", f"/api/v2/sessions/{self.id}")
        if self.imported:
            self.call("DELETE", f"/api/v2/configs/{self.imported}")


def api_client(controller: Any) -> Any:
    """The ApiClient of a logged-in `ops.controller.Controller` (ops/connect.py `connect`): its
    access token and TLS settings."""
    return controller.api_client


def _path(url: str) -> str:
    """The path (and query) of an operation URL, absolute or relative."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def follow(
    session: Session,
    bound: float,
    report: Callable[[Any], None],
    interval: float = 5.0,
) -> Any:
    """Poll the test state until it ends (STOPPED or ERROR) or `bound` seconds pass."""
    deadline = time.monotonic() + bound
    while True:
        info = session.test()
        report(info)
        if info is not None and info.status in ("STOPPED", "ERROR"):
            return info
        if time.monotonic() > deadline:
            raise RunFailed(f"the test did not end within {bound:.0f}s")
        time.sleep(interval)
