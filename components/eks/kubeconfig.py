"""The AWS credentials of the stack config, carried into the kubeconfig our Kubernetes provider
uses (pure: config values in, kubeconfig text out).

pulumi-eks (`nodejs/eks/cluster/cluster.ts`, generateKubeconfig) builds the `kubeconfig` /
`kubeconfigJson` outputs *without* the profile on purpose (its commit fc90dafd,
pulumi/pulumi-eks#1082: the profile stays out of a shared kubeconfig); only its internal provider
gets `--profile`, and `provider_credential_opts` does not change that. Left alone, `aws eks
get-token` in our provider runs with the ambient identity, not `aws:profile` / `aws:assumeRoles`
of the stack.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from components.settings.problems import Problem, Problems

if TYPE_CHECKING:
    import pulumi_eks as eks_sdk


@dataclass(frozen=True)
class AwsCredentials:
    profile: str | None = None
    role_arn: str | None = None

    @property
    def any(self) -> bool:
        return self.profile is not None or self.role_arn is not None


def aws_credentials(profile: str | None, assume_roles: Any) -> AwsCredentials:
    """From `aws:profile` and `aws:assumeRoles` (a list of {roleArn, ...}); get-token assumes at
    most one role, so a chain of roles is refused."""
    role_arn = None
    if assume_roles:
        roles = assume_roles if isinstance(assume_roles, list) else [assume_roles]
        arns = [r.get("roleArn") if isinstance(r, dict) else None for r in roles]
        if len(arns) != 1 or not isinstance(arns[0], str) or not arns[0]:
            raise Problems(
                [
                    Problem(
                        ("assumeRoles",),
                        "the EKS kubeconfig (`aws eks get-token --role-arn`) can assume one role: "
                        "give exactly one entry with a roleArn, or use an aws:profile that "
                        "chains the roles",
                        assume_roles,
                        namespace="aws",
                    )
                ]
            )
        role_arn = arns[0]
    return AwsCredentials(profile or None, role_arn)


def kubeconfig_options(credentials: AwsCredentials) -> eks_sdk.KubeconfigOptionsArgsDict | None:
    """pulumi-eks's `provider_credential_opts`: the credentials given, None without any."""
    options: eks_sdk.KubeconfigOptionsArgsDict = {}
    if credentials.profile is not None:
        options["profile_name"] = credentials.profile
    if credentials.role_arn is not None:
        options["role_arn"] = credentials.role_arn
    return options or None


def kubeconfig_with_credentials(kubeconfig_json: str, credentials: AwsCredentials) -> str:
    """The kubeconfig with `--profile` / `--role-arn` added to every `aws` exec user (unchanged
    when there is nothing to add; idempotent)."""
    if not credentials.any:
        return kubeconfig_json
    config = json.loads(kubeconfig_json)
    for user in config.get("users") or []:
        exec_ = (user.get("user") or {}).get("exec")
        if not exec_ or exec_.get("command") != "aws":
            continue
        args = list(exec_.get("args") or [])
        if credentials.role_arn is not None and not {"--role", "--role-arn"} & set(args):
            args += ["--role-arn", credentials.role_arn]
        if credentials.profile is not None and "--profile" not in args:
            args += ["--profile", credentials.profile]
        exec_["args"] = args
    return json.dumps(config)
