"""The EKS node group section (`eks.nodeGroups`): one managed node group per agent role."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from components.cyperf import ROLE_LABEL
from components.settings.eks.fields import (
    AMI_ARCHITECTURE,
    DEFAULT_INSTANCE_TYPE,
    AmiId,
    AmiReleaseVersion,
    AmiType,
    InstanceType,
    instance_architecture,
)
from components.settings.fields import LabelMap, Model
from components.settings.problems import Problem, raise_any, repeated


class NodeGroupSettings(Model):
    """One managed node group, labelled `agenttype=<role>`."""

    instance_types: list[InstanceType] = Field(
        default_factory=lambda: [DEFAULT_INSTANCE_TYPE], min_length=1, max_length=20
    )
    """EC2 instance types (Keysight's default c5.2xlarge); their architecture must match
    `amiType`."""
    desired_size: int = Field(default=1, ge=0, le=450)
    """Nodes to run, between `minSize` and `maxSize`; with one agent per node at least the
    replicas aimed at the group."""
    min_size: int = Field(default=1, ge=0, le=450)
    """Fewest nodes the group scales to."""
    max_size: int = Field(default=2, ge=1, le=450)
    """Most nodes the group scales to; also what the subnet size checks count with."""
    capacity_type: Literal["ON_DEMAND", "SPOT"] = "ON_DEMAND"
    """On-demand or spot instances."""
    ami_type: AmiType = "AL2023_x86_64_STANDARD"
    """The node OS image: AL2023 or Bottlerocket; ARM_64 types make an arm64 group (Graviton
    instance types, agent groups with `architecture: arm64`)."""
    ami_id: AmiId | None = None
    """Pins the node AMI where the stack writes the nodes' user data (Calico, or `cni.maxPods`).
    Unset, the AMI the group has is kept until the version or amiType changes."""
    ami_release_version: AmiReleaseVersion | None = None
    """Pins the EKS AMI release where EKS picks the AMI (the VPC CNI without `cni.maxPods`).
    Unset, the release EKS chose at creation is kept."""
    disk_size: int = Field(default=50, ge=20, le=16384)
    """Node root volume size in GiB."""
    dedicated: bool = False
    """Taint the nodes `agenttype=<role>:NoSchedule` so only that role's agents run there (the
    agents get the matching toleration)."""
    labels: LabelMap = Field(default_factory=dict)
    """Extra node labels; the group always carries `agenttype: <role>`."""

    @model_validator(mode="after")
    def _consistent(self) -> NodeGroupSettings:
        problems: list[Problem] = []
        if self.min_size > self.max_size:
            problems.append(
                Problem(("minSize",), f"must not exceed maxSize {self.max_size}", self.min_size)
            )
        elif not self.min_size <= self.desired_size <= self.max_size:
            problems.append(
                Problem(
                    ("desiredSize",),
                    f"must lie between minSize {self.min_size} and maxSize {self.max_size}",
                    self.desired_size,
                )
            )
        if twice := repeated(self.instance_types):
            problems.append(
                Problem(
                    ("instanceTypes",),
                    f"lists {twice} more than once",
                    self.instance_types,
                )
            )
        wrong = [t for t in self.instance_types if instance_architecture(t) != self.architecture]
        if wrong:
            problems.append(
                Problem(
                    ("instanceTypes",),
                    f"{wrong} do not match amiType {self.ami_type!r} ({self.architecture}); "
                    + (
                        "use Graviton types (m7g, c7g, ...) with an ARM_64 amiType"
                        if self.architecture == "arm64"
                        else "use x86_64 types, or an ARM_64 amiType for Graviton types"
                    ),
                    self.instance_types,
                )
            )
        if ROLE_LABEL in self.labels:
            problems.append(
                Problem(
                    ("labels",),
                    f"{ROLE_LABEL!r} is set by the stack to the group's role; remove it",
                    self.labels,
                )
            )
        raise_any(problems)
        return self

    @property
    def architecture(self) -> Literal["amd64", "arm64"]:
        return AMI_ARCHITECTURE[self.ami_type]

    def node_labels(self, role: str) -> dict[str, str]:
        return {**self.labels, ROLE_LABEL: role}


class NodeGroupsSettings(Model):
    """One managed node group per agent role; `null` leaves a role without nodes."""

    client: NodeGroupSettings | None = NodeGroupSettings()
    """The client agents' node group; `null` for none."""
    server: NodeGroupSettings | None = NodeGroupSettings()
    """The server agents' node group; `null` for none."""

    def by_role(self) -> dict[str, NodeGroupSettings]:
        groups = {"client": self.client, "server": self.server}
        return {role: group for role, group in groups.items() if group is not None}
