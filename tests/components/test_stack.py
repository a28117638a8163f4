"""The whole program's settings warnings: logged at their keys before any resource."""

from __future__ import annotations

from tests.support.program import config_of, default_cluster_state, run_stack


def test_the_program_warns_about_a_documentation_address(logged_warnings: list[str]) -> None:
    state = default_cluster_state(endpoints={"cyperf-agent-service": {"subsets": []}})
    run_stack(config_of(controllerAddress="192.0.2.10"), state)
    assert any("documentation address" in w for w in logged_warnings), logged_warnings
    assert [w for w in logged_warnings if w.startswith("cyperf-k8s:controllerAddress: ")] == [
        "cyperf-k8s:controllerAddress: '192.0.2.10' is a documentation address (RFC 5737), the "
        "example stacks' placeholder: set the controller's real address"
    ]
