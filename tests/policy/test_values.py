"""The unknown-safe readers, and the pulumi-policy 1.21.0 facts they are built on."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy import Secret
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from policy.values import (
    UNKNOWN,
    get,
    is_marked_secret,
    parse_image,
    selector_matches,
    to_plain,
)
from tests.policy.support import EKS_KUBECONFIG, UNKNOWN_STRING, policy_props, secret


def test_secret_values_reach_validate_functions_unwrapped() -> None:
    # Analyze/AnalyzeStack deserialize without proxy_secrets: the secret marker is dropped.
    props = policy_props({"kubeconfig": secret("apiVersion: v1")})
    assert props["kubeconfig"] == "apiVersion: v1"
    assert to_plain(props) == {"kubeconfig": "apiVersion: v1"}


def test_a_visible_secret_marker_is_honoured() -> None:
    # pulumi-policy 1.21.0 never passes one to a validate function; a later SDK might.
    assert is_marked_secret({"kubeconfig": Secret(EKS_KUBECONFIG)}, "kubeconfig")
    assert is_marked_secret({"__target": {"kubeconfig": Secret("x")}}, "kubeconfig")
    assert not is_marked_secret({"kubeconfig": EKS_KUBECONFIG}, "kubeconfig")


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
