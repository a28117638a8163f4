"""Which logs a pod has (current, and previous for restarted containers) and where they go."""

from __future__ import annotations

from ops.podlogs import LogItem, log_items
from ops.pods import agent_pod
from tests.ops.fake_kube import pod_json


def test_log_items_and_their_paths() -> None:
    restarted = agent_pod(pod_json("p", "client", "10.0.0.1", "n1", restarts=1))
    items = log_items(restarted, "kube-system", "kube-system")
    assert [i.path for i in items] == [
        "kube-system/p/cyperf-agent-client.log",
        "kube-system/p/cyperf-agent-client.previous.log",
    ]
    assert all(i.namespace == "kube-system" for i in items)
    fresh = agent_pod(pod_json("q", "client", "10.0.0.2", "n1"))
    assert log_items(fresh, "pods", None) == [LogItem("q", "cyperf-agent-client", False)]
