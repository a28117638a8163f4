"""The node group component: one managed node group per role, their IAM role and policies.

Every test reads from what the mock monitor recorded under `components.eks.provision`
(preview=False); counts are asserted so an assertion inside an empty loop cannot pass silently."""

from __future__ import annotations

import json

from tests.support.eks import CLUSTER, NODE_GROUP, ProvisionRun, eks_config, run_provision


def test_node_group_inputs(calico: ProvisionRun) -> None:
    groups = {g.name: g.inputs for g in calico.of_type(NODE_GROUP)}
    # The launch template carries the AMI on this path: it is part of the names (plan.py).
    assert sorted(groups) == ["eks-nodes-client-own-ami", "eks-nodes-server-own-ami"]
    client = groups["eks-nodes-client-own-ami"]
    assert client["cluster"] == calico.one(CLUSTER).urn
    assert client["labels"] == {"agenttype": "client"}
    assert client["taints"] == [{"key": "agenttype", "value": "client", "effect": "NO_SCHEDULE"}]
    assert client["instanceTypes"] == ["c5.2xlarge"]
    assert client["scalingConfig"] == {"desiredSize": 1.0, "minSize": 1.0, "maxSize": 2.0}
    assert client["enableIMDSv2"] is True
    assert client["nodeRoleArn"] == "arn:aws:iam::123456789012:role/eks-nodes-role"
    assert client["subnetIds"] == ["eks-network-private-0-id", "eks-network-private-1-id"]
    max_pods = json.loads(client["nodeadmExtraOptions"][0]["content"])
    assert max_pods["spec"]["kubelet"]["config"]["maxPods"] == 110
    server = groups["eks-nodes-server-own-ami"]
    assert server["labels"] == {"agenttype": "server"} and server["taints"] == []
    assert calico.access.tolerations_by_role == {
        "client": [
            {"key": "agenttype", "operator": "Equal", "value": "client", "effect": "NoSchedule"}
        ]
    }
    assert calico.exports["nodeGroupNames"] == {
        "client": "eks-nodes-client-own-ami-20260101000000000000000001",
        "server": "eks-nodes-server-own-ami-20260101000000000000000001",
    }


def test_node_role_and_policies(vpc_cni: ProvisionRun, calico: ProvisionRun) -> None:
    role = vpc_cni.one("aws:iam/role:Role").inputs
    policy = json.loads(role["assumeRolePolicy"])
    assert policy["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    attached = {
        a.inputs["policyArn"]
        for a in vpc_cni.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    }
    assert attached == {
        "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
        "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
        "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    }
    calico_attached = calico.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert len(calico_attached) == 2
    for group in vpc_cni.of_type(NODE_GROUP):
        assert {
            a.urn for a in vpc_cni.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        } <= set(group.dependencies)


def test_null_node_group_is_not_created() -> None:
    run = run_provision(
        eks_config(
            {"nodeGroups": {"client": None, "server": {"desiredSize": 2, "maxSize": 2}}},
            agentGroups=[{"name": "server", "role": "server", "replicas": 2}],
        )
    )
    [group] = run.of_type(NODE_GROUP)
    assert group.name == "eks-nodes-server"
    assert list(run.exports["nodeGroupNames"]) == ["server"]
