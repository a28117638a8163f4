"""The pack: its rules, its entry point, its project file and its README's rule table.

The pack itself is never constructed in these tests: `PolicyPack(...)` starts a gRPC server and
blocks.
"""

from __future__ import annotations

import ast
from pathlib import Path

import yaml  # type: ignore[import-untyped,unused-ignore]
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    ResourceValidationPolicy,
    StackValidationPolicy,
)

from policy.pack import POLICIES, POLICY_PACK_NAME

POLICY_DIR = Path(__file__).resolve().parents[2] / "policy"
RULE_TABLE_HEADER = "| rule | kind | what it requires |"


def test_policies_are_mandatory_named_once_and_of_the_right_kind() -> None:
    names = [policy.name for policy in POLICIES]
    assert names == [
        "cyperf-agent-image-pinned",
        "cyperf-agent-security-context",
        "cyperf-agent-memory-limit",
        "cyperf-agent-one-per-node",
        "host-access-only-node-tuning",
        "cyperf-agent-selectors-disjoint",
        "cyperf-agent-services-select-servers",
        "eks-kubeconfig-secret",
    ]
    assert all(policy.enforcement_level == EnforcementLevel.MANDATORY for policy in POLICIES)
    assert [type(policy) for policy in POLICIES] == [ResourceValidationPolicy] * 5 + [
        StackValidationPolicy
    ] * 3


def test_main_only_builds_a_mandatory_pack_of_the_rules() -> None:
    tree = ast.parse((POLICY_DIR / "__main__.py").read_text())
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "PolicyPack"
    ]
    assert len(calls) == 1
    keywords = {k.arg: ast.unparse(k.value) for k in calls[0].keywords}
    assert keywords == {
        "name": "POLICY_PACK_NAME",
        "enforcement_level": "EnforcementLevel.MANDATORY",
        "policies": "POLICIES",
    }
    assert POLICY_PACK_NAME == "cyperf-k8s"


def test_project_file_runs_python_from_the_packs_own_virtualenv() -> None:
    project = yaml.safe_load((POLICY_DIR / "PulumiPolicy.yaml").read_text())
    assert project["runtime"] == {
        "name": "python",
        "options": {"toolchain": "pip", "virtualenv": "venv"},
    }
    assert project["version"]


def test_requirements_pin_the_policy_sdk_and_pulumi() -> None:
    lines = [
        line.strip()
        for line in (POLICY_DIR / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert sorted(lines) == ["pulumi-policy==1.21.0", "pulumi==3.272.0"]


def markdown_cell(text: str) -> str:
    """`text` as one table cell that renders as itself (`<group>` would vanish as an HTML tag)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace("|", "\\|")


def rule_row(policy: Policy) -> str:
    kind = "resource" if isinstance(policy, ResourceValidationPolicy) else "stack"
    return f"| `{policy.name}` | {kind} | {markdown_cell(policy.description)} |"


def test_readme_lists_exactly_the_packs_rules_with_their_descriptions() -> None:
    lines = (POLICY_DIR / "README.md").read_text().splitlines()
    table_lines = [line for line in lines if line.startswith("|")]
    expected = [RULE_TABLE_HEADER, "|---|---|---|", *(rule_row(p) for p in POLICIES)]
    # The rules in the code are the source; the README's only table is a copy of them.
    assert table_lines == expected, "policy/README.md's rule table must read:\n" + "\n".join(
        expected
    )
