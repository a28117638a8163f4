"""The extra cluster admins' access entries, and the identity creating the cluster versus them
(pure: ARNs in, entries or problems out)."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from components.settings.eks.section import EksSettings
from components.settings.problems import Problem

if TYPE_CHECKING:
    import pulumi_eks as eks_sdk

ADMIN_KEY_PREFIX = "admin-"
ADMIN_POLICY_KEY = "cluster-admin"
CLUSTER_ADMIN_POLICY = "cluster-access-policy/AmazonEKSClusterAdminPolicy"


def admin_key(arn: str) -> str:
    """The access entry's key (pulumi-eks names the entry `<cluster resource>-<key>`): a digest of
    the principal ARN, not its list position. EKS replaces an entry whose principalArn changes
    (terraform-provider-aws `aws_eks_access_entry`: principal_arn ForceNew) and Pulumi creates
    the replacement first, so a position key moved a principal onto another entry on every
    removal or reordering, and its second entry failed with ResourceInUseException."""
    return ADMIN_KEY_PREFIX + hashlib.sha256(arn.encode()).hexdigest()[:12]


def principal_identity(arn: str) -> tuple[str, str, str, str] | None:
    """(partition, account, "role" | "user", name) of an IAM role/user ARN or an assumed-role
    session ARN; None for other principals (root, federated users). Role and user names are
    unique per account whatever their path, and an STS session ARN drops the role's path, so
    these four parts identify the principal."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    _, partition, service, _, account, resource = parts
    kind, _, rest = resource.partition("/")
    if service == "sts" and kind == "assumed-role" and "/" in rest:
        return partition, account, "role", rest.split("/", 1)[0]
    if service == "iam" and kind in ("role", "user") and rest:
        return partition, account, kind, rest.rsplit("/", 1)[-1]
    return None


def creator_admin_problems(caller_arn: str, eks: EksSettings) -> list[Problem]:
    """The identity creating the cluster must not be among adminPrincipalArns. Checked only on
    the run that creates the cluster (components.eks.wiring): later the identity running Pulumi
    is any operator or CI, who must be listed to reach the cluster at all.

    pulumi-eks (nodejs/eks/cluster/cluster.ts, accessConfig with authenticationMode) sets
    bootstrapClusterCreatorAdminPermissions, so EKS gives the creator an access entry itself; an
    IAM principal can be in only one access entry (AWS "Create access entries", CreateAccessEntry),
    so a second one fails `up` with ResourceInUseException
    (terraform-aws-modules/terraform-aws-eks#3293, terraform-aws-modules/terraform-aws-eks#2969).
    """
    caller = principal_identity(caller_arn)
    if caller is None:
        return []
    return [
        Problem(
            ("eks", "cluster", "adminPrincipalArns", index),
            f"names the identity running Pulumi ({caller_arn}), which EKS already makes cluster "
            "admin when it creates the cluster (pulumi-eks sets "
            "bootstrapClusterCreatorAdminPermissions; an IAM principal can be in only one access "
            "entry); remove it from the list",
            arn,
        )
        for index, arn in enumerate(eks.cluster.admin_principal_arns)
        if principal_identity(arn) == caller
    ]


def _partition(arn: str) -> str:
    return arn.split(":", 2)[1]


def access_entries(eks: EksSettings) -> dict[str, eks_sdk.AccessEntryArgsDict]:
    """Cluster-admin access entries for the extra principals, keyed by principal."""
    return {
        admin_key(arn): {
            "principal_arn": arn,
            "access_policies": {
                ADMIN_POLICY_KEY: {
                    "policy_arn": f"arn:{_partition(arn)}:eks::aws:{CLUSTER_ADMIN_POLICY}",
                    "access_scope": {"type": "cluster"},
                }
            },
        }
        for arn in eks.cluster.admin_principal_arns
    }
