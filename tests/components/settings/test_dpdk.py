"""DPDK mode's settings: the CPU list and the inventory defaults."""

from __future__ import annotations

import pytest

from components.settings.dpdk import Dpdk, cpu_ids


@pytest.mark.parametrize(
    ("cpu_set", "ids"), [("2", [2]), ("2,3", [2, 3]), ("4-7", [4, 5, 6, 7]), ("0-1,8", [0, 1, 8])]
)
def test_cpu_lists_expand_to_every_cpu(cpu_set: str, ids: list[int]) -> None:
    assert cpu_ids(cpu_set) == ids


def test_defaults_are_two_one_gib_pages() -> None:
    dpdk = Dpdk.model_validate(
        {"inventory": [{"node": "n1", "pciId": "0000:0b:00.0", "numaNode": 1, "cpuSet": "8-9"}]}
    )
    assert (dpdk.hugepage_size, dpdk.hugepages) == ("1Gi", "2Gi")
    assert dpdk.inventory[0].numa_node == 1
