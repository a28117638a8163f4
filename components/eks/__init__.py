"""The optional EKS cluster path. Only this package imports pulumi_aws and pulumi_eks; importing
the package itself loads neither (the SDKs load when `provision` runs), so `components.eks.plan`
stays a pure, cheap import."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from components.cluster_access import ClusterAccess
    from components.settings.stack import StackSettings


def provision(settings: StackSettings) -> ClusterAccess:
    """Provision the EKS cluster of `settings.eks` (an `EksStackSettings`, as `parse_settings`
    returns for `cluster: eks`) and return how the agents reach it."""
    from components.eks.wiring import provision as _provision

    return _provision(settings)
