"""AWS and pulumi-eks answers, on top of the cluster's.

Remote components (eks.Cluster, eks.ManagedNodeGroup) reach `new_resource` once with no children,
so the mocks return what the program reads from them: `kubeconfigJson`, `nodeSecurityGroupId`, and
for a node group its `nodeGroup` as a resource reference to an aws.eks.NodeGroup the mock monitor
knows (the engine does the same: the SDK rehydrates the reference through `getResource`).

A node group's launch template is the one child the program changes (through `transforms`): the
mocks build it as pulumi-eks would from the node group's inputs, run the transforms the program
registered on the node group (unless `reparented_template` stands for a pulumi-eks that creates
it elsewhere), and keep the result in `EksMocks.remote_children`, which `getLaunchTemplate`
answers from.
"""

from __future__ import annotations

import inspect
import json
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc

from mocks.cluster import ClusterMocks, ClusterState, default_cluster_state

# Zone name -> zone ID of the mock account (names map to physical zones per account).
ZONE_IDS = {
    "us-east-1a": "use1-az1",
    "us-east-1b": "use1-az2",
    "us-east-1c": "use1-az4",
    "us-east-1d": "use1-az6",
}
ZONES = list(ZONE_IDS)
EXISTING_VPC_CIDR = "172.31.0.0/16"
EXISTING_VPC_ID = "vpc-0123456789abcdef0"
EXISTING_SUBNETS = {
    "subnet-0aaaaaaaaaaaaaaa1": "172.31.0.0/20",
    "subnet-0aaaaaaaaaaaaaaa2": "172.31.16.0/20",
    "subnet-0bbbbbbbbbbbbbbb1": "172.31.32.0/20",
    "subnet-0bbbbbbbbbbbbbbb2": "172.31.48.0/20",
}


def existing_subnet(subnet_id: str) -> dict[str, Any]:
    """getSubnet's answer: `...1` subnets in use1-az1, `...2` in use1-az2; the `b` subnets are
    public (public IPs on launch)."""
    return {
        "id": subnet_id,
        "cidrBlock": EXISTING_SUBNETS[subnet_id],
        "vpcId": EXISTING_VPC_ID,
        "availabilityZoneId": f"use1-az{subnet_id[-1]}",
        "mapPublicIpOnLaunch": subnet_id.startswith("subnet-0b"),
        "availableIpAddressCount": 4000,
    }


# Route tables of the existing VPC: `a1` has its own, routed through NAT 1; `a2` has no
# association and uses the main table (NAT 2); the public `b` subnets route to the internet gateway.
ROUTE_TABLE_OF_SUBNET = {
    "subnet-0aaaaaaaaaaaaaaa1": "rtb-0aaaaaaaaaaaaaaa1",
    "subnet-0bbbbbbbbbbbbbbb1": "rtb-0bbbbbbbbbbbbbbb0",
    "subnet-0bbbbbbbbbbbbbbb2": "rtb-0bbbbbbbbbbbbbbb0",
}
MAIN_ROUTE_TABLE = "rtb-0000000000000main"
DEFAULT_ROUTES = {
    "rtb-0aaaaaaaaaaaaaaa1": {"natGatewayId": "nat-0aaaaaaaaaaaaaaa1"},
    MAIN_ROUTE_TABLE: {"natGatewayId": "nat-0aaaaaaaaaaaaaaa2"},
    "rtb-0bbbbbbbbbbbbbbb0": {"gatewayId": "igw-0bbbbbbbbbbbbbbb0"},
}
EXISTING_NAT_PUBLIC_IPS = {
    "nat-0aaaaaaaaaaaaaaa1": "198.51.100.11",
    "nat-0aaaaaaaaaaaaaaa2": "198.51.100.12",
}
# NAT 2 also has a secondary EIP (connections leave from either address).
EXISTING_NAT_SECONDARY_EIPS = {
    "nat-0aaaaaaaaaaaaaaa2": {"eipalloc-0aaaaaaaaaaaaaaa3": "198.51.100.13"}
}
NODE_SECURITY_GROUP = "sg-0eks0cluster0sg1"
# The identity running Pulumi: an SSO role session (the session ARN drops the role's path).
CALLER_ARN = "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123abcd/alice"
# The build number of the most recent add-on version the getAddonVersion mock answers with.
LATEST_ADDON_BUILD = 7
# The release EKS picks in the mocks.
LATEST_RELEASE_VERSION = "1.35.0-20261118"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
POLICY_ASSOCIATION = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
KUBECONFIG = {
    "apiVersion": "v1",
    "kind": "Config",
    "clusters": [{"name": "kubernetes", "cluster": {"server": "https://eks.example"}}],
    "users": [{"name": "aws", "user": {"exec": {"command": "aws"}}}],
}


# ManagedNodeGroup inputs that make pulumi-eks render the user data and set the template's image.
USER_DATA_INPUTS = (
    "kubeletExtraArgs",
    "bootstrapExtraArgs",
    "bottlerocketSettings",
    "nodeadmExtraOptions",
    "userData",
    "amiId",
)


def recommended_ami(kubernetes_version: str, ami_type: str, release: str = "r1") -> str:
    """What pulumi-eks's SSM "recommended" AMI lookup answers in the mocks: one AMI per
    Kubernetes version, amiType and AWS release."""
    return f"ami-recommended-{kubernetes_version}-{ami_type}-{release}"


def pulumi_eks_launch_template(
    inputs: dict[str, Any], recommended: str = "ami-recommended"
) -> dict[str, Any] | None:
    """The launch template pulumi-eks creates for a ManagedNodeGroup with these inputs, or
    None when it creates none (`nodejs/eks/nodes/nodegroup.ts`: requiresCustomLaunchTemplate,
    createMNGCustomLaunchTemplate); `recommended`: its SSM lookup's answer. The user data stands
    in for the script it renders."""
    custom_user_data = any(key in inputs for key in USER_DATA_INPUTS)
    if not custom_user_data and "enableIMDSv2" not in inputs and "enableEfaSupport" not in inputs:
        return None
    bottlerocket = inputs.get("operatingSystem") == "Bottlerocket" or str(
        inputs.get("amiType", "")
    ).startswith("BOTTLEROCKET_")
    props: dict[str, Any] = {}
    if "diskSize" in inputs:
        props["blockDeviceMappings"] = [
            {
                "deviceName": "/dev/xvdb" if bottlerocket else "/dev/xvda",
                "ebs": {"volumeSize": inputs["diskSize"]},
            }
        ]
    if custom_user_data:
        props["userData"] = "<user data rendered by pulumi-eks>"
        props["imageId"] = inputs.get("amiId", recommended)
    if "enableIMDSv2" in inputs:
        props["metadataOptions"] = {
            "httpTokens": "required" if inputs["enableIMDSv2"] else "optional",
            "httpPutResponseHopLimit": 2,
            "httpEndpoint": "enabled",
        }
    return props


def launch_template_read(template_id: str, props: dict[str, Any]) -> dict[str, Any]:
    """getLaunchTemplate's answer for a template with these inputs (the data source's nested
    blocks are lists)."""
    return {
        "id": template_id,
        "imageId": props.get("imageId", ""),
        "tags": props.get("tags", {}),
        "metadataOptions": [props["metadataOptions"]] if "metadataOptions" in props else [],
        "blockDeviceMappings": [
            {"deviceName": m["deviceName"], "ebs": [m["ebs"]]}
            for m in props.get("blockDeviceMappings", [])
        ],
    }


def eks_cluster_state() -> ClusterState:
    """The agents' Service has one ready server pod (a Calico overlay address)."""
    return default_cluster_state(
        endpoints={
            "cyperf-agent-service": {
                "subsets": [{"addresses": [{"ip": "192.168.7.4"}], "ports": [{"port": 80}]}]
            }
        }
    )


class EksMocks(ClusterMocks):
    def __init__(
        self,
        vpc_cidrs: list[str] | None = None,
        cluster_state: ClusterState | None = None,
        answer_every_read: bool = False,
        caller_arn: str = CALLER_ARN,
        zone_ids: dict[str, str] | None = None,
        subnet_changes: dict[str, dict[str, Any]] | None = None,
        private_nats: frozenset[str] = frozenset(),
        regional_nats: dict[str, dict[str, Any]] | None = None,
        zone_states: dict[str, str] | None = None,
        ami_release: str = "r1",
        reparented_template: bool = False,
    ) -> None:
        """`subnet_changes`: per existing subnet id, fields that differ from existing_subnet();
        `private_nats`: existing NAT gateways of connectivity type private (no public IP);
        `regional_nats`: existing NAT gateways of availability mode regional, with the fields of
        their answer (regionalNatGatewayAddresses, autoScalingIps); `zone_states`: zone name ->
        state where not "available" (impaired, unavailable);
        `ami_release`: the AWS AMI release the recommended lookup answers with;
        `reparented_template`: the node group's transforms never see its launch template (a
        pulumi-eks that creates it under another parent)."""
        super().__init__(
            cluster_state if cluster_state is not None else eks_cluster_state(), answer_every_read
        )
        self.vpc_cidrs = vpc_cidrs or [EXISTING_VPC_CIDR]
        self.next_eip = 1
        self.caller_arn = caller_arn
        self.zone_ids = zone_ids if zone_ids is not None else dict(ZONE_IDS)
        self.subnet_changes = subnet_changes or {}
        self.private_nats = private_nats
        self.regional_nats = regional_nats or {}
        self.zone_states = zone_states or {}
        self.ami_release = ami_release
        self.reparented_template = reparented_template
        self.cluster_version = ""
        # Children of remote components as the program's transforms left them: type, name,
        # URN, inputs, ignoreChanges, and the id the mocks gave them.
        self.remote_children: list[dict[str, Any]] = []

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        resource_id, outputs = super().new_resource(args)
        if args.resource_id:
            return resource_id, outputs
        if args.typ == "eks:index:Cluster":
            self.cluster_version = args.inputs["version"]
            outputs["kubeconfigJson"] = json.dumps(KUBECONFIG)
            outputs["kubeconfig"] = KUBECONFIG
            outputs["nodeSecurityGroupId"] = NODE_SECURITY_GROUP
            outputs["clusterSecurityGroupId"] = NODE_SECURITY_GROUP
            self._access_entry_children(args)
        elif args.typ == "eks:index:ManagedNodeGroup":
            template_id = self._launch_template_child(args)
            outputs["nodeGroup"] = self._node_group_reference(args.name, args.inputs, template_id)
        elif args.typ == "aws:ec2/eip:Eip":
            outputs["publicIp"] = f"203.0.113.{self.next_eip}"
            outputs["allocationId"] = f"eipalloc-{self.next_eip:017d}"
            self.next_eip += 1
        elif args.typ == "aws:iam/role:Role":
            outputs["arn"] = f"arn:aws:iam::123456789012:role/{args.name}"
            outputs["name"] = args.name
        return resource_id, outputs

    @staticmethod
    def _child_urn(name: str, typ: str) -> str:
        return (
            f"urn:pulumi:{pulumi.get_stack()}::{pulumi.get_project()}::cyperf-k8s:eks:NodeGroups$"
            f"eks:index:ManagedNodeGroup${typ}::{name}"
        )

    @staticmethod
    def _transformed(
        args: pulumi_mocks.MockResourceArgs, typ: str, name: str, props: dict[str, Any]
    ) -> tuple[dict[str, Any], pulumi.ResourceOptions]:
        """A child's props and options after the transforms the program put on its component."""
        opts = pulumi.ResourceOptions()
        for transform in args.transforms:
            result = transform(pulumi.ResourceTransformArgs(True, typ, name, props, opts))
            assert not inspect.isawaitable(result), "the mocks run synchronous transforms only"
            if result is not None:
                props, opts = dict(result.props), result.opts or pulumi.ResourceOptions()
        return props, opts

    def _access_entry_children(self, args: pulumi_mocks.MockResourceArgs) -> None:
        """The access entries pulumi-eks creates for the cluster's `accessEntries`
        (`nodejs/eks/cluster/authenticationMode.ts` createAccessEntries: `<name>-<key>`, and
        under it `<name>-<key>-<policy key>` per access policy), after the transforms; recorded
        with the aliases the transforms gave them."""
        parents = "cyperf-k8s:eks:Cluster$eks:index:Cluster"
        prefix = f"urn:pulumi:{pulumi.get_stack()}::{pulumi.get_project()}::"
        for key, entry in (args.inputs.get("accessEntries") or {}).items():
            name = f"{args.name}-{key}"
            children = [(ACCESS_ENTRY, name, parents, {"principalArn": entry["principalArn"]})]
            children += [
                (
                    POLICY_ASSOCIATION,
                    f"{name}-{policy_key}",
                    f"{parents}${ACCESS_ENTRY}",
                    {"principalArn": entry["principalArn"], "policyArn": policy["policyArn"]},
                )
                for policy_key, policy in (entry.get("accessPolicies") or {}).items()
            ]
            for typ, child, chain, props in children:
                props, opts = self._transformed(args, typ, child, props)
                self.remote_children.append(
                    {
                        "type": typ,
                        "name": child,
                        "urn": f"{prefix}{chain}${typ}::{child}",
                        "id": f"{args.name}:{entry['principalArn']}",
                        "inputs": props,
                        "aliases": list(opts.aliases or []),
                    }
                )

    def _launch_template_child(self, args: pulumi_mocks.MockResourceArgs) -> str | None:
        """Build the node group's launch template as pulumi-eks would, run the transforms the
        program put on the node group, record the result; returns the template's id."""
        recommended = recommended_ami(
            self.cluster_version, args.inputs.get("amiType", ""), self.ami_release
        )
        props = pulumi_eks_launch_template(args.inputs, recommended)
        if props is None:
            return None
        name = f"{args.name}-launchTemplate"
        if self.reparented_template:
            opts = pulumi.ResourceOptions()
        else:
            props, opts = self._transformed(args, LAUNCH_TEMPLATE, name, props)
        urn = self._child_urn(name, LAUNCH_TEMPLATE)
        template_id = f"lt-{args.name}"
        self.remote_children.append(
            {
                "type": LAUNCH_TEMPLATE,
                "name": name,
                "urn": urn,
                "id": template_id,
                "inputs": json.loads(json.dumps(props)),
                "ignoreChanges": list(opts.ignore_changes or []),
            }
        )
        return template_id

    def _node_group_reference(
        self, name: str, inputs: dict[str, Any], template_id: str | None
    ) -> dict[str, Any]:
        """A resource reference to the aws.eks.NodeGroup child pulumi-eks would create."""
        assert self.monitor is not None
        typ = "aws:eks/nodeGroup:NodeGroup"
        urn = self._child_urn(name, typ)
        state: dict[str, Any] = {
            "nodeGroupName": f"{name}-20260101000000000000000001",
            "releaseVersion": inputs.get("releaseVersion", LATEST_RELEASE_VERSION),
        }
        if template_id is not None:
            state["launchTemplate"] = {"id": template_id, "name": template_id, "version": "1"}
        self.monitor.resources[urn] = pulumi_mocks.MockMonitor.ResourceRegistration(
            urn, f"{name}-ng-id", state
        )
        return {rpc._special_sig_key: rpc._special_resource_sig, "urn": urn, "id": f"{name}-ng-id"}

    def answer(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[str, Any], list[Any]]:
        if args.token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            # Like the AWS API: names in name order, excludeZoneIds and state honoured.
            excluded = set(args.args.get("excludeZoneIds") or [])
            state = args.args.get("state")
            zones = sorted(
                (n, i)
                for n, i in self.zone_ids.items()
                if i not in excluded and state in (None, self.zone_states.get(n, "available"))
            )
            return {
                "id": "us-east-1",
                "names": [n for n, _ in zones],
                "zoneIds": [i for _, i in zones],
            }, []
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            account = self.caller_arn.split(":")[4]
            return {
                "id": account,
                "accountId": account,
                "arn": self.caller_arn,
                "userId": "AROA1",
            }, []
        if args.token == "aws:index/getPartition:getPartition":
            return {
                "id": "aws",
                "partition": "aws",
                "dnsSuffix": "amazonaws.com",
                "reverseDnsPrefix": "com.amazonaws",
            }, []
        if args.token == "aws:ec2/getVpc:getVpc":
            return {
                "id": args.args["id"],
                "cidrBlock": self.vpc_cidrs[0],
                "cidrBlockAssociations": [
                    {"associationId": f"assoc-{i}", "cidrBlock": c, "state": "associated"}
                    for i, c in enumerate(self.vpc_cidrs)
                ],
            }, []
        if args.token == "aws:ec2/getSubnet:getSubnet":
            subnet_id = args.args["id"]
            return {**existing_subnet(subnet_id), **self.subnet_changes.get(subnet_id, {})}, []
        if args.token == "aws:ec2/getRouteTables:getRouteTables":
            # Like the EC2 API: the tables matching every filter (an unassociated subnet: none).
            filters = {f["name"]: f["values"] for f in args.args.get("filters") or []}
            if filters.get("association.main") == ["true"]:
                ids = [MAIN_ROUTE_TABLE]
            else:
                [subnet_id] = filters["association.subnet-id"]
                ids = (
                    [ROUTE_TABLE_OF_SUBNET[subnet_id]] if subnet_id in ROUTE_TABLE_OF_SUBNET else []
                )
            return {"id": args.args["vpcId"], "ids": ids, "vpcId": args.args["vpcId"]}, []
        if args.token == "aws:ec2/getRouteTable:getRouteTable":
            table_id = args.args["routeTableId"]
            routes = [
                {"cidrBlock": EXISTING_VPC_CIDR, "gatewayId": "local"},
                {"cidrBlock": "0.0.0.0/0", **DEFAULT_ROUTES[table_id]},
            ]
            return {"id": table_id, "routeTableId": table_id, "routes": routes}, []
        if args.token == "aws:ec2/getLaunchTemplate:getLaunchTemplate":
            found = [c for c in self.remote_children if c["id"] == args.args["id"]]
            if not found and self.answer_every_read:
                # The benchmarks' floor replays its invokes before any registration.
                return launch_template_read(args.args["id"], {}), []
            [template] = found
            return launch_template_read(template["id"], template["inputs"]), []
        if args.token == "aws:eks/getAddonVersion:getAddonVersion":
            # Like describe-addon-versions: one build per add-on and Kubernetes minor version.
            minor = str(args.args["kubernetesVersion"]).split(".")[1]
            version = f"v1.{minor}.0-eksbuild.{LATEST_ADDON_BUILD}"
            return {"id": args.args["addonName"], **dict(args.args), "version": version}, []
        if args.token == "aws:ec2/getNatGateway:getNatGateway":
            nat_id = args.args["id"]
            if nat_id in self.private_nats:
                return {"id": nat_id, "connectivityType": "private", "publicIp": ""}, []
            if nat_id in self.regional_nats:
                # pulumi-aws 7.51.1: a regional gateway has no publicIp of its own.
                return {
                    "id": nat_id,
                    "connectivityType": "public",
                    "availabilityMode": "regional",
                    "publicIp": "",
                    **self.regional_nats[nat_id],
                }, []
            secondary = EXISTING_NAT_SECONDARY_EIPS.get(nat_id, {})
            return {
                "id": nat_id,
                "connectivityType": "public",
                "availabilityMode": "zonal",
                "publicIp": EXISTING_NAT_PUBLIC_IPS[nat_id],
                "secondaryAllocationIds": sorted(secondary),
            }, []
        if args.token == "aws:ec2/getElasticIp:getElasticIp":
            [ip] = [
                eips[args.args["id"]]
                for eips in EXISTING_NAT_SECONDARY_EIPS.values()
                if args.args["id"] in eips
            ]
            return {"id": args.args["id"], "publicIp": ip}, []
        return super().answer(args)
