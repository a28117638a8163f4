"""The stack config's AWS credentials in the kubeconfig our Kubernetes provider uses."""

from __future__ import annotations

import json

import pytest

from components.eks.kubeconfig import (
    AwsCredentials,
    aws_credentials,
    kubeconfig_options,
    kubeconfig_with_credentials,
)
from components.settings.problems import Problems
from tests.support.eks import KUBECONFIG, EksMocks, eks_config, eks_settings, run_provision
from tests.support.program import refused

ROLE = "arn:aws:iam::123456789012:role/Deployer"


def _args(kubeconfig: str) -> list[str]:
    return list(json.loads(kubeconfig)["users"][0]["user"]["exec"].get("args") or [])


def test_nothing_to_add_leaves_the_kubeconfig_as_it_is() -> None:
    text = json.dumps(KUBECONFIG)
    assert kubeconfig_with_credentials(text, AwsCredentials()) is text


def test_profile_and_role_are_added_once() -> None:
    credentials = AwsCredentials(profile="prod", role_arn=ROLE)
    once = kubeconfig_with_credentials(json.dumps(KUBECONFIG), credentials)
    assert _args(once) == ["--role-arn", ROLE, "--profile", "prod"]
    assert kubeconfig_with_credentials(once, credentials) == once
    # pulumi-eks already writes `--role` for provider_credential_opts.role_arn: not doubled.
    with_role = json.loads(json.dumps(KUBECONFIG))
    with_role["users"][0]["user"]["exec"]["args"] = ["eks", "get-token", "--role", ROLE]
    assert _args(kubeconfig_with_credentials(json.dumps(with_role), credentials)) == [
        "eks",
        "get-token",
        "--role",
        ROLE,
        "--profile",
        "prod",
    ]


def test_credentials_from_config() -> None:
    assert aws_credentials(None, None) == AwsCredentials()
    assert aws_credentials("prod", [{"roleArn": ROLE, "sessionName": "ci"}]) == AwsCredentials(
        "prod", ROLE
    )
    with pytest.raises(Problems) as caught:
        aws_credentials(None, [{"roleArn": ROLE}, {"roleArn": ROLE + "2"}])
    [line] = caught.value.lines
    assert line.startswith(
        "aws:assumeRoles: the EKS kubeconfig (`aws eks get-token --role-arn`) can assume one role"
    )


def test_cluster_credential_options_name_only_what_is_given() -> None:
    assert kubeconfig_options(AwsCredentials()) is None
    assert kubeconfig_options(AwsCredentials(profile="prod")) == {"profile_name": "prod"}
    assert kubeconfig_options(AwsCredentials("prod", ROLE)) == {
        "profile_name": "prod",
        "role_arn": ROLE,
    }


def test_provider_kubeconfig_carries_the_stack_profile() -> None:
    config = {**eks_config(), "aws:profile": "prod"}
    run = run_provision(config)
    provider = run.one("pulumi:providers:kubernetes")
    assert "kubeconfig" in provider.secret_inputs
    assert _args(provider.inputs["kubeconfig"]) == ["--profile", "prod"]
    assert run.one("eks:index:Cluster").inputs["providerCredentialOpts"] == {"profileName": "prod"}
    # Without stack credentials the kubeconfig is pulumi-eks's, unchanged.
    plain = run_provision(eks_config())
    assert json.loads(plain.one("pulumi:providers:kubernetes").inputs["kubeconfig"]) == KUBECONFIG
    assert "providerCredentialOpts" not in plain.one("eks:index:Cluster").inputs


def test_a_role_chain_stops_before_any_resource() -> None:
    settings = {**eks_settings(), "aws:assumeRoles": [{"roleArn": ROLE}, {"roleArn": ROLE}]}
    refused(settings, "aws:assumeRoles", "the EKS kubeconfig", EksMocks())
