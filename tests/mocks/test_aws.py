"""The AWS and pulumi-eks mocks: invokes answered like the AWS APIs (and recorded), remote
components answered with what the program reads from them, and launch templates built the way
pulumi-eks builds them."""

from __future__ import annotations

import json
from typing import Any

import pulumi

from mocks.aws import (
    EXISTING_SUBNETS,
    KUBECONFIG,
    MAIN_ROUTE_TABLE,
    NODE_SECURITY_GROUP,
    EksMocks,
    existing_subnet,
    launch_template_read,
    pulumi_eks_launch_template,
)
from tests.mocks.support import run_done

ZONES_TOKEN = "aws:index/getAvailabilityZones:getAvailabilityZones"


def invoked(mocks: EksMocks, calls: dict[str, tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """The answers to `calls` (name -> token, arguments), run under `mocks`."""
    answers: dict[str, Any] = {}

    def body() -> None:
        outputs = {
            name: pulumi.runtime.invoke_output(token, args) for name, (token, args) in calls.items()
        }
        pulumi.export(
            "done", pulumi.Output.all(**outputs).apply(lambda v: answers.update(v) or True)
        )

    run_done(mocks, body)
    return answers


def test_invokes_are_recorded() -> None:
    mocks = EksMocks()

    def body() -> None:
        zones = pulumi.runtime.invoke_output(
            "aws:index/getAvailabilityZones:getAvailabilityZones", {}
        )
        pulumi.export(
            "done",
            zones.apply(lambda z: z["names"][:3] == ["us-east-1a", "us-east-1b", "us-east-1c"]),
        )

    run_done(mocks, body)
    assert [i.token for i in mocks.invokes] == [
        "aws:index/getAvailabilityZones:getAvailabilityZones"
    ]


def test_zones_come_in_name_order_without_the_excluded_ids() -> None:
    mocks = EksMocks(zone_ids={"us-east-1b": "use1-az2", "us-east-1a": "use1-az1"})
    answers = invoked(
        mocks,
        {
            "all": (ZONES_TOKEN, {}),
            "some": (ZONES_TOKEN, {"excludeZoneIds": ["use1-az1"]}),
        },
    )
    assert (answers["all"]["names"], answers["all"]["zoneIds"]) == (
        ["us-east-1a", "us-east-1b"],
        ["use1-az1", "use1-az2"],
    )
    assert (answers["some"]["names"], answers["some"]["zoneIds"]) == (["us-east-1b"], ["use1-az2"])
    # Both recorded with their arguments (the two calls run concurrently: in either order).
    recorded = sorted(json.dumps(i.args, sort_keys=True) for i in mocks.invokes)
    assert recorded == ['{"excludeZoneIds": ["use1-az1"]}', "{}"]


def test_existing_subnets_and_their_route_tables() -> None:
    private, public = "subnet-0aaaaaaaaaaaaaaa2", "subnet-0bbbbbbbbbbbbbbb1"
    mocks = EksMocks(subnet_changes={private: {"availableIpAddressCount": 12}})
    tables = "aws:ec2/getRouteTables:getRouteTables"
    answers = invoked(
        mocks,
        {
            "private": ("aws:ec2/getSubnet:getSubnet", {"id": private}),
            "public": ("aws:ec2/getSubnet:getSubnet", {"id": public}),
            "unassociated": (
                tables,
                {"vpcId": "v", "filters": [{"name": "association.subnet-id", "values": [private]}]},
            ),
            "associated": (
                tables,
                {"vpcId": "v", "filters": [{"name": "association.subnet-id", "values": [public]}]},
            ),
            "main": (
                tables,
                {"vpcId": "v", "filters": [{"name": "association.main", "values": ["true"]}]},
            ),
        },
    )
    assert answers["private"]["cidrBlock"] == EXISTING_SUBNETS[private]
    assert answers["private"]["availableIpAddressCount"] == 12
    assert answers["private"]["mapPublicIpOnLaunch"] is False
    assert {k: answers["public"][k] for k in existing_subnet(public)} == existing_subnet(public)
    assert answers["public"]["mapPublicIpOnLaunch"] is True
    # A subnet without its own table uses the VPC's main one (a second lookup).
    assert answers["unassociated"]["ids"] == []
    assert answers["associated"]["ids"] == ["rtb-0bbbbbbbbbbbbbbb0"]
    assert answers["main"]["ids"] == [MAIN_ROUTE_TABLE]


def test_remote_cluster_and_elastic_ips_answer_what_the_program_reads() -> None:
    answered: dict[str, Any] = {}

    def body() -> None:
        cluster = pulumi.CustomResource(
            "eks:index:Cluster",
            "cluster",
            {"version": "1.35", "kubeconfigJson": None, "nodeSecurityGroupId": None},
        )
        first = pulumi.CustomResource("aws:ec2/eip:Eip", "first", {"publicIp": None})
        second = pulumi.CustomResource(
            "aws:ec2/eip:Eip",
            "second",
            {"publicIp": None},
            pulumi.ResourceOptions(depends_on=[first]),
        )
        values = pulumi.Output.all(
            cluster.kubeconfigJson,  # type: ignore[attr-defined]
            cluster.nodeSecurityGroupId,  # type: ignore[attr-defined]
            first.publicIp,  # type: ignore[attr-defined]
            second.publicIp,  # type: ignore[attr-defined]
        )
        pulumi.export("done", values.apply(lambda v: answered.update(v=v) or True))

    mocks = EksMocks()
    run_done(mocks, body)
    kubeconfig, security_group, first_ip, second_ip = answered["v"]
    assert json.loads(kubeconfig) == KUBECONFIG
    assert security_group == NODE_SECURITY_GROUP
    assert (first_ip, second_ip) == ("203.0.113.1", "203.0.113.2")
    assert mocks.cluster_version == "1.35"


def test_launch_templates_as_pulumi_eks_builds_them() -> None:
    # No input that needs a custom template: pulumi-eks creates none.
    assert pulumi_eks_launch_template({"diskSize": 50, "amiType": "AL2023_x86_64_STANDARD"}) is None
    recommended = pulumi_eks_launch_template(
        {"diskSize": 50, "kubeletExtraArgs": "--max-pods=110"}, "ami-1"
    )
    assert recommended == {
        "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"volumeSize": 50}}],
        "userData": "<user data rendered by pulumi-eks>",
        "imageId": "ami-1",
    }
    pinned = pulumi_eks_launch_template(
        {"amiId": "ami-pinned", "amiType": "BOTTLEROCKET_x86_64", "diskSize": 20}
    )
    assert pinned is not None and pinned["imageId"] == "ami-pinned"
    assert pinned["blockDeviceMappings"][0]["deviceName"] == "/dev/xvdb"
    imds = pulumi_eks_launch_template({"enableIMDSv2": True})
    assert imds == {
        "metadataOptions": {
            "httpTokens": "required",
            "httpPutResponseHopLimit": 2,
            "httpEndpoint": "enabled",
        }
    }


def test_get_launch_template_answers_with_the_data_sources_lists() -> None:
    props = {
        "imageId": "ami-1",
        "tags": {"k": "v"},
        "metadataOptions": {"httpPutResponseHopLimit": 1},
        "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"volumeType": "gp3"}}],
    }
    assert launch_template_read("lt-1", props) == {
        "id": "lt-1",
        "imageId": "ami-1",
        "tags": {"k": "v"},
        "metadataOptions": [{"httpPutResponseHopLimit": 1}],
        "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": [{"volumeType": "gp3"}]}],
    }
    assert launch_template_read("lt-2", {})["metadataOptions"] == []


def test_zone_states_are_honoured_only_when_the_lookup_filters_on_state() -> None:
    mocks = EksMocks(zone_states={"us-east-1a": "impaired"})
    answers = invoked(
        mocks,
        {"all": (ZONES_TOKEN, {}), "available": (ZONES_TOKEN, {"state": "available"})},
    )
    assert answers["all"]["names"][:2] == ["us-east-1a", "us-east-1b"]
    assert "us-east-1a" not in answers["available"]["names"]


def test_regional_nat_gateways_answer_without_a_public_ip() -> None:
    token = "aws:ec2/getNatGateway:getNatGateway"
    regional = {"regionalNatGatewayAddresses": [{"publicIp": "198.51.100.31"}]}
    answers = invoked(
        EksMocks(regional_nats={"nat-0aaaaaaaaaaaaaaa1": regional}),
        {
            "regional": (token, {"id": "nat-0aaaaaaaaaaaaaaa1"}),
            "zonal": (token, {"id": "nat-0aaaaaaaaaaaaaaa2"}),
        },
    )
    assert answers["regional"]["availabilityMode"] == "regional"
    assert answers["regional"]["publicIp"] == ""
    assert answers["regional"]["regionalNatGatewayAddresses"] == [{"publicIp": "198.51.100.31"}]
    assert (answers["zonal"]["availabilityMode"], answers["zonal"]["publicIp"]) == (
        "zonal",
        "198.51.100.12",
    )


def test_a_clusters_access_entries_as_pulumi_eks_names_them() -> None:
    def body() -> None:
        cluster = pulumi.CustomResource(
            "eks:index:Cluster",
            "c",
            {
                "version": "1.35",
                "accessEntries": {
                    "admin-x": {
                        "principalArn": "arn:aws:iam::1:role/A",
                        "accessPolicies": {"cluster-admin": {"policyArn": "arn:p"}},
                    }
                },
            },
        )
        pulumi.export("done", cluster.urn.apply(lambda _: True))

    mocks = EksMocks()
    run_done(mocks, body)
    assert [(c["type"].rsplit(":", 1)[1], c["name"]) for c in mocks.remote_children] == [
        ("AccessEntry", "c-admin-x"),
        ("AccessPolicyAssociation", "c-admin-x-cluster-admin"),
    ]
    assert mocks.remote_children[1]["urn"].endswith(
        "eks:index:Cluster$aws:eks/accessEntry:AccessEntry$"
        "aws:eks/accessPolicyAssociation:AccessPolicyAssociation::c-admin-x-cluster-admin"
    )
