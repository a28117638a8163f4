"""Moving the admins' access entries of a deployed stack from their old position keys
(`admin-<index>`) to principal keys (components.eks.admins.admin_key) without replacing them.

pulumi-eks names each entry `<cluster resource>-<key>` and its policy association
`<cluster resource>-<key>-<policy key>`, the association a child of the entry
(`nodejs/eks/cluster/authenticationMode.ts` createAccessEntries, v4.3.0 and main). The state
says which principal each old entry holds, so each new entry takes the URN of the old entry of
its own principal as an alias: the engine moves it without a replacement, and an old entry whose
principal is gone is deleted. Aliases map
cleanly here (one old entry per principal: adminPrincipalArns has no repeats), so
delete_before_replace, which would drop a principal's access for a moment, is not needed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pulumi

from components.eks import previous
from components.eks.admins import ADMIN_KEY_PREFIX, ADMIN_POLICY_KEY, admin_key
from components.settings.eks.section import EksSettings


def entry_aliases(
    cluster_resource: str, eks: EksSettings, state: previous.PreviousEks
) -> dict[tuple[str, str], str]:
    """(type, new name) -> URN of the deployed resource with an old position key that holds the
    same principal, for the entries and their policy associations."""
    old_name = re.compile(re.escape(f"{cluster_resource}-{ADMIN_KEY_PREFIX}") + r"[0-9]+")
    wanted = set(eks.cluster.admin_principal_arns)
    aliases: dict[tuple[str, str], str] = {}
    associations = {r.name: r.urn for r in state.of_type(previous.POLICY_ASSOCIATION_TYPE)}
    for entry in state.of_type(previous.ACCESS_ENTRY_TYPE):
        arn = str(entry.outputs.get("principalArn", ""))
        if not old_name.fullmatch(entry.name) or arn not in wanted:
            continue
        new = f"{cluster_resource}-{admin_key(arn)}"
        aliases[(previous.ACCESS_ENTRY_TYPE, new)] = entry.urn
        association = associations.get(f"{entry.name}-{ADMIN_POLICY_KEY}")
        if association is not None:
            aliases[(previous.POLICY_ASSOCIATION_TYPE, f"{new}-{ADMIN_POLICY_KEY}")] = association
    return aliases


def alias_transform(aliases: Mapping[tuple[str, str], str]) -> pulumi.ResourceTransform:
    """A transform (on the eks.Cluster, reaching its children) adding each child's alias."""

    def transform(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
        alias = aliases.get((args.type_, args.name))
        if alias is None:
            return None
        opts = pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(aliases=[alias]))
        return pulumi.ResourceTransformResult(args.props, opts)

    return transform
