"""`make` without a target is the Makefile's table of contents: it lists every documented target
and builds nothing (a bare `make` once started the rig's long Go build)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAKEFILES = (ROOT / "Makefile", ROOT / "rig" / "rig.mk")
DOCUMENTED = re.compile(r"^## ([a-z0-9-]+): ", re.MULTILINE)
DEFINED = re.compile(r"^([a-z0-9][\w-]*)\s*:(?!=)", re.MULTILINE)


def make(*args: str) -> str:
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_make_alone_only_prints_the_targets() -> None:
    recipe = make("--dry-run").strip()
    assert recipe.startswith("awk ") and recipe.endswith(" Makefile"), recipe


def test_make_alone_lists_every_documented_target() -> None:
    documented = DOCUMENTED.findall((ROOT / "Makefile").read_text())
    defined = {name for path in MAKEFILES for name in DEFINED.findall(path.read_text())}
    assert set(documented) <= defined, f"documented but not defined: {set(documented) - defined}"
    assert {"demo", "check", "up", "verify", "logs", "docs", "help"} <= set(documented)
    listing = make("--silent")
    listed = re.findall(r"^make (\S+) ", listing, re.MULTILINE)
    assert listed == documented, listing


def test_make_up_ends_with_the_registration_watch() -> None:
    # `-n` prints the recipe without running pulumi; `-B` so no virtualenv stamp short-cuts it
    recipe = make("-n", "-B", "up", "STACK=lab", "VENV=.no-venv", "OPS_VENV=.no-ops-venv")
    watch = recipe.splitlines()[-3:]
    assert "pulumi up --stack lab" in recipe
    assert watch[0].startswith('test "300" = 0 || .no-ops-venv/bin/python -m ops status')
    assert "--stack lab --wait 300" in watch[0]
    assert "make doctor STACK=lab" in "".join(watch)
    skipped = make("-n", "-B", "up", "STACK=lab", "UP_WAIT=0", "VENV=.v", "OPS_VENV=.o")
    assert 'test "0" = 0 ||' in skipped
