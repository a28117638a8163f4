"""The EKS path, wired: network -> cluster -> CNI -> node groups -> (Calico: CoreDNS) -> agents."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components import cyperf, deployed
from components.cluster_access import ClusterAccess
from components.eks import access_entries, addons, admins, capacity, images, plan, previous
from components.eks.cluster import EksCluster
from components.eks.cni import EksCni
from components.eks.controller_access import ControllerAccess
from components.eks.dut_access import DutAccess, dut_warnings
from components.eks.kubeconfig import aws_credentials
from components.eks.network import EksNetwork
from components.eks.node_groups import EksCoreDns, EksNodeGroups
from components.eks.notes import controller_rule_warnings, notes
from components.settings.eks import versions
from components.settings.eks.cluster import cluster_dns_ip
from components.settings.eks.stack import EksStackSettings, controller_reached_through_nat
from components.settings.problems import raise_any
from components.settings.stack import StackSettings
from components.warn import warn

UNREAD_STATE = (
    "this run cannot keep the node images of unpinned groups, warn about node groups a tags "
    "change rolls, keep unpinned kube-proxy and CoreDNS add-ons at their running versions (pin "
    "eks.cluster.kubeProxyAddonVersion and corednsAddonVersion), nor compare the EKS network, "
    "admins and controller rules with what is deployed, nor check that a cluster this run "
    "creates does not list its creator in eks.cluster.adminPrincipalArns (see docs/eks.md)"
)


def provision(settings: StackSettings) -> ClusterAccess:
    if not isinstance(settings, EksStackSettings):
        raise TypeError("components.eks.provision needs the settings of a `cluster: eks` stack")
    eks = settings.eks
    # Shown at preview too: extended support is billed extra, an unpinned AMI stays behind.
    warn(
        [
            *versions.extended_support_warnings(eks.cluster.kubernetes_version, versions.today()),
            *versions.support_type_warnings(
                eks.cluster.kubernetes_version, eks.cluster.support_type, versions.today()
            ),
            *images.unpinned_warnings(eks),
            *capacity.unlisted_instance_warnings(eks),
            *controller_rule_warnings(eks, settings.controller_address),
            *dut_warnings(settings, eks),
        ]
    )
    aws_config = pulumi.Config("aws")
    credentials = aws_credentials(aws_config.get("profile"), aws_config.get_object("assumeRoles"))
    physical_name = plan.cluster_physical_name(pulumi.get_stack(), eks)
    # Before any resource: what the last completed `up` left (no AWS API), read once.
    state = deployed.read_own_stack(UNREAD_STATE)
    last_up = previous.previous_of(state[1]) if state is not None else previous.PreviousEks()
    # Unread, whether this run creates the cluster is unknown: the check is left out (as the
    # other comparisons with what is deployed) rather than refusing an operator's `up` of a
    # cluster that exists; a listed creator then fails in AWS (ResourceInUseException, docs/eks.md).
    creates_cluster = state is not None and not last_up.cluster_exists(physical_name)
    if eks.cluster.admin_principal_arns and creates_cluster:
        # Before any resource: the invoke answers with the identity the AWS provider uses, the
        # one EKS makes admin when this run creates the cluster.
        caller = aws.get_caller_identity()
        raise_any(admins.creator_admin_problems(caller.arn, eks))
    cluster_resource = plan.cluster_resource_name(eks.cni)
    entry_aliases = access_entries.entry_aliases(cluster_resource, eks, last_up)

    through_nat = controller_reached_through_nat(settings)
    network = EksNetwork("eks-network", eks, find_existing_nats=through_nat, deployed=last_up)
    addon_versions = addons.read_addon_versions(
        eks.cluster, physical_name, state[1] if state is not None else None
    )
    cluster = EksCluster(
        "eks-cluster",
        eks,
        network,
        physical_name,
        credentials,
        addon_versions.kube_proxy,
        [access_entries.alias_transform(entry_aliases)] if entry_aliases else [],
    )
    # Calico is installed before any node exists: a node without a CNI stays NotReady.
    cni = EksCni("eks-cni", eks.cni, cluster.provider, after=[cluster.cluster])
    # Private nodes need their NAT routes to pull images; all nodes need the CNI first.
    nodes = EksNodeGroups(
        "eks-nodes",
        eks,
        cluster,
        network,
        state,
        after=[cluster.cluster, network, *([cni.release] if cni.release is not None else [])],
    )
    agents_depend_on: list[pulumi.Resource] = [*nodes.groups.values()]
    if cni.release is not None:
        agents_depend_on.append(cni.release)
        coredns = EksCoreDns(
            "eks-coredns",
            eks.tags,
            cluster,
            list(nodes.groups.values()),
            addons.coredns_version(addon_versions, eks.cluster.kubernetes_version),
        )
        agents_depend_on.append(coredns.addon)
    controller = ControllerAccess(
        "eks-controller-access",
        eks.controller_security_group_id,
        eks.tags,
        cyperf.controller_ports(settings.cyperf_release),
        "natGateways" if through_nat else eks.controller_ingress_source,
        network.nat_public_ips,
        cluster.node_security_group_id,
        physical_name,
        last_up,
    )
    # Agents register with the controller as soon as they start: open its door first.
    agents_depend_on.extend(controller.rules)
    if eks.network.dut_source_cidrs or eks.network.dut_source_security_group_id:
        DutAccess("eks-dut-access", settings, eks, cluster.node_security_group_id, eks.tags)

    return ClusterAccess(
        provider=cluster.provider,
        agents_depend_on=agents_depend_on,
        tolerations_by_role=plan.tolerations_by_role(eks),
        dns_server_ip=cluster_dns_ip(eks.cluster.service_cidr),
        outputs={
            "clusterName": physical_name,
            "kubeconfig": cluster.kubeconfig,
            "cni": eks.cni.type,
            "nodeGroupNames": nodes.names,
            "nodeImages": nodes.images,
            "podCidr": eks.cni.effective_pod_cidr,
            "serviceCidr": eks.cluster.service_cidr,
            "egressAddresses": network.egress_addresses,
            "notes": notes(eks, through_nat),
        },
    )
