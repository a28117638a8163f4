"""The admins' access entries keyed by principal, and a deployed stack's position-keyed entries
moved onto them by alias (the mocks build the entries pulumi-eks would, and run the program's
transforms on them)."""

from __future__ import annotations

from typing import Any

from components.eks import plan
from components.eks.previous import ACCESS_ENTRY_TYPE, POLICY_ASSOCIATION_TYPE
from components.settings.problems import PROJECT
from mocks.stack_state import StackState
from tests.support.eks import EksMocks, ProvisionRun, eks_config, eks_of, run_provision
from tests.support.program import STACK

A = "arn:aws:iam::123456789012:role/Alpha"
B = "arn:aws:iam::123456789012:user/bravo"
C = "arn:aws:iam::210987654321:role/Charlie"
CLUSTER_RESOURCE = plan.cluster_resource_name(eks_of().cni)
PARENTS = f"urn:pulumi:{STACK}::{PROJECT}::cyperf-k8s:eks:Cluster$eks:index:Cluster$"


def _run(arns: list[str], mocks: EksMocks | None = None) -> ProvisionRun:
    return run_provision(eks_config({"cluster": {"adminPrincipalArns": arns}}), mocks)


def _entries(run: ProvisionRun, typ: str = ACCESS_ENTRY_TYPE) -> dict[str, dict[str, Any]]:
    """principal ARN -> the child pulumi-eks registers for it."""
    children = [c for c in run.mocks.remote_children if c["type"] == typ]
    by_principal = {c["inputs"]["principalArn"]: c for c in children}
    assert len(by_principal) == len(children), "two entries for one principal"
    return by_principal


def test_removing_or_reordering_admins_keeps_every_principal_on_its_entry() -> None:
    first = _run([A, B, C])
    names = {arn: child["name"] for arn, child in _entries(first).items()}
    assert len(set(names.values())) == 3
    for arns in ([C, A], [B], [B, C, A]):
        later = _entries(_run(arns))
        assert {arn: child["name"] for arn, child in later.items()} == {
            arn: names[arn] for arn in arns
        }, arns


def _old_entry(index: int, arn: str) -> dict[str, dict[str, Any]]:
    """A position-keyed entry and its policy association, as an earlier version left them."""
    name = f"{CLUSTER_RESOURCE}-admin-{index}"
    entry = f"{PARENTS}{ACCESS_ENTRY_TYPE}::{name}"
    association = f"{PARENTS}{ACCESS_ENTRY_TYPE}${POLICY_ASSOCIATION_TYPE}::{name}-cluster-admin"
    return {
        entry: {"type": ACCESS_ENTRY_TYPE, "outputs": {"principalArn": arn}},
        association: {"type": POLICY_ASSOCIATION_TYPE, "outputs": {"principalArn": arn}},
    }


def test_a_deployed_stack_moves_each_old_entry_to_its_principal_by_alias() -> None:
    """Deployed: admin-0 = A, admin-1 = B. Now [B, C]: B's entry and association take admin-1's
    URNs (no replacement, so no second entry for B); A's old entry is left to be deleted; C is
    new."""
    mocks = EksMocks()
    mocks.stack_state = StackState(
        outputs={"namespace": "cyperf"}, resources={**_old_entry(0, A), **_old_entry(1, B)}
    )
    run = _run([B, C], mocks)
    entries = _entries(run)
    associations = _entries(run, POLICY_ASSOCIATION_TYPE)
    old = f"{CLUSTER_RESOURCE}-admin-1"
    assert entries[B]["aliases"] == [f"{PARENTS}{ACCESS_ENTRY_TYPE}::{old}"]
    assert associations[B]["aliases"] == [
        f"{PARENTS}{ACCESS_ENTRY_TYPE}${POLICY_ASSOCIATION_TYPE}::{old}-cluster-admin"
    ]
    assert entries[C]["aliases"] == associations[C]["aliases"] == []
    assert not any("admin-0" in a for c in run.mocks.remote_children for a in c.get("aliases", []))


def test_without_a_deployed_state_no_entry_has_an_alias() -> None:
    run = _run([A, B])
    assert [c["aliases"] for c in run.mocks.remote_children if "aliases" in c] == [[]] * 4
