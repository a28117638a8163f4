"""The node labels the guide sets with `kubectl label nodes`: one server-side patch per named
node, inside the NodeLabels component."""

from __future__ import annotations

from tests.support.program import config_of, default_cluster_state, run_stack

# The default server group's Endpoints, as the cluster reports them.
SERVED = default_cluster_state(
    endpoints={"cyperf-agent-service": {"subsets": [{"addresses": [{"ip": "10.244.0.5"}]}]}}
)


def test_one_patch_per_node_under_the_component() -> None:
    run = run_stack(config_of(nodeLabels={"worker-b": "server", "worker-a": "client"}), SERVED)
    component = run.one("cyperf-k8s:index:NodeLabels", "node-labels")
    patches = sorted(run.of_type("kubernetes:core/v1:NodePatch"), key=lambda p: p.name)
    assert [p.name for p in patches] == ["node-labels-worker-a", "node-labels-worker-b"]
    assert [p.inputs["metadata"] for p in patches] == [
        {
            "name": "worker-a",
            "labels": {"agenttype": "client"},
            "annotations": {"pulumi.com/patchForce": "true"},
        },
        {
            "name": "worker-b",
            "labels": {"agenttype": "server"},
            "annotations": {"pulumi.com/patchForce": "true"},
        },
    ]
    assert all(p.parent == component.urn for p in patches)
    assert run.component_outputs[component.urn] == {
        "nodes": {"worker-a": "client", "worker-b": "server"}
    }
