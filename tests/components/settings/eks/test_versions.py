"""EKS Kubernetes version support, as of the support table's date."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from components.settings.eks import versions
from components.settings.eks.versions import DEFAULT_CALICO_VERSION, DEFAULT_KUBERNETES_VERSION
from tests.support.eks import NO_AGENTS, eks_settings
from tests.support.program import refused


@pytest.mark.parametrize(
    ("eks", "key", "fragment"),
    [
        ({"cluster": {"kubernetesVersion": "1.20"}}, "eks.cluster.kubernetesVersion", "1.35"),
        (
            {"cluster": {"kubernetesVersion": "1.31"}},
            "eks.cluster.kubernetesVersion",
            "EKS support for 1.31 ended on 2026-11-26",
        ),
        (
            {"cluster": {"kubernetesVersion": "1.30"}},
            "eks.cluster.kubernetesVersion",
            "EKS support for 1.30 ended on 2026-07-23",
        ),
    ],
)
def test_bad_version_settings_are_rejected_naming_the_key(
    eks: dict[str, Any], key: str, fragment: str
) -> None:
    refused(eks_settings(eks, agentGroups=NO_AGENTS), key, fragment)


def test_support_table_is_consistent() -> None:
    rows = versions.EKS_VERSIONS
    assert len(rows) == 9
    for row in rows:
        assert row.end_of_standard < row.end_of_extended, row.version
    assert [r.version for r in rows] == sorted((r.version for r in rows), key=lambda v: int(v[2:]))


def test_default_version_is_the_newest_confirmed_in_standard_support() -> None:
    today = versions.AS_OF
    standard = [
        v.version
        for v in versions.EKS_VERSIONS
        if v.in_standard_support(today) and v.dates_confirmed
    ]
    # As of 2026-12-03: 1.34 left standard support on 2026-12-02.
    assert today == date(2026, 12, 3)
    assert standard == ["1.35"]
    assert standard[-1] == DEFAULT_KUBERNETES_VERSION
    assert not versions.BY_VERSION["1.34"].in_standard_support(today)
    assert versions.BY_VERSION["1.34"].creatable(today)
    # 1.36 and 1.37 are accepted, with inferred dates, never the default.
    assert [v.version for v in versions.EKS_VERSIONS if not v.dates_confirmed] == ["1.36", "1.37"]
    # Calico v3.32 is tested on 1.34-1.36 (v3.30.3 only up to 1.33).
    assert DEFAULT_CALICO_VERSION == "v3.32.1"


@pytest.mark.parametrize(
    ("today", "creatable"),
    [
        (date(2026, 12, 3), ["1.32", "1.33", "1.34", "1.35", "1.36", "1.37"]),
        (date(2026, 11, 25), ["1.31", "1.32", "1.33", "1.34", "1.35", "1.36", "1.37"]),
        (date(2027, 3, 23), ["1.33", "1.34", "1.35", "1.36", "1.37"]),
    ],
)
def test_creatable_versions_follow_the_date(today: date, creatable: list[str]) -> None:
    assert versions.creatable_versions(today) == creatable
    for version in creatable:
        assert versions.check_kubernetes_version(version, today) == version


def test_extended_support_warning() -> None:
    today = versions.AS_OF
    [warning] = versions.extended_support_warnings("1.33", today)
    assert str(warning) == (
        "cyperf-k8s:eks.cluster.kubernetesVersion: 1.33 left EKS standard support on 2026-07-29 "
        "and is in extended support until 2027-07-29 (billed at the extended-support cluster "
        "rate); use a version in standard support such as '1.35'"
    )
    assert versions.extended_support_warnings("1.34", date(2026, 12, 1)) == []
    assert versions.extended_support_warnings("1.34", date(2026, 12, 2)) != []


def test_extended_support_warning_for_1_34_as_of_today() -> None:
    [warning] = versions.extended_support_warnings("1.34", versions.AS_OF)
    assert "1.34 left EKS standard support on 2026-12-02" in str(warning)


def test_support_type_warning_when_the_default_policy_would_bill_extended_support() -> None:
    """Unset, EKS applies EXTENDED: a 1.35 cluster (standard support until 2027-03-27, 114 days
    after the table's date) would move into billed extended support; saying either policy, or a
    version further from its end, silences it."""
    today = versions.AS_OF
    [warning] = versions.support_type_warnings("1.35", None, today)
    assert str(warning).startswith(
        "cyperf-k8s:eks.cluster.supportType: is not set, so EKS's default upgrade policy "
        "(EXTENDED) applies: on 2027-03-27 this 1.35 cluster leaves standard support"
    )
    assert "'STANDARD'" in str(warning) and "'EXTENDED'" in str(warning)
    assert versions.support_type_warnings("1.35", "EXTENDED", today) == []
    assert versions.support_type_warnings("1.35", "STANDARD", today) == []
    assert versions.support_type_warnings("1.36", None, today) == []
    assert versions.support_type_warnings("1.35", None, date(2026, 11, 26)) == []
    # Already in extended support: extended_support_warnings says so.
    assert versions.support_type_warnings("1.34", None, today) == []


def test_support_type_rejects_other_values() -> None:
    refused(
        eks_settings({"cluster": {"supportType": "standard"}}, agentGroups=NO_AGENTS),
        "eks.cluster.supportType",
        "STANDARD",
    )
