"""The whole program with conntrack plans, under mocks (preview=False, every output resolved):
what it registers, warns and outputs, and what the policy pack says about those inputs."""

from __future__ import annotations

from pulumi_policy import ResourceValidationPolicy, StackValidationPolicy

from components.conntrack.kernel import KUBE_PROXY_MIN
from policy.pack import POLICIES
from tests.components.conntrack.support import (
    COMPONENT,
    DAEMONSET,
    DEPLOYMENT,
    HIGH_RATE,
    conntrack_warnings,
    groups,
    run,
)
from tests.policy.support import Res, run_resource_policy, run_stack_policy


def test_tuning_off_registers_nothing_and_says_how_to_turn_it_on(
    logged_warnings: list[str],
) -> None:
    stack = run(agentGroups=groups(HIGH_RATE))
    assert stack.of_type(DAEMONSET) == []
    assert not [r for r in stack.resources if r.typ == COMPONENT]
    found = conntrack_warnings(logged_warnings)
    assert any("needs 175000 conntrack entries per node" in w for w in found)
    assert (
        "cyperf-k8s:agentGroups[0].conntrack: client: set conntrack.nodeTuning: true to raise the "
        "table on the group's nodes to 175000 entries" in found
    )
    assert not any("security groups" in w for w in found)  # not on AWS
    setup = stack.exports["controllerSetup"]["conntrack"]
    assert set(setup) == {"client"}
    assert setup["client"]["nodeTuningDaemonSet"] is None
    assert setup["client"]["configuredMax"] == 175_000
    assert setup["client"]["requiredEntriesPerNode"] == 140_000
    assert setup["client"]["requiredWithHeadroom"] == 175_000
    assert setup["client"]["headroom"] == 1.25


def test_a_plan_below_kube_proxys_default_needs_no_daemonset(logged_warnings: list[str]) -> None:
    stack = run(
        conntrack={"nodeTuning": True},
        agentGroups=groups({"concurrentConnections": 3000}),
    )
    assert stack.of_type(DAEMONSET) == []
    assert conntrack_warnings(logged_warnings) == []
    assert stack.exports["controllerSetup"]["conntrack"]["client"]["nodeTuningDaemonSet"] is None


def test_time_wait_alone_makes_a_daemonset_that_writes_it() -> None:
    stack = run(
        conntrack={"nodeTuning": True, "timeWaitSeconds": 60},
        agentGroups=groups({"concurrentConnections": 3000}),
    )
    [daemonset] = stack.of_type(DAEMONSET)
    env = {
        e["name"]: e["value"]
        for e in daemonset.inputs["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert env["TIME_WAIT_SECONDS"] == "60"
    assert env["CONNTRACK_MAX"] == str(KUBE_PROXY_MIN)


def test_client_agents_get_the_local_port_range_sysctl() -> None:
    stack = run(agentGroups=groups(HIGH_RATE))
    pod = stack.one(DEPLOYMENT, "agents-client").inputs["spec"]["template"]["spec"]
    # Beside the pod's seccomp profile, not instead of it.
    assert pod["securityContext"] == {
        "seccompProfile": {"type": "RuntimeDefault"},
        "sysctls": [{"name": "net.ipv4.ip_local_port_range", "value": "1024 65535"}],
    }
    server_pod = stack.one(DEPLOYMENT, "agents-server").inputs["spec"]["template"]["spec"]
    assert server_pod["securityContext"] == {"seccompProfile": {"type": "RuntimeDefault"}}
    assert stack.exports["controllerSetup"]["conntrack"]["client"]["localPortRange"] == (
        "1024 65535"
    )


def test_no_plan_leaves_outputs_and_pods_as_before(logged_warnings: list[str]) -> None:
    stack = run(conntrack={"nodeTuning": True}, agentGroups=groups(None))
    assert "conntrack" not in stack.exports["controllerSetup"]
    assert stack.of_type(DAEMONSET) == []
    assert conntrack_warnings(logged_warnings) == []
    pod = stack.one(DEPLOYMENT, "agents-client").inputs["spec"]["template"]["spec"]
    assert pod["securityContext"] == {"seccompProfile": {"type": "RuntimeDefault"}}


def test_every_policy_accepts_what_the_program_registers() -> None:
    stack = run(
        conntrack={"nodeTuning": True, "timeWaitSeconds": 90},
        agentGroups=groups(HIGH_RATE),
    )
    workloads = stack.of_type(DAEMONSET) + stack.of_type(DEPLOYMENT)
    assert [r.typ for r in workloads].count(DAEMONSET) == 1
    checked = 0
    for policy in POLICIES:
        if isinstance(policy, ResourceValidationPolicy):
            for resource in workloads:
                assert run_resource_policy(policy.validate, resource.typ, resource.inputs) == [], (
                    policy.name,
                    resource.name,
                )
                checked += 1
    assert checked == 5 * len(workloads)
    stack_resources = [
        Res(r.typ, r.name, r.inputs)
        for r in stack.resources
        if r.read_id is None and r.typ.startswith("kubernetes:")
    ]
    stack_policies = [p for p in POLICIES if isinstance(p, StackValidationPolicy)]
    for policy in stack_policies:
        assert run_stack_policy(policy.validate, stack_resources).violations == [], policy.name
    # The host-access rule does read the DaemonSet: renamed, the same inputs are refused.
    [daemonset] = stack.of_type(DAEMONSET)
    renamed = {**daemonset.inputs, "metadata": {**daemonset.inputs["metadata"], "name": "x"}}
    [host_access] = [p for p in POLICIES if p.name == "host-access-only-node-tuning"]
    assert isinstance(host_access, ResourceValidationPolicy)
    assert run_resource_policy(host_access.validate, DAEMONSET, renamed) != []
