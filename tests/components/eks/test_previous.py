"""What the EKS path reads back from the stack's own state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from components import deployed
from components.eks import previous
from mocks.stack_state import StackState
from tests.components.test_deployed import CheckpointReadError
from tests.support.eks import EksMocks, eks_config, run_provision

URN = "urn:pulumi:test::cyperf-k8s::cyperf-k8s:eks:Network${}::{}"


def test_previous_of_splits_urns_into_type_and_name() -> None:
    state = previous.previous_of(
        {
            URN.format("aws:ec2/subnet:Subnet", "eks-network-public-0"): {
                "type": "aws:ec2/subnet:Subnet",
                "outputs": {"cidrBlock": "10.0.0.0/18", "availabilityZone": "us-east-1a"},
            },
            URN.format("aws:ec2/subnet:Subnet", "other-public-0"): {"outputs": {}},
            "not-a-urn": {"outputs": {}},
        }
    )
    assert [(r.type, r.name) for r in state.resources] == [
        ("aws:ec2/subnet:Subnet", "eks-network-public-0"),
        ("aws:ec2/subnet:Subnet", "other-public-0"),
    ]
    assert state.subnets("eks-network-") == {"public-0": ("10.0.0.0/18", "us-east-1a")}


def test_cluster_exists_only_under_its_own_name() -> None:
    state = previous.previous_of(
        {
            URN.format("aws:eks/cluster:Cluster", "eks-calico-vxlan-eksCluster"): {
                "outputs": {"name": "cyperf-test-calico-abc123"}
            }
        }
    )
    assert state.cluster_exists("cyperf-test-calico-abc123")
    assert not state.cluster_exists("cyperf-test-calico-def456")
    assert not previous.PreviousEks().cluster_exists("cyperf-test-calico-abc123")


def test_a_stack_without_outputs_is_read_as_empty() -> None:
    """A stack that never completed an `up`: the resources are not read (the CLI cannot)."""
    mocks = EksMocks()
    run_provision(eks_config(), mocks)
    reads = [i.token for i in mocks.invokes if i.token.startswith("pulumi:pulumi:read")]
    assert reads == ["pulumi:pulumi:readStackOutputs"]
    mocks = EksMocks()
    mocks.stack_state = StackState(outputs={"namespace": "cyperf"})
    run_provision(eks_config(), mocks)
    reads = [i.token for i in mocks.invokes if i.token.startswith("pulumi:pulumi:read")]
    assert reads == ["pulumi:pulumi:readStackOutputs", "pulumi:pulumi:readStackResourceOutputs"]


class UnreadableState(StackState):
    """Every read meets the engine's own checkpoint write (as the engine answers it)."""

    def answer(self, token: str, args: Mapping[str, Any]) -> dict[str, Any]:
        raise CheckpointReadError()


def test_an_unreadable_state_is_read_as_empty_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, logged_warnings: list[str]
) -> None:
    """The checks against the deployed stack are left out, the run goes on (a created VPC's
    subnets are registered as planned)."""
    monkeypatch.setattr(deployed, "READ_RETRY_SECONDS", 0)
    mocks = EksMocks()
    mocks.stack_state = UnreadableState()
    run = run_provision(eks_config(), mocks)
    assert len(run.of_type("aws:ec2/subnet:Subnet")) == 4
    assert [w for w in logged_warnings if "EKS network, admins" in w] != []
