"""Which availability zones a created VPC uses (pure: the region's zones in, names out)."""

from __future__ import annotations

from components.settings.eks.fields import UNSUPPORTED_EKS_ZONE_IDS
from components.settings.eks.network import NetworkSettings
from components.settings.problems import Problem, raise_any


def chosen_zones(names: list[str], zone_ids: list[str], network: NetworkSettings) -> list[str]:
    """The zone names of a created VPC's subnets, from the region's available zones (an AWS
    lookup: names and IDs in the same order). `availabilityZoneCount` takes the first zones of a
    lookup that already excludes UNSUPPORTED_EKS_ZONE_IDS (in name order, as before, so a working
    stack keeps its subnets); explicit names or IDs are checked against it. Raises Problems."""
    by_name = dict(zip(names, zone_ids, strict=True))
    by_id = dict(zip(zone_ids, names, strict=True))
    problems: list[Problem] = []
    path = ("eks", "network")
    if network.availability_zone_ids is not None:
        for index, zone_id in enumerate(network.availability_zone_ids):
            if zone_id not in by_id:
                problems.append(
                    Problem(
                        (*path, "availabilityZoneIds", index),
                        f"is not an available zone of the region (zone IDs: {sorted(by_id)})",
                        zone_id,
                    )
                )
        raise_any(problems)
        return [by_id[zone_id] for zone_id in network.availability_zone_ids]
    if network.availability_zones is not None:
        for index, name in enumerate(network.availability_zones):
            if name not in by_name:
                problems.append(
                    Problem(
                        (*path, "availabilityZones", index),
                        f"is not an available zone of the region (zones: {names})",
                        name,
                    )
                )
            elif by_name[name] in UNSUPPORTED_EKS_ZONE_IDS:
                problems.append(
                    Problem(
                        (*path, "availabilityZones", index),
                        f"is zone ID {by_name[name]} in this account, where EKS cannot place "
                        "cluster subnets (EKS subnet requirements); choose another zone",
                        name,
                    )
                )
        raise_any(problems)
        return list(network.availability_zones)
    usable = [n for n in names if by_name[n] not in UNSUPPORTED_EKS_ZONE_IDS]
    wanted = network.availability_zone_count
    if len(usable) < wanted:
        raise_any(
            [
                Problem(
                    (*path, "availabilityZoneCount"),
                    f"the region has only {len(usable)} available zones where EKS can place "
                    f"cluster subnets {usable}; ask for at most {len(usable)}",
                    wanted,
                )
            ]
        )
    return usable[:wanted]
