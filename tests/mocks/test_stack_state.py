"""The stack's own state as the mocks answer the engine's builtin reads: empty before a first
`up`, then what a completed `up` left (its exports and the resources it created, not reads)."""

from __future__ import annotations

from mocks.monitor import Registered
from mocks.stack_state import READ_OUTPUTS, READ_RESOURCES, READS, StackState

DEPLOYMENT_URN = "urn:pulumi:test::cyperf-k8s::kubernetes:apps/v1:Deployment::agents-server"
NAMESPACE_READ_URN = "urn:pulumi:test::cyperf-k8s::kubernetes:core/v1:Namespace::ns-read"


def test_a_stack_that_never_completed_an_up_reads_empty() -> None:
    state = StackState()
    assert {READ_OUTPUTS, READ_RESOURCES} == READS
    assert state.answer(READ_OUTPUTS, {"name": "org/p/s"}) == {
        "name": "org/p/s",
        "outputs": {},
        "secretOutputNames": [],
    }
    assert state.answer(READ_RESOURCES, {"stackName": "org/p/s"}) == {
        "name": "org/p/s",
        "outputs": {},
    }


def test_after_an_up_the_state_holds_its_exports_and_created_resources() -> None:
    deployment = Registered(
        "kubernetes:apps/v1:Deployment", "agents-server", {"spec": {"replicas": 2}}, DEPLOYMENT_URN
    )
    namespace_read = Registered(
        "kubernetes:core/v1:Namespace", "ns-read", {}, NAMESPACE_READ_URN, read_id="cyperf"
    )
    state = StackState.after([deployment, namespace_read], {"namespace": "cyperf"})
    assert state.answer(READ_OUTPUTS, {"name": "s"})["outputs"] == {"namespace": "cyperf"}
    resources = state.answer(READ_RESOURCES, {"stackName": "s"})["outputs"]
    # Reads are not part of what an `up` leaves; created resources keep their inputs as outputs.
    assert resources == {
        DEPLOYMENT_URN: {
            "type": "kubernetes:apps/v1:Deployment",
            "outputs": {"spec": {"replicas": 2}},
        }
    }
