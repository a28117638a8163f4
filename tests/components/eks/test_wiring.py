"""The EKS path wired together: warnings and refusals before any resource, the order agents wait
in, the outputs, tags on every AWS resource.

Every test reads from what the mock monitor recorded under `components.eks.provision`
(preview=False), a refusal from a run of the whole program; counts are asserted so an assertion
inside an empty loop cannot pass silently."""

from __future__ import annotations

import pytest

from components import deployed
from components.eks import plan
from components.eks.images import UNPINNED_IMAGE
from components.settings.problems import PROJECT
from mocks.aws import recommended_ami
from mocks.stack_state import StackState
from tests.components.eks.test_previous import UnreadableState
from tests.support.eks import (
    ADDON,
    CLUSTER,
    INGRESS,
    NODE_GROUP,
    RELEASE,
    EksMocks,
    ProvisionRun,
    eks_config,
    eks_settings,
    parse_eks,
    run_provision,
)
from tests.support.program import STACK, refused


def test_extended_support_version_warns_at_preview(logged_warnings: list[str]) -> None:
    run = run_provision(eks_config({"cluster": {"kubernetesVersion": "1.33"}}))
    assert run.one(CLUSTER).inputs["version"] == "1.33"
    assert [w for w in logged_warnings if "kubernetesVersion" in w] == [
        "cyperf-k8s:eks.cluster.kubernetesVersion: 1.33 left EKS standard support on 2026-07-29 "
        "and is in extended support until 2027-07-29 (billed at the extended-support cluster "
        "rate); use a version in standard support such as '1.35'"
    ]
    logged_warnings.clear()
    run_provision(eks_config())
    assert [w for w in logged_warnings if "kubernetesVersion" in w] == []


def test_deploying_identity_in_admin_principal_arns_stops_before_any_resource() -> None:
    """The SSO session ARN names the role without its path; the list names it with one."""
    settings = eks_settings(
        {
            "cluster": {
                "adminPrincipalArns": [
                    "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/"
                    "AWSReservedSSO_Admin_0123abcd"
                ]
            }
        }
    )
    mocks = EksMocks()
    refused(
        settings,
        "eks.cluster.adminPrincipalArns[0]",
        "names the identity running Pulumi "
        "(arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123abcd/alice)",
        mocks,
    )
    assert "aws:index/getCallerIdentity:getCallerIdentity" in [i.token for i in mocks.invokes]


SSO_ROLE = (
    "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123abcd"
)


def _with_cluster(physical_name: str) -> EksMocks:
    """A deployed stack whose state holds the EKS cluster pulumi-eks made (its
    `aws:eks/cluster:Cluster` child) under this name."""
    mocks = EksMocks()
    urn = (
        f"urn:pulumi:{STACK}::{PROJECT}::cyperf-k8s:eks:Cluster$eks:index:Cluster$"
        "aws:eks/cluster:Cluster::eks-calico-vxlan-eksCluster"
    )
    mocks.stack_state = StackState(
        outputs={"namespace": "cyperf"},
        resources={urn: {"type": "aws:eks/cluster:Cluster", "outputs": {"name": physical_name}}},
    )
    return mocks


def test_a_second_operator_listed_as_admin_is_not_refused_on_an_existing_cluster() -> None:
    """The creator check applies to the run that creates the cluster: on a deployed cluster the
    identity running Pulumi is any operator, who must be listed to reach the cluster at all."""
    config = eks_config({"cluster": {"adminPrincipalArns": [SSO_ROLE]}})
    physical = plan.cluster_physical_name(STACK, parse_eks(config).eks)
    run = run_provision(config, _with_cluster(physical))
    entries = run.one(CLUSTER).inputs["accessEntries"]
    assert [e["principalArn"] for e in entries.values()] == [SSO_ROLE]
    assert "aws:index/getCallerIdentity:getCallerIdentity" not in [
        i.token for i in run.mocks.invokes
    ]


def test_the_creator_check_applies_when_a_new_cluster_replaces_the_deployed_one() -> None:
    """A new cluster name (a serviceCidr or CNI change) is a cluster this run creates."""
    settings = eks_settings({"cluster": {"adminPrincipalArns": [SSO_ROLE]}})
    refused(
        settings,
        "eks.cluster.adminPrincipalArns[0]",
        "names the identity running Pulumi",
        _with_cluster("cyperf-test-calico-000000"),
    )
    # Another principal is fine.
    other = run_provision(
        eks_config({"cluster": {"adminPrincipalArns": ["arn:aws:iam::123456789012:role/QA"]}})
    )
    assert len(other.of_type(CLUSTER)) == 1


def test_remote_components_have_no_children(calico: ProvisionRun) -> None:
    """The program registers none; their children (the node groups' launch templates, changed
    by the program's transforms) are tests/components/eks/test_launch_template.py's."""
    remote = {r.urn for r in calico.resources if r.typ in (CLUSTER, NODE_GROUP)}
    assert len(remote) == 3
    assert not [r for r in calico.resources if r.parent in remote]


def test_calico_agents_wait_for_nodes_coredns_and_controller_rules(calico: ProvisionRun) -> None:
    waited = {calico.urn_of(r) for r in calico.access.agents_depend_on}
    by_type = {r.urn: r.typ for r in calico.resources}
    kinds = sorted(by_type[u] for u in waited)
    assert kinds.count(NODE_GROUP) == 2
    assert kinds.count(ADDON) == 1 and kinds.count(RELEASE) == 1
    assert kinds.count(INGRESS) == 2  # 443 and 30422 from one NAT address


def test_vpc_cni_agents_wait_for_node_groups(vpc_cni: ProvisionRun) -> None:
    kinds = {r.urn: r.typ for r in vpc_cni.resources}
    waited = [kinds[vpc_cni.urn_of(r)] for r in vpc_cni.access.agents_depend_on]
    assert waited == [NODE_GROUP, NODE_GROUP]


def test_outputs(calico: ProvisionRun) -> None:
    exports = calico.exports
    assert set(exports) == {
        "clusterName",
        "kubeconfig",
        "cni",
        "nodeGroupNames",
        "nodeImages",
        "podCidr",
        "serviceCidr",
        "egressAddresses",
        "notes",
    }
    assert exports["clusterName"].startswith("cyperf-test-calico-")
    assert exports["cni"] == "calico-vxlan" and exports["podCidr"] == "192.168.0.0/16"
    assert exports["serviceCidr"] == "10.100.0.0/16"
    # The stack exports clusterDnsIp from this (through DutOutputs), for both cluster paths.
    assert calico.access.dns_server_ip == "10.100.0.10"
    assert any("reachable only inside the cluster" in n for n in exports["notes"])
    # What AWS reports (the launch template's image, read back), and that config pins nothing.
    assert exports["nodeImages"] == {
        role: {
            "amiId": recommended_ami("1.35", "AL2023_x86_64_STANDARD"),
            "pinnedBy": UNPINNED_IMAGE,
            "recommendedFor": "1.35/AL2023_x86_64_STANDARD",
        }
        for role in ("client", "server")
    }


def test_tags_reach_every_taggable_aws_resource(calico: ProvisionRun) -> None:
    untaggable = {
        "aws:ec2/routeTableAssociation:RouteTableAssociation",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    }
    aws_resources = [r for r in calico.resources if r.typ.startswith(("aws:", "eks:"))]
    taggable = [r for r in aws_resources if r.typ not in untaggable]
    assert len(taggable) >= 15, [r.typ for r in taggable]
    for resource in taggable:
        assert resource.inputs.get("tags", {}).get("owner") == "qa", (resource.typ, resource.name)
    assert {r.typ for r in aws_resources} - {r.typ for r in taggable} == untaggable


def test_an_unreadable_state_leaves_the_creator_check_out(
    monkeypatch: pytest.MonkeyPatch, logged_warnings: list[str]
) -> None:
    """Whether this run creates the cluster is unknown: an operator listed as admin of a cluster
    that exists is not refused; the warning says the check is left out."""
    monkeypatch.setattr(deployed, "READ_RETRY_SECONDS", 0)
    mocks = EksMocks()
    mocks.stack_state = UnreadableState()
    run = run_provision(eks_config({"cluster": {"adminPrincipalArns": [SSO_ROLE]}}), mocks)
    entries = run.one(CLUSTER).inputs["accessEntries"]
    assert [e["principalArn"] for e in entries.values()] == [SSO_ROLE]
    assert "aws:index/getCallerIdentity:getCallerIdentity" not in [i.token for i in mocks.invokes]
    [warning] = [w for w in logged_warnings if "own state could not be read" in w]
    assert "nor check that a cluster this run creates does not list its creator" in warning
