"""EKS Kubernetes version support, as of one date, in one place.

AWS rule (docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html): 14 months of
standard support from the EKS release, then 12 months of extended support (extra cost per
cluster hour); new clusters can be created on any version in standard or extended support.

End dates: endoflife.date/amazon-eks and the aws-samples "sample-apex-skills" cluster-lifecycle
table, which agree for 1.29-1.35. 1.36: AWS kubernetes-versions-standard says "Kubernetes 1.36 is
now available in Amazon EKS"; its dates come from one secondary source only (a blog, 2026-08-16),
so it is accepted but not the default. 1.37: upstream Kubernetes has released it, but no EKS page
or announcement for it was found in the sources read on 2026-12-03; its row is inferred from the
four-month release cadence (1.36's dates plus four months) so that a cluster EKS now offers is
not refused, never the default. Check before relying on a date: `aws eks
describe-cluster-versions`.

Upgrade policy (EKS API UpgradePolicyRequest, CloudFormation AWS::EKS::Cluster UpgradePolicy):
`supportType` EXTENDED (the default when unset) keeps a cluster on its version past standard
support, billed at the extended-support rate; STANDARD has EKS upgrade it automatically at the
end of standard support. Either can be changed in place ("Update requires: No interruption").

Calico (projectcalico tigera/docs `_system-requirements.mdx` per release): v3.30 is tested on
Kubernetes 1.31-1.33, v3.31 on 1.32-1.34, v3.32 on 1.34-1.36; the pinned default Calico follows
the default Kubernetes version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from components.settings.problems import KeyWarning

AS_OF = date(2026, 12, 3)
SupportType = Literal["STANDARD", "EXTENDED"]
# A cluster whose standard support ends within this many days gets the upgrade policy warning.
SUPPORT_TYPE_NOTICE_DAYS = 120


@dataclass(frozen=True)
class EksVersion:
    version: str
    end_of_standard: date
    end_of_extended: date
    # Both end dates come from two sources that agree.
    dates_confirmed: bool = True

    def creatable(self, today: date) -> bool:
        return today < self.end_of_extended

    def in_standard_support(self, today: date) -> bool:
        return today < self.end_of_standard


EKS_VERSIONS = (
    EksVersion("1.29", date(2025, 3, 23), date(2026, 3, 23)),
    EksVersion("1.30", date(2025, 7, 23), date(2026, 7, 23)),
    EksVersion("1.31", date(2025, 11, 26), date(2026, 11, 26)),
    EksVersion("1.32", date(2026, 3, 23), date(2027, 3, 23)),
    EksVersion("1.33", date(2026, 7, 29), date(2027, 7, 29)),
    EksVersion("1.34", date(2026, 12, 2), date(2027, 12, 2)),
    EksVersion("1.35", date(2027, 3, 27), date(2028, 3, 27)),
    EksVersion("1.36", date(2027, 8, 2), date(2028, 8, 2), dates_confirmed=False),
    EksVersion("1.37", date(2027, 12, 2), date(2028, 12, 2), dates_confirmed=False),
)
BY_VERSION = {v.version: v for v in EKS_VERSIONS}

# The newest version in standard support on AS_OF with confirmed dates, which the pinned Calico
# (DEFAULT_CALICO_VERSION) is tested on. A fixed value, not computed from today's date: the same
# config must keep creating the same cluster.
DEFAULT_KUBERNETES_VERSION = "1.35"
# tigera-operator Helm chart version (= the Calico release it installs); v3.32 is tested on
# Kubernetes 1.34-1.36 (v3.30.3 only on 1.31-1.33). Tag v3.32.1 of projectcalico/calico.
DEFAULT_CALICO_VERSION = "v3.32.1"


def today() -> date:
    """The date the checks judge support by (tests replace it)."""
    return date.today()


def creatable_versions(today: date) -> list[str]:
    return [v.version for v in EKS_VERSIONS if v.creatable(today)]


def check_kubernetes_version(value: str, today: date) -> str:
    """A version EKS can still create a cluster with on `today` (standard or extended support)."""
    known = BY_VERSION.get(value)
    allowed = (
        f"must be an EKS version EKS still creates: one of {creatable_versions(today)} "
        f"(a 'major.minor' string; default {DEFAULT_KUBERNETES_VERSION!r}; support table as of "
        f"{AS_OF.isoformat()})"
    )
    if known is None:
        raise ValueError(allowed)
    if not known.creatable(today):
        raise ValueError(
            f"EKS support for {value} ended on {known.end_of_extended.isoformat()}; " + allowed
        )
    return value


def extended_support_warnings(value: str, today: date) -> list[KeyWarning]:
    """The preview warning for a version past standard support (EKS bills extended support)."""
    known = BY_VERSION[value]
    if known.in_standard_support(today) or not known.creatable(today):
        return []
    return [
        KeyWarning(
            ("eks", "cluster", "kubernetesVersion"),
            f"{value} left EKS standard support on {known.end_of_standard.isoformat()} and is in "
            f"extended support until {known.end_of_extended.isoformat()} (billed at the "
            "extended-support cluster rate); use a version in standard support such as "
            f"{DEFAULT_KUBERNETES_VERSION!r}",
        )
    ]


def support_type_warnings(
    value: str, support_type: SupportType | None, today: date
) -> list[KeyWarning]:
    """The preview warning for a cluster that EKS's default upgrade policy (EXTENDED) will move
    into billed extended support within SUPPORT_TYPE_NOTICE_DAYS, unless supportType says what
    should happen."""
    known = BY_VERSION[value]
    if support_type is not None or not known.in_standard_support(today):
        return []
    if known.end_of_standard - today > timedelta(days=SUPPORT_TYPE_NOTICE_DAYS):
        return []
    return [
        KeyWarning(
            ("eks", "cluster", "supportType"),
            f"is not set, so EKS's default upgrade policy (EXTENDED) applies: on "
            f"{known.end_of_standard.isoformat()} this {value} cluster leaves standard support "
            "and stays on its version in extended support, billed at the extended-support "
            "cluster rate. Set 'STANDARD' to have EKS upgrade it automatically instead (then "
            "follow with the new Kubernetes version in the config), 'EXTENDED' to accept the "
            "cost, or move the cluster to a newer version",
        )
    ]
