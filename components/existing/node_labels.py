"""Labels existing nodes `agenttype=client|server`, the guide's manual `kubectl label nodes` step.

Server-side apply patches: destroying the stack gives the label back (removes it).
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_kubernetes as k8s

from components import specs
from components.cyperf import Role


class NodeLabels(pulumi.ComponentResource):
    patches: list[k8s.core.v1.NodePatch]

    def __init__(
        self,
        name: str,
        node_roles: Mapping[str, Role],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("cyperf-k8s:index:NodeLabels", name, None, opts)
        self.patches = [
            k8s.core.v1.NodePatch(
                f"{name}-{node}",
                metadata=specs.node_label_patch(node, role)["metadata"],
                opts=pulumi.ResourceOptions(parent=self),
            )
            for node, role in sorted(node_roles.items())
        ]
        self.register_outputs({"nodes": dict(sorted(node_roles.items()))})
