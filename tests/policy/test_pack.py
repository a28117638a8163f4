"""What the pack relies on: the pulumi-policy facts the rules are built on, and the pack's wiring.

The pack itself is never constructed here: `PolicyPack(...)` starts a gRPC server and blocks.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped,unused-ignore]
from pulumi_policy import (
    EnforcementLevel,
    ResourceValidationPolicy,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from policy.pack import POLICIES, POLICY_PACK_NAME
from policy.values import UNKNOWN, get, parse_image, selector_matches, to_plain
from tests.policy.support import UNKNOWN_STRING, policy_props, secret

POLICY_DIR = Path(__file__).resolve().parents[2] / "policy"


# --- pulumi-policy 1.21.0 facts the rules depend on ------------------------------------------


def test_secret_values_reach_validate_functions_unwrapped() -> None:
    # Analyze/AnalyzeStack deserialize without proxy_secrets: the secret marker is dropped.
    props = policy_props({"kubeconfig": secret("apiVersion: v1")})
    assert props["kubeconfig"] == "apiVersion: v1"
    assert to_plain(props) == {"kubeconfig": "apiVersion: v1"}


def test_unknown_values_are_sentinels_that_raise_not_absent_values() -> None:
    props = policy_props({"spec": {"image": UNKNOWN_STRING, "ports": [1, UNKNOWN_STRING]}})
    assert "image" in list(props["spec"])  # present, not absent or None
    with pytest.raises(UnknownValueError):
        props["spec"]["image"]
    with pytest.raises(UnknownValueError):
        props["spec"].get("image")  # Mapping.get reads through __getitem__ too
    assert to_plain(props) == {"spec": {"image": UNKNOWN, "ports": [1.0, UNKNOWN]}}


def test_raw_sentinels_and_numbers_as_policies_see_them() -> None:
    raw = unknown_checking_proxy(deserialize_properties({"n": 2, "s": UNKNOWN_STRING}))
    assert to_plain(raw) == {"n": 2, "s": UNKNOWN}
    # Through the protobuf Struct every number is a float.
    assert policy_props({"replicas": 2})["replicas"] == 2.0
    assert isinstance(policy_props({"replicas": 2})["replicas"], float)


def test_get_and_selector_helpers_treat_unknown_as_undecided() -> None:
    plain: Any = {"a": {"b": UNKNOWN}, "l": [1]}
    assert get(plain, "a", "b", "c") is UNKNOWN
    assert get(plain, "a", "x") is None
    assert get(plain, "l", 3) is None
    labels = {"app": "cyperf-agent", "run": UNKNOWN}
    assert selector_matches({"matchLabels": {"app": "cyperf-agent", "run": "x"}}, labels) is None
    assert selector_matches({"matchLabels": {"app": "other", "run": "x"}}, labels) is False
    assert selector_matches({"matchLabels": {"app": "cyperf-agent"}}, labels) is True


@pytest.mark.parametrize(
    ("image", "repository", "tag", "digest"),
    [
        (
            "public.ecr.aws/keysight/cyperf-agent:release26.0.0",
            "public.ecr.aws/keysight/cyperf-agent",
            "release26.0.0",
            None,
        ),
        ("localhost:5000/cyperf-agent", "localhost:5000/cyperf-agent", None, None),
        ("localhost:5000/cyperf-agent:1.0", "localhost:5000/cyperf-agent", "1.0", None),
        ("repo@sha256:ab", "repo", None, "sha256:ab"),
    ],
)
def test_image_references_parse(
    image: str, repository: str, tag: str | None, digest: str | None
) -> None:
    ref = parse_image(image)
    assert (ref.repository, ref.tag, ref.digest) == (repository, tag, digest)


# --- the pack's wiring -----------------------------------------------------------------------


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
