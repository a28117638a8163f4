"""What the tester needs to know about the EKS cluster, as the `notes` stack output."""

from __future__ import annotations

from components.cyperf import ROLE_LABEL
from components.settings.controller_address import controller_ipv4
from components.settings.eks.cluster import cluster_dns_ip
from components.settings.eks.section import EksSettings
from components.settings.problems import KeyWarning


def notes(eks: EksSettings, controller_through_nat: bool) -> list[str]:
    """Facts about this cluster the tester needs when configuring the controller and the DUT.
    `controller_through_nat`: an existing VPC's agents reach a public controller address through
    the NAT gateways the stack looked up."""
    dns_ip = cluster_dns_ip(eks.cluster.service_cidr)
    result = [
        f"Cluster DNS (kube-dns) is {dns_ip}, the .10 address of the service CIDR "
        f"{eks.cluster.service_cidr}: the clients' name server for FQDN DUTs.",
        "The kubeconfig runs `aws eks get-token`: the aws CLI must be on PATH for `pulumi up` "
        "and kubectl.",
    ]
    # The AWS Load Balancer Controller's installation guide ("Using the Amazon EC2 instance
    # metadata server version 2") and kubernetes-sigs/aws-load-balancer-controller#3695: with
    # hop limit 1 it cannot look up its region and VPC and fails at start unless both are given.
    result.append(
        "Node metadata hop limit is 1: pods off the host network cannot reach the instance "
        "metadata service, so an AWS Load Balancer Controller installed later needs its region "
        "and VPC id given (Helm values region and vpcId, or --aws-region and --aws-vpc-id; the "
        "VPC id: aws eks describe-cluster --query cluster.resourcesVpcConfig.vpcId)."
    )
    if eks.cni.is_calico:
        result.append(
            f"Calico VXLAN: pod IPs come from {eks.cni.pod_cidr} and are reachable only inside "
            "the cluster; a DUT outside the cluster (north-south) must use a NodePort or a "
            "LoadBalancer Service, not pod IPs."
        )
    else:
        result.append(
            "AWS VPC CNI: pod IPs are VPC addresses, reachable from the VPC and networks routed "
            "to it."
        )
    if eks.network.creates_vpc and eks.network.node_placement == "private":
        result.append(
            "Nodes are in private subnets: agents reach the controller from the NAT gateway "
            "addresses in egressAddresses; NodePorts are reachable only from inside the VPC."
        )
    elif eks.network.creates_vpc:
        result.append(
            "Nodes are in public subnets with their own public IPs (assigned at launch, not known "
            "in advance): allow the controller's ingress accordingly; egressAddresses is empty."
        )
    elif controller_through_nat:
        result.append(
            f"Existing VPC {eks.network.vpc_id}: the controller address is public, so agents "
            "reach it from the NAT gateways their subnets route through, looked up at each "
            "preview and listed in egressAddresses; a change of those routes needs a new `up`."
        )
    else:
        result.append(
            f"Existing VPC {eks.network.vpc_id}: egressAddresses lists the node subnets, which is "
            "what the controller sees only when it is reached on a private address (same or "
            "peered VPC); through a NAT or proxy it sees the VPC's NAT addresses instead."
        )
    if eks.controller_ingress_source == "nodeSecurityGroup" and not controller_through_nat:
        result.append(
            "The controller's ingress rules reference the node security group: they match agents "
            "only when the controller address is private to the VPC (or a peered VPC)."
        )
    if any(g.dedicated for g in eks.node_groups.by_role().values()):
        result.append(
            f"Dedicated node groups are tainted {ROLE_LABEL}=<role>:NoSchedule; the stack adds the "
            "matching tolerations to that role's agents."
        )
    return result


def controller_rule_warnings(eks: EksSettings, controller_address: str | None) -> list[KeyWarning]:
    """A controller DNS name with node-security-group rules: whether they match is unknowable."""
    if eks.controller_ingress_source != "nodeSecurityGroup" or controller_address is None:
        return []
    if controller_ipv4(controller_address) is None:
        return [
            KeyWarning(
                ("eks", "controllerSecurityGroupId"),
                "the ingress rules reference the node security group, which matches only private "
                f"addresses; they let the agents in only if {controller_address} resolves to a "
                "private address in the VPC or a peered one (through NAT the controller sees the "
                "NAT addresses); give controllerAddress as an IPv4 address and, if it is public, "
                "the stack allows the node subnets' NAT addresses",
            )
        ]
    return []
