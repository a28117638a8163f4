"""Every tracked text file stands on its own: no path into one machine's file system, and no
reference to this project's own issue tracker (which readers of a clone may not have; the text
says what the issue said instead). Upstream issues are cited as owner/repo#N."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The examples below build each refused text from its parts (a number or a directory name in a
# variable), so this file passes its own scan like every other.
N, M = 12, 3293
WORK, ROOT_DIR, TMP, HOME = "work", "root", "tmp", "home"

# Paths into one machine: its work tree and root's home (`/work`, `/root`), a person's home
# (`/home/<user>/`), and a fixed file in `/tmp` (a lock or a note nothing in the repository
# creates; code takes a temporary file from `tempfile`, tests from `tmp_path`). Not matched: the
# bare `/tmp` (a container's mount path), `~/` and `$HOME/` paths, paths inside a URL or after
# another path segment, container and kernel paths such as `/proc/sys/...`, and the made-up
# operators `/home/operator-<letter>/` that tests give as two people's KUBECONFIG paths.
MACHINE_PATH = re.compile(
    r"(?<![\w.~/-])/(?:"
    r"(?:work|root)/"
    r"|home/(?!operator-[a-z]/)[\w.-]+/"
    r"|tmp/[\w.-]"
    r")"
)
# The word "issue" or "issues", then a number, optionally written with '#'.
ISSUE_WORD = re.compile(r"\bissues?\s+#?\d+", re.IGNORECASE)
# '#' and a number that is not part of "owner/repo#<number>" (nor an HTML entity such as an
# apostrophe's, nor a heading anchor that starts with a number).
ISSUE_NUMBER = re.compile(r"(?<!&)#\d+(?![\w-])")
OWNER_REPO_BEFORE = re.compile(r"(?<![\w.-])[\w.-]+/[\w.-]+$")


def tracked_text_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    files = []
    for name in filter(None, listed.split("\0")):
        path = ROOT / name
        # Deleted in the work tree but not yet committed.
        if not path.is_file():
            continue
        data = path.read_bytes()
        if b"\0" in data:
            continue
        try:
            data.decode()
        except UnicodeDecodeError:
            continue
        files.append(path)
    return files


def machine_paths(line: str) -> list[str]:
    return [match.group(0) for match in MACHINE_PATH.finditer(line)]


def own_issue_references(line: str) -> list[str]:
    found = [match.group(0) for match in ISSUE_WORD.finditer(line)]
    found += [
        match.group(0)
        for match in ISSUE_NUMBER.finditer(line)
        if not OWNER_REPO_BEFORE.search(line[: match.start()])
    ]
    return found


def findings(check: Callable[[str], list[str]]) -> list[str]:
    found = []
    for path in tracked_text_files():
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            hits = check(line)
            if hits:
                found.append(f"{path.relative_to(ROOT)}:{number}: {', '.join(hits)}")
    return found


def test_no_path_into_a_machine() -> None:
    found = findings(machine_paths)
    assert not found, (
        "paths into one machine's file system (say what the file holds, or put it in the "
        "repository):\n" + "\n".join(found)
    )


def test_no_reference_to_this_projects_issues() -> None:
    found = findings(own_issue_references)
    assert not found, (
        "references to this project's issues (say what the issue asked for; cite upstream "
        "issues as owner/repo#N):\n" + "\n".join(found)
    )


@pytest.mark.parametrize(
    ("line", "paths"),
    [
        (f"run it under `flock /{TMP}/cyperf-e2e.lock`", [f"/{TMP}/c"]),
        (f"Sources: /{WORK}/wt/notes/conntrack-facts.md", [f"/{WORK}/"]),
        (f'Path("/{ROOT_DIR}/.kube/config")', [f"/{ROOT_DIR}/"]),
        (f"see /{HOME}/alice/notes.md", [f"/{HOME}/alice/"]),
        ('"KUBECONFIG": "/home/operator-a/.kube/lab-config"', []),
        ("mountPath: /tmp", []),
        ("`~/.cache/cyperf-k8s-rig` or $HOME/.cache", []),
        ("https://example.com/home/user/x and https://example.com/tmp/x", []),
        ("a hostPath of `/proc/sys/net/netfilter`", []),
        (f"`<cache>/bin-kubernetes/{WORK}/x`", []),
    ],
)
def test_what_counts_as_a_machine_path(line: str, paths: list[str]) -> None:
    assert machine_paths(line) == paths


@pytest.mark.parametrize(
    ("line", "references"),
    [
        (f"Decisions (issue {N}; facts in README)", [f"issue {N}"]),
        (f"# Issue {N}: the group's planned traffic", [f"Issue {N}"]),
        (f"issues {N} and {N + 1}", [f"issues {N}"]),
        (f"(terraform-aws-eks #{M}, #{N})", [f"#{M}", f"#{N}"]),
        (f"restored by #{M}", [f"#{M}"]),
        (f"(calico#{M}: stuck forever)", [f"#{M}"]),
        ("(kubernetes/kubernetes#137002; projectcalico/calico#9220)", []),
        ("aws/containers-roadmap#2318", []),
        ("[part 1](#1-program-cost)", []),
        ("it&#39;s", []),
        ("see the issue tracker", []),
    ],
)
def test_what_counts_as_a_reference_to_our_issues(line: str, references: list[str]) -> None:
    assert own_issue_references(line) == references
