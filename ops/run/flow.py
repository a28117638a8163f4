"""One run on the controller, once the stack and the agents are known good: session, wiring,
start, progress, results, verdict. Ctrl-C stops the test (graceful stop) and still cleans up."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from ops.errors import (
    EXIT_CHECK_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TEST_ERROR,
    CannotRunError,
)
from ops.run.session import RunFailed, Session, api_client, follow

POLL_SECONDS = 5.0


def execute(
    args: argparse.Namespace,
    test: Any,
    stack: Any,
    controller: Any,
    modes: dict[str, str],
    node_address: str | None,
    stdout: TextIO,
    progress: Callable[..., None],
    on_end: Callable[[], None],
) -> int:
    """Runs the test; `on_end()` is called once a started test ended (interrupted too)."""
    from ops.run import report, wiring

    session = Session(api_client(controller), controller.url)
    source = test.config
    file = (args.test.parent / source.file) if source.file else None
    try:
        config_url = session.config_url(file, source.name)
        session.create(config_url)
    except RunFailed as err:
        raise CannotRunError(f"session not created: {err.cause}", fix=err.fix) from None
    progress(f"session {session.id} from {config_url}", force=True)
    started = time.monotonic()
    interrupted = started_test = False
    info: Any = None
    try:
        plan = wiring.plan(
            test, modes, stack.name, stack.outputs_redacted, session.config(), node_address
        )
        for patch in plan.patches:
            progress(f"setting {patch.what}")
            session.patch(patch.path, patch.body)
        for note in plan.notes:
            progress(note, force=True)
        started_test = True
        session.start()
        progress("test started", force=True)
        try:
            info = follow(session, test.timeout, _reporter(progress, session, test), POLL_SECONDS)
        except KeyboardInterrupt:
            interrupted = True
            progress("interrupted: stopping the test", force=True)
            session.stop()
            info = follow(session, 120, _reporter(progress, session, test), POLL_SECONDS)
        folder = _folder(args.output_dir, stack.name, session.id)
        measured: dict[str, Any] = {}
        if info is not None and info.test_id:
            names = sorted({test.statistic(m).stat for m in report.metrics(test, {})})
            stats = session.stats(info.test_id, names)
            measured = report.metrics(test, stats)
            session.bundle(info.test_id, folder)
        verdicts = report.judge(test, measured)
        status = info.status if info is not None else None
        passed = status == "STOPPED" and all(v.passed for v in verdicts)
        summary = {
            "stack": stack.name,
            "test": str(args.test),
            "session": session.id,
            "resultId": info.test_id if info is not None else None,
            "status": status,
            "details": info.test_details if info is not None else None,
            "interrupted": interrupted,
            "seconds": round(time.monotonic() - started, 1),
            "verdict": "PASS" if passed else ("ERROR" if status == "ERROR" else "FAIL"),
            "targets": {
                s: {"mode": t.mode, "host": t.host, "port": t.port, "server": t.server}
                for s, t in sorted(plan.targets.items())
            },
        }
        report.write_all(folder, summary, measured, verdicts)
        for verdict in verdicts:
            progress(("PASS " if verdict.passed else "FAIL ") + verdict.message(), force=True)
        print(
            json.dumps({**summary, "folder": str(folder)}) if args.json else str(folder),
            file=stdout,
        )
    except KeyboardInterrupt:
        # before the test ran, or while its results were collected: nothing to report
        if started_test and not interrupted:
            progress("interrupted: stopping the test", force=True)
            session.stop()
        raise
    finally:
        if started_test:
            on_end()
        if not args.keep_session:
            session.delete()
            progress(f"session {session.id} deleted")
    if interrupted:
        return EXIT_INTERRUPTED
    if status == "ERROR":
        return EXIT_TEST_ERROR
    return EXIT_OK if passed else EXIT_CHECK_FAILED


def _folder(base: Path, stack: str, session_id: str) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    return base / f"{stack}-{stamp}-{session_id}"


HEADLINE = ("throughput", "connectionRate")


def _reporter(progress: Callable[..., None], session: Session, test: Any) -> Callable[[Any], None]:
    def show(info: Any) -> None:
        if info is None:
            return
        elapsed, duration = info.test_elapsed or 0, info.test_duration or 0
        remaining = max(duration - elapsed, 0)
        line = f"{info.status}: {elapsed}s elapsed, {remaining}s remaining"
        if info.status == "STARTED" and info.test_id:
            line += _headline(session, test, info.test_id)
        progress(line, force=True)

    return show


def _headline(session: Session, test: Any, result_id: str) -> str:
    """The latest throughput and connection rate, when the controller has them yet."""
    from ops.run import report

    try:
        stats = session.stats(result_id, [test.statistic(m).stat for m in HEADLINE])
    except RunFailed:
        return ""
    shown = []
    for metric in HEADLINE:
        where = test.statistic(metric)
        points = report.series(stats, where.stat, where.column)
        if points:
            shown.append(f"{metric} {points[-1][1]:g}")
    return f"; {', '.join(shown)}" if shown else ""
