"""The one named exception to the agents' hardening: DPDK agents.

Keysight's DPDK container runs privileged with the host's /dev, /lib/modules and /lib/firmware
(Keysight/cyperf deployment/containers/dpdk/README.md; deployment/k8s/multus/
multus_multi_iface_dpdk.yaml): it binds the NIC to vfio-pci, maps hugepages and opens /dev/vfio.
The exception holds only for an agent container that runs the DPDK image in a pod template the
stack labelled as a DPDK group's (components/test_network.py); the same privileges anywhere else
stay refused by cyperf-agent-security-context and host-access-only-node-tuning.
"""

from __future__ import annotations

from typing import Final

from policy.values import get, parse_image
from policy.workloads import Container, PodTemplate

DPDK_EXCEPTION: Final = "cyperf-dpdk-agent-host-access"
DPDK_LABEL: Final = "cyperf-k8s/dpdk"
DPDK_IMAGE_REPOSITORY: Final = "public.ecr.aws/keysight/cyperf-agent-dpdk"
DPDK_HOST_PATHS: Final = ("/dev", "/lib/modules", "/lib/firmware")
DESCRIPTION: Final = (
    f"Exception {DPDK_EXCEPTION}: an agent container running {DPDK_IMAGE_REPOSITORY} in a pod "
    f"template labelled {DPDK_LABEL}=true may be privileged (and so leave "
    "allowPrivilegeEscalation unset), and that template may mount the host paths "
    f"{', '.join(DPDK_HOST_PATHS)} into such containers only; nothing else."
)


def is_dpdk_template(template: PodTemplate) -> bool:
    return get(template.labels, DPDK_LABEL) == "true"


def is_dpdk_agent(template: PodTemplate, container: Container) -> bool:
    """A DPDK group's agent container: the label on its template and the DPDK image."""
    return (
        is_dpdk_template(template)
        and isinstance(container.image, str)
        and parse_image(container.image).repository == DPDK_IMAGE_REPOSITORY
    )
