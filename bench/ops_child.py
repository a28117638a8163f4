"""The ops side of part 5 (bench/scale.py), in the ops virtualenv:

    .venv-ops/bin/python -m bench.ops_child <report.json> <ops argv...>
    .venv-ops/bin/python -m bench.ops_child --serve <folder> <token> <agents.json>

The first form is one day-two command in its own interpreter. The second serves the tests' fake
CyPerf controller (tests/ops/fake_controller.py) listing the agents of `agents.json`, prints
`{"url": ..., "cert": ...}` on one line and serves until its stdin closes.

Runs `python -m ops <argv>` in this process (ops.cli.main, stdout to `<report>.out`) and writes
to `report.json` the exit code and the time of every progress line, measured here with
perf_counter (the lines themselves only carry tenths of a second). The parent takes the peak
RSS of this whole process from os.wait4, so it is the command's own plus this module's few
lines. Imports only the standard library and `ops`, so it runs in the ops virtualenv.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any


def main(report: Path, argv: list[str]) -> int:
    from ops import cli

    lines: list[tuple[float, str]] = []
    say = cli.Progress.__call__

    def recorded(self: Any, message: str, force: bool = False) -> None:
        lines.append((time.perf_counter(), message))
        say(self, message, force)

    cli.Progress.__call__ = recorded  # type: ignore[method-assign]
    started = time.perf_counter()
    with report.with_suffix(".out").open("w") as stdout:
        code = cli.main(argv, stdout=stdout)
    report.write_text(
        json.dumps(
            {
                "exit": code,
                "seconds": time.perf_counter() - started,
                "progress": [[at - started, message] for at, message in lines],
            }
        )
    )
    return 0


def serve(folder: Path, token: str, agents: Path) -> int:
    from tests.ops.fake_controller import FakeController, serve

    fake = FakeController(offline_token=token, agents=json.loads(agents.read_text()))
    with serve(folder, fake):
        print(json.dumps({"url": fake.url, "cert": str(fake.cert_file)}), flush=True)
        sys.stdin.read()
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "--serve":
        raise SystemExit(serve(Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4])))
    raise SystemExit(main(Path(sys.argv[1]), sys.argv[2:]))
