"""The identity running Pulumi versus the extra cluster admins."""

from __future__ import annotations

import pytest

from components.eks import admins
from components.settings.eks.section import EksSettings
from components.settings.problems import render
from tests.support.eks import eks_of


@pytest.mark.parametrize(
    ("arn", "identity"),
    [
        ("arn:aws:iam::123456789012:user/ci/deployer", ("aws", "123456789012", "user", "deployer")),
        ("arn:aws:iam::123456789012:role/team/Admin", ("aws", "123456789012", "role", "Admin")),
        (
            "arn:aws:sts::123456789012:assumed-role/Admin/alice@example.com",
            ("aws", "123456789012", "role", "Admin"),
        ),
        ("arn:aws-cn:iam::123456789012:role/Admin", ("aws-cn", "123456789012", "role", "Admin")),
        (
            "arn:aws-us-gov:sts::123456789012:assumed-role/Admin/s",
            ("aws-us-gov", "123456789012", "role", "Admin"),
        ),
        ("arn:aws:iam::123456789012:root", None),
        ("arn:aws:sts::123456789012:federated-user/bob", None),
        ("not-an-arn", None),
    ],
)
def test_principal_identity(arn: str, identity: tuple[str, str, str, str] | None) -> None:
    assert admins.principal_identity(arn) == identity


def _admins(*arns: str) -> EksSettings:
    return eks_of({"cluster": {"adminPrincipalArns": list(arns)}})


def test_creator_admin_problems_match_the_session_to_the_role_with_a_path() -> None:
    session = "arn:aws:sts::123456789012:assumed-role/Admin/alice"
    eks = _admins(
        "arn:aws:iam::123456789012:role/ReadOnly",
        "arn:aws:iam::123456789012:role/team/Admin",
        "arn:aws:iam::210987654321:role/Admin",  # another account
        "arn:aws-cn:iam::123456789012:role/Admin",  # another partition
        "arn:aws:iam::123456789012:user/Admin",  # a user, not the role
    )
    problems = admins.creator_admin_problems(session, eks)
    assert [render(p) for p in problems] == [
        "cyperf-k8s:eks.cluster.adminPrincipalArns[1]: names the identity running Pulumi "
        f"({session}), which EKS already makes cluster admin when it creates the cluster "
        "(pulumi-eks sets bootstrapClusterCreatorAdminPermissions; an IAM principal can be in "
        "only one access entry); remove it from the list "
        "(got 'arn:aws:iam::123456789012:role/team/Admin')"
    ]
    user = "arn:aws:iam::123456789012:user/Admin"
    assert [p.path for p in admins.creator_admin_problems(user, eks)] == [
        ("eks", "cluster", "adminPrincipalArns", 4)
    ]
    assert admins.creator_admin_problems("arn:aws:iam::123456789012:root", eks) == []
