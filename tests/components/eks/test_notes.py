"""What the tester needs to know about the EKS cluster (the `notes` output), and the warning
about a controller DNS name."""

from __future__ import annotations

from components.eks.notes import controller_rule_warnings, notes
from tests.support.eks import eks_of

CALICO = {"cni": {"type": "calico-vxlan"}}


def test_notes_say_calico_pod_ips_stay_inside() -> None:
    calico = " ".join(notes(eks_of(CALICO), False))
    assert "reachable only inside the cluster" in calico and "NodePort" in calico
    vpc = " ".join(notes(eks_of(), False))
    assert "VPC addresses" in vpc and "10.100.0.10" in vpc


def test_notes_say_a_load_balancer_controller_needs_region_and_vpc() -> None:
    """Hop limit 1 (components.eks.launch_template) keeps pods from the metadata service, where
    the AWS Load Balancer Controller would look them up."""
    for eks in (eks_of(), eks_of(CALICO)):
        [note] = [n for n in notes(eks, False) if "Load Balancer Controller" in n]
        assert "hop limit is 1" in note
        assert "region and vpcId" in note and "--aws-region and --aws-vpc-id" in note


def test_controller_dns_name_with_node_security_group_rules_warns() -> None:
    existing = {
        "network": {
            "vpcId": "vpc-0123456789abcdef0",
            "privateSubnetIds": ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
        },
        "controllerSecurityGroupId": "sg-0123456789abcdef0",
    }
    [warning] = controller_rule_warnings(eks_of(existing), "controller.example.com")
    assert str(warning).startswith("cyperf-k8s:eks.controllerSecurityGroupId: the ingress rules")
    assert "controller.example.com resolves to a private address" in str(warning)
    assert controller_rule_warnings(eks_of(existing), "172.31.9.9") == []
    assert controller_rule_warnings(eks_of(), "controller.example.com") == []
