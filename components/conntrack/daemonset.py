"""The node-tuning DaemonSet: asserts a conntrack plan's sysctls on the agent nodes (pure).

Why a DaemonSet, and why these privileges (sources: the kernel's
net/netfilter/nf_conntrack_standalone.c, Documentation/networking/nf_conntrack-sysctl.rst and
net/sysctl_net.c; kubernetes pkg/kubelet/sysctl/safe_sysctls.go and pkg/proxy/conntrack/sysctls.go):

- `net.netfilter.nf_conntrack_max` is host-wide and writable only from the initial network
  namespace; the TIME_WAIT timeout is per network namespace, and the table that tracks the
  agents' traffic is the host namespace's. No `net.netfilter.*` sysctl is in the kubelet's safe
  set, and pod sysctls apply to the pod's own namespace anyway. So the pod runs with
  `hostNetwork: true`: the kernel resolves /proc/sys/net/* for the namespace of the process that
  reads or writes it.
- The container runtime mounts /proc/sys read-only in every unprivileged container. Instead of
  `privileged: true` (every capability, every device, no seccomp) the pod mounts only the host's
  /proc/sys/net/netfilter directory, writable. The kernel lets the root user of the namespace's
  owning user namespace write these files with no capability at all (net/sysctl_net.c,
  net_ctl_permissions), so the container runs as UID 0 with every capability dropped, no
  privilege escalation, the runtime's seccomp profile and a read-only root filesystem.
- It needs no Kubernetes API access, so no service-account token is mounted.
- kube-proxy sets nf_conntrack_max on every start, and on Kubernetes 1.29 up to 1.37 it also
  lowers a larger value (kubernetes/kubernetes#120448, restored to "raise only" by
  kubernetes/kubernetes#142035). The loop therefore re-asserts the maximum every
  `interval_seconds`, only ever raising it, and logs the table's count and maximum each cycle for
  the log bundle.

Not proven on the local rig (KWOK runs no containers): the kernel effects. On SELinux-enforcing
nodes (Bottlerocket) the policy may deny an unprivileged container these writes; the loop then
exits with the kernel's error and the pod restarts visibly instead of pretending.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from components.conntrack.kernel import DEFAULT_INTERVAL_SECONDS, MAX_TABLE_ENTRIES

# The Docker Official busybox image, from the registry the agents' images already come from.
# Pinned by tag only: no digest of it has been verified for this stack.
NODE_TUNING_IMAGE = "public.ecr.aws/docker/library/busybox:1.37.0"
NAME_LABEL = "app.kubernetes.io/name"
NAME_VALUE = "cyperf-node-tuning"
INSTANCE_LABEL = "cyperf-k8s/node-tuning"
CONTAINER_NAME = "conntrack-tuning"
NETFILTER_HOST_PATH = "/proc/sys/net/netfilter"
NETFILTER_MOUNT_PATH = "/host/proc/sys/net/netfilter"

# POSIX sh (busybox ash in the image). Raise-only for the maximum, so several DaemonSets on the
# same node (groups sharing nodes) converge on the largest plan instead of fighting. Values are
# read with `cat`, never the shell's `read`: a sysctl file answers only a read at offset 0, and
# `read` takes one byte at a time (it gets the first digit, then end of file).
TUNING_SCRIPT = r"""set -u
trap 'exit 0' TERM INT
dir="$NETFILTER_DIR"
while :; do
  max=$(cat "$dir/nf_conntrack_max") || exit 1
  if [ "$max" -lt "$CONNTRACK_MAX" ]; then
    echo "$CONNTRACK_MAX" > "$dir/nf_conntrack_max" || exit 1
    echo "raised nf_conntrack_max from $max to $CONNTRACK_MAX"
  fi
  if [ -n "$TIME_WAIT_SECONDS" ]; then
    tw=$(cat "$dir/nf_conntrack_tcp_timeout_time_wait") || exit 1
    if [ "$tw" -ne "$TIME_WAIT_SECONDS" ]; then
      echo "$TIME_WAIT_SECONDS" > "$dir/nf_conntrack_tcp_timeout_time_wait" || exit 1
      echo "set nf_conntrack_tcp_timeout_time_wait from $tw to $TIME_WAIT_SECONDS"
    fi
  fi
  count=$(cat "$dir/nf_conntrack_count") || exit 1
  max=$(cat "$dir/nf_conntrack_max") || exit 1
  tw=$(cat "$dir/nf_conntrack_tcp_timeout_time_wait") || exit 1
  echo "nf_conntrack_count=$count nf_conntrack_max=$max target_max=$CONNTRACK_MAX" \
    "nf_conntrack_tcp_timeout_time_wait=$tw"
  sleep "$INTERVAL_SECONDS" &
  wait $!
done
"""


def daemonset_name(instance: str) -> str:
    return f"cyperf-node-tuning-{instance}"


def pod_labels(instance: str) -> dict[str, str]:
    # Deliberately not `app: cyperf-agent`: the agents' one-agent-per-node anti-affinity selects
    # that label and would keep every agent off a tuned node.
    return {NAME_LABEL: NAME_VALUE, INSTANCE_LABEL: instance}


def tuning_env(
    conntrack_max: int, time_wait_seconds: int | None, interval_seconds: int
) -> list[dict[str, str]]:
    return [
        {"name": "NETFILTER_DIR", "value": NETFILTER_MOUNT_PATH},
        {"name": "CONNTRACK_MAX", "value": str(conntrack_max)},
        # Empty leaves the kernel's timeout alone: only an explicit plan value is written.
        {
            "name": "TIME_WAIT_SECONDS",
            "value": "" if time_wait_seconds is None else str(time_wait_seconds),
        },
        {"name": "INTERVAL_SECONDS", "value": str(interval_seconds)},
    ]


def tuning_container(
    conntrack_max: int, time_wait_seconds: int | None, interval_seconds: int
) -> dict[str, Any]:
    return {
        "name": CONTAINER_NAME,
        "image": NODE_TUNING_IMAGE,
        "command": ["/bin/sh", "-c", TUNING_SCRIPT],
        "env": tuning_env(conntrack_max, time_wait_seconds, interval_seconds),
        "securityContext": {
            # Root only as the owner of the sysctl files; no capability is needed for them.
            "runAsUser": 0,
            "runAsGroup": 0,
            "privileged": False,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": True,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        # A shell loop that reads four files and sleeps.
        "resources": {
            "requests": {"cpu": "5m", "memory": "8Mi"},
            "limits": {"cpu": "50m", "memory": "16Mi"},
        },
        "volumeMounts": [{"name": "host-netfilter", "mountPath": NETFILTER_MOUNT_PATH}],
    }


def _check(conntrack_max: int, time_wait_seconds: int | None, interval_seconds: int) -> None:
    if not 1 <= conntrack_max <= MAX_TABLE_ENTRIES:
        raise ValueError(f"conntrack_max must be 1-{MAX_TABLE_ENTRIES} (got {conntrack_max})")
    if time_wait_seconds is not None and time_wait_seconds < 1:
        raise ValueError(f"time_wait_seconds must be >= 1 (got {time_wait_seconds})")
    if not 5 <= interval_seconds <= 3600:
        raise ValueError(f"interval_seconds must be 5-3600 (got {interval_seconds})")


def node_tuning_daemonset(
    *,
    instance: str,
    namespace: str,
    node_selector: Mapping[str, str],
    tolerations: Sequence[Mapping[str, str]],
    conntrack_max: int,
    time_wait_seconds: int | None,
    interval_seconds: int = DEFAULT_INTERVAL_SECONDS,
) -> dict[str, Any]:
    """A DaemonSet on exactly the nodes the agents of `instance` may use.

    `node_selector` and `tolerations` are the agent group's own (its effective selector and
    the same tolerations its Deployment gets), so the DaemonSet covers every node the
    scheduler may give the agents, and no other.
    """
    _check(conntrack_max, time_wait_seconds, interval_seconds)
    if not node_selector:
        # An empty selector would tune every node in the cluster.
        raise ValueError(f"{instance}: the node selector must not be empty")
    labels = pod_labels(instance)
    pod_spec: dict[str, Any] = {
        "hostNetwork": True,
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "terminationGracePeriodSeconds": 5,
        "nodeSelector": dict(node_selector),
        "containers": [tuning_container(conntrack_max, time_wait_seconds, interval_seconds)],
        "volumes": [
            {
                "name": "host-netfilter",
                # Directory: a node without the nf_conntrack module shows a clear mount event.
                "hostPath": {"path": NETFILTER_HOST_PATH, "type": "Directory"},
            }
        ],
    }
    if tolerations:
        pod_spec["tolerations"] = [dict(t) for t in tolerations]
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": daemonset_name(instance), "namespace": namespace, "labels": labels},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": pod_spec},
        },
    }
