"""Facts of the Linux kernel and kube-proxy that conntrack sizing rests on, and the stack's own
defaults the settings and the planner share (pure constants: imports nothing of the project).

Sources: the kernel's Documentation/networking/nf_conntrack-sysctl.rst (the TIME_WAIT timeout),
net/netfilter/nf_conntrack_standalone.c (nf_conntrack_max, an int bounded by INT_MAX),
include/net/tcp.h (TCP_TIMEWAIT_LEN) and Documentation/networking/ip-sysctl.rst
(ip_local_port_range); kubernetes pkg/proxy/conntrack/sysctls.go and
pkg/proxy/apis/config/v1alpha1/defaults.go (kube-proxy's maxPerCore and min).
"""

from __future__ import annotations

# kube-proxy's defaults (KubeProxyConntrackConfiguration): maxPerCore and min.
KUBE_PROXY_MAX_PER_CORE = 32_768
KUBE_PROXY_MIN = 131_072
# Since Kubernetes 1.36 (kubernetes/kubernetes#137002) the scaled value is capped at 1Mi entries.
KUBE_PROXY_SCALED_CAP = 1_048_576
KUBE_PROXY_CAP_SINCE_MINOR = 36
# Kernel default of nf_conntrack_tcp_timeout_time_wait; kube-proxy never changes it.
KERNEL_TIME_WAIT_SECONDS = 120
# nf_conntrack_max is an int sysctl bounded by INT_MAX (proc_dointvec_minmax).
MAX_TABLE_ENTRIES = 2**31 - 1
# How long a Linux TCP socket holds its 4-tuple in TIME_WAIT (TCP_TIMEWAIT_LEN, not tunable).
TCP_SOCKET_TIME_WAIT_SECONDS = 60
# Linux's default net.ipv4.ip_local_port_range, and the widest unprivileged one.
KERNEL_LOCAL_PORT_RANGE = (32_768, 60_999)
WIDEST_LOCAL_PORT_RANGE = (1_024, 65_535)

# The stack's defaults. Other traffic shares the node's table (kubelet, DNS, the agents'
# controller sessions), and a test's peak overshoots its objective for a moment; a quarter more
# covers both without reserving memory nobody uses.
DEFAULT_HEADROOM = 1.25
MAX_HEADROOM = 10.0
# How soon the node-tuning loop undoes a kube-proxy restart, which resets the maximum.
DEFAULT_INTERVAL_SECONDS = 30
