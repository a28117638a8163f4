"""The documentation reads as a reader needs it: a short README that starts with the commands,
intact tables without overlong rows, and relative links (with their anchors) that resolve."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
# Generated from the settings models by `make docs` (components/settings/reference.py).
REFERENCE = ROOT / "docs" / "configuration.md"
# The documentation pages: the README, the topic pages, and the rig's and benchmarks' own pages.
# (bench/results.md is benchmark output; policy/README.md belongs to the policy pack.)
PAGES = sorted(
    [
        README,
        *(ROOT / "docs").glob("*.md"),
        *(ROOT / part / "README.md" for part in ("rig", "bench")),
    ]
)
MAX_README_LINES = 250
MAX_TABLE_ROW = 200
FIRST_SCREEN = 40
DAY_TWO_BY_LINE = 60

FENCE = re.compile(r"^\s*(```|~~~)")
TABLE_ROW = re.compile(r"^\s*\|")
DELIMITER_ROW = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
INLINE_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$")
HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
HTML_ID = re.compile(r"<a\s+(?:id|name)=\"([^\"]+)\"")
SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)
MAKE_TARGET = re.compile(r"^([A-Za-z0-9][\w-]*)\s*:(?!=)", re.MULTILINE)
MAKE_COMMAND = re.compile(r"\bmake ([\w-]+)")


@dataclass(frozen=True)
class Line:
    page: Path
    number: int
    text: str

    def __str__(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.number}"


def prose_lines(page: Path) -> list[Line]:
    """The page's lines outside fenced code blocks (numbered as in the file)."""
    lines, fenced = [], False
    for number, text in enumerate(page.read_text().splitlines(), start=1):
        if FENCE.match(text):
            fenced = not fenced
        elif not fenced:
            lines.append(Line(page, number, text))
    return lines


def tables(page: Path) -> list[list[Line]]:
    """Runs of consecutive table rows; a blank line ends a run."""
    runs: list[list[Line]] = []
    previous = -1
    for line in prose_lines(page):
        if not TABLE_ROW.match(line.text):
            continue
        if line.number == previous + 1:
            runs[-1].append(line)
        else:
            runs.append([line])
        previous = line.number
    return runs


def cells(row: str) -> int:
    """Cells of a row as GitHub renders them: unescaped pipes split, even inside code spans."""
    inner = row.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
    return len(UNESCAPED_PIPE.split(inner))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: link targets kept, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    return re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    for line in prose_lines(page):
        found.update(HTML_ID.findall(line.text))
        heading = HEADING.match(line.text)
        if heading:
            base = slug(heading.group(1))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(page: Path) -> list[tuple[Line, str]]:
    """Every link target of the page: inline links, images and reference definitions."""
    found = []
    for line in prose_lines(page):
        text = CODE_SPAN.sub(lambda span: " " * len(span.group(0)), line.text)
        targets = INLINE_LINK.findall(text)
        definition = REFERENCE_DEFINITION.match(text)
        if definition:
            targets.append(definition.group(1))
        found += [(line, target) for target in targets]
    return found


def destination(page: Path, target: str) -> Path | None:
    """The file a relative link points to (None for a link with a scheme, such as https:)."""
    if SCHEME.match(target):
        return None
    path = target.partition("#")[0]
    return (page.parent / path).resolve() if path else page


def broken_link(page: Path, target: str) -> str | None:
    """Why a relative link does not resolve, or None."""
    anchor = target.partition("#")[2]
    linked = destination(page, target)
    if linked is None:
        return None
    if not linked.is_relative_to(ROOT):
        return "points outside the repository"
    if not linked.exists():
        return "names no file"
    if anchor and linked.suffix == ".md" and anchor not in anchors(linked):
        return f"names no heading or anchor of {linked.relative_to(ROOT)}"
    return None


def test_the_readme_is_short() -> None:
    lines = README.read_text().splitlines()
    assert len(lines) <= MAX_README_LINES, (
        f"README.md has {len(lines)} lines; at most {MAX_README_LINES}: move detail to docs/"
    )


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_table_is_intact(page: Path) -> None:
    """A table starts with a header and a delimiter row (a blank line inside a table turns the
    rows after it into raw pipes), and every row has the header's number of cells."""
    problems = []
    for run in tables(page):
        if len(run) < 2 or not DELIMITER_ROW.match(run[1].text):
            problems.append(f"{run[0]}: table rows without a header and delimiter row")
            continue
        width = cells(run[0].text)
        problems += [
            f"{row}: {cells(row.text)} cells, the header has {width}"
            for row in run[1:]
            if cells(row.text) != width
        ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_no_table_row_is_overlong(page: Path) -> None:
    overlong = [
        f"{row}: {len(row.text)} characters"
        for run in tables(page)
        for row in run
        if len(row.text) > MAX_TABLE_ROW
    ]
    assert not overlong, (
        f"table rows over {MAX_TABLE_ROW} characters (move the explanation to prose):\n"
        + "\n".join(overlong)
    )


def test_the_readme_starts_with_the_two_commands_then_day_two() -> None:
    """`make demo` and `make check` come before any other make command, on the first screen;
    every day-two command (verify, logs, status, doctor, prune, run) soon after."""
    makefiles = (ROOT / "Makefile", ROOT / "rig" / "rig.mk")
    targets = {name for path in makefiles for name in MAKE_TARGET.findall(path.read_text())}
    first: dict[str, int] = {}
    for number, text in enumerate(README.read_text().splitlines(), start=1):
        for name in MAKE_COMMAND.findall(text):
            if name in targets:
                first.setdefault(name, number)
    day_two = ("verify", "logs", "status", "doctor", "prune", "run")
    assert {"demo", "check", *day_two} <= first.keys(), f"make commands found: {first}"
    two = max(first["demo"], first["check"])
    assert two <= FIRST_SCREEN, f"`make demo`/`make check` by line {two}, not {FIRST_SCREEN}"
    earlier = {name: line for name, line in first.items() if name not in ("demo", "check")}
    assert all(line >= two for line in earlier.values()), (
        f"make commands before `make demo` and `make check`: {earlier}"
    )
    for name in day_two:
        assert first[name] <= DAY_TWO_BY_LINE, f"`make {name}` first on line {first[name]}"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_relative_link_resolves(page: Path) -> None:
    """Files and anchors; links to the generated reference are the next test's."""
    broken = [
        f"{line}: {target} {reason}"
        for line, target in links(page)
        if destination(page, target) != REFERENCE and (reason := broken_link(page, target))
    ]
    assert not broken, "\n".join(broken)


def test_links_to_the_generated_reference_resolve() -> None:
    """docs/configuration.md is generated (`make docs`) and committed; every link to it, and to
    its anchors, must resolve."""
    broken = [
        f"{line}: {target} {reason}"
        for page in PAGES
        for line, target in links(page)
        if destination(page, target) == REFERENCE and (reason := broken_link(page, target))
    ]
    assert not broken, "\n".join(broken)


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("Seccomp: `RuntimeDefault` by default", "seccomp-runtimedefault-by-default"),
        ("`pulumi up` never hangs", "pulumi-up-never-hangs"),
        (
            "The guide's three scenarios, and what the stack does",
            "the-guides-three-scenarios-and-what-the-stack-does",
        ),
        ("Settings that restart a group's agents", "settings-that-restart-a-groups-agents"),
        ("See [EKS](eks.md) first", "see-eks-first"),
    ],
)
def test_anchors_follow_github(heading: str, anchor: str) -> None:
    assert slug(heading) == anchor


def test_a_blank_line_inside_a_table_is_found(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("| a | b |\n|---|---|\n| 1 | 2 |\n\n| 3 | 4 |\n")
    first, second = tables(page)
    assert DELIMITER_ROW.match(first[1].text)
    assert not DELIMITER_ROW.match(second[0].text)
    assert cells("| `a|b` | c |") == 3
