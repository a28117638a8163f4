"""The stack rules: each validate function over whole stacks, with the exact (message, urn)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pulumi_policy import PolicyResource, Secret, StackValidationArgs

from policy.stack_rules import (
    validate_agent_selectors_disjoint,
    validate_agent_services_select_servers,
    validate_eks_kubeconfig_secret,
)
from tests.policy.support import (
    DEPLOYMENT,
    EKS_CLUSTER,
    EKS_KUBECONFIG,
    K8S_PROVIDER,
    SERVICE,
    UNKNOWN_STRING,
    Report,
    Res,
    agent_deployment,
    options,
    run_stack_policy,
    secret,
    server_service,
    urn_of,
)


def contract_stack() -> list[Res]:
    """Two client groups, one server group and its Service, as the stack renders them."""
    return [
        Res(DEPLOYMENT, "clients-a", agent_deployment("clients-a", "client", one_per_node=True)),
        Res(DEPLOYMENT, "clients-b", agent_deployment("clients-b", "client")),
        Res(DEPLOYMENT, "servers", agent_deployment("servers", "server")),
        Res(SERVICE, "servers-svc", server_service("servers")),
    ]


# --- cyperf-agent-selectors-disjoint ----------------------------------------------------------


def test_contract_selectors_are_disjoint() -> None:
    run = run_stack_policy(validate_agent_selectors_disjoint, contract_stack())
    assert run.violations == []
    assert all(run.spies[name].reads for name in ("clients-a", "clients-b", "servers"))


def official_example() -> list[Res]:
    """Keysight's example manifests: the client selector `app: cyperf-agent` also takes servers."""
    client = agent_deployment("client", "client", namespace=None)
    client["metadata"]["name"] = "cyperf-agent-client-deployment"
    client["spec"]["selector"] = {"matchLabels": {"app": "cyperf-agent"}}
    client["spec"]["template"]["metadata"]["labels"] = {"app": "cyperf-agent"}
    server = agent_deployment("server", "server", namespace=None)
    server["metadata"]["name"] = "cyperf-agent-server-deployment"
    server["spec"]["selector"] = {
        "matchLabels": {"app": "cyperf-agent", "run": "cyperf-agent-server"}
    }
    server["spec"]["template"]["metadata"]["labels"] = {
        "app": "cyperf-agent",
        "run": "cyperf-agent-server",
    }
    return [
        Res(DEPLOYMENT, "client", client),
        Res(DEPLOYMENT, "server", server),
        Res(
            SERVICE,
            "svc",
            {
                "metadata": {"name": "cyperf-agent-service"},
                "spec": {"selector": {"run": "cyperf-agent-server"}},
            },
        ),
    ]


def test_official_example_client_selector_overlaps_the_servers() -> None:
    run = run_stack_policy(validate_agent_selectors_disjoint, official_example())
    assert run.violations == [
        (
            "Deployment 'cyperf-agent-client-deployment': spec.selector "
            '{"matchLabels": {"app": "cyperf-agent"}} also matches the pods of agent Deployment '
            "'cyperf-agent-server-deployment' (labels "
            '{"app": "cyperf-agent", "run": "cyperf-agent-server"}); agent Deployments need '
            "disjoint selectors (select on app, run and cyperf-k8s/agent-group).",
            urn_of(DEPLOYMENT, "client"),
        )
    ]


def test_same_selector_in_two_groups_is_reported_on_both() -> None:
    first = agent_deployment("a", "server")
    second = agent_deployment("b", "server")
    for props in (first, second):
        del props["spec"]["selector"]["matchLabels"]["cyperf-k8s/agent-group"]
    run = run_stack_policy(
        validate_agent_selectors_disjoint,
        [Res(DEPLOYMENT, "a", first), Res(DEPLOYMENT, "b", second)],
    )
    assert [urn for _, urn in run.violations] == [
        urn_of(DEPLOYMENT, "a"),
        urn_of(DEPLOYMENT, "b"),
    ]
    assert run.violations[0][0].startswith(
        "Deployment 'cyperf-agent-a-deployment': spec.selector "
        '{"matchLabels": {"app": "cyperf-agent", "run": "cyperf-agent-server"}} also matches '
        "the pods of agent Deployment 'cyperf-agent-b-deployment'"
    )


def test_a_non_agent_deployment_must_not_select_agent_pods() -> None:
    greedy = {
        "metadata": {"name": "greedy", "namespace": "cyperf"},
        "spec": {
            "selector": {
                "matchExpressions": [
                    {"key": "run", "operator": "In", "values": ["cyperf-agent-server"]}
                ]
            },
            "template": {"metadata": {"labels": {"run": "cyperf-agent-server"}}, "spec": {}},
        },
    }
    run = run_stack_policy(
        validate_agent_selectors_disjoint, [*contract_stack(), Res(DEPLOYMENT, "greedy", greedy)]
    )
    assert [(m.split(":")[0], urn) for m, urn in run.violations] == [
        ("Deployment 'greedy'", urn_of(DEPLOYMENT, "greedy"))
    ]


@pytest.mark.parametrize(
    "change",
    ["other-namespace", "not-in", "unknown-labels", "unknown-selector"],
)
def test_selectors_that_cannot_or_do_not_overlap_pass(change: str) -> None:
    stack = official_example()[:2]
    client, server = (copy.deepcopy(r.props) for r in stack)
    if change == "other-namespace":
        client["metadata"]["namespace"], server["metadata"]["namespace"] = "a", "b"
    elif change == "not-in":
        client["spec"]["selector"]["matchExpressions"] = [
            {"key": "run", "operator": "NotIn", "values": ["cyperf-agent-server"]}
        ]
    elif change == "unknown-labels":
        server["spec"]["template"]["metadata"]["labels"]["run"] = UNKNOWN_STRING
        server["spec"]["template"]["metadata"]["labels"]["app"] = "cyperf-agent"
        client["spec"]["selector"]["matchLabels"]["run"] = "cyperf-agent-client"
    else:
        client["spec"]["selector"] = UNKNOWN_STRING
    run = run_stack_policy(
        validate_agent_selectors_disjoint,
        [Res(DEPLOYMENT, "client", client), Res(DEPLOYMENT, "server", server)],
    )
    assert run.violations == []
    assert run.spies["client"].reads and run.spies["server"].reads


# --- cyperf-agent-services-select-servers -----------------------------------------------------


def test_contract_server_service_passes() -> None:
    run = run_stack_policy(validate_agent_services_select_servers, contract_stack())
    assert run.violations == []
    assert run.spies["servers-svc"].reads


def service(selector: Any, name: str = "svc", namespace: str = "cyperf") -> Res:
    props = server_service(name=name, namespace=namespace)
    props["spec"]["selector"] = selector
    return Res(SERVICE, name, props)


NOT_SERVERS_ONLY = (
    "but does not include run: cyperf-agent-server; agent Services must select server pods only."
)


def client_match(selector: str, group: str) -> str:
    return (
        f"Service 'svc': selector {selector} matches the client pods of Deployment "
        f"'cyperf-agent-{group}-deployment' (labels "
        f'{{"app": "cyperf-agent", "cyperf-k8s/agent-group": "{group}", '
        f'"run": "cyperf-agent-client"'
        + (', "cyperf-k8s/one-agent-per-node": "true"' if group == "clients-a" else "")
        + "}); a Service must never route to agent clients."
    )


def test_service_selecting_all_agents_is_reported_for_run_and_each_client() -> None:
    run = run_stack_policy(
        validate_agent_services_select_servers,
        [*contract_stack()[:3], service({"app": "cyperf-agent"})],
    )
    svc = urn_of(SERVICE, "svc")
    shown = '{"app": "cyperf-agent"}'
    assert run.violations == [
        (
            f"Service 'svc': selector {shown} selects CyPerf agent pods {NOT_SERVERS_ONLY}",
            svc,
        ),
        (
            client_match(shown, "clients-a").replace(
                '"cyperf-k8s/agent-group": "clients-a", "run": "cyperf-agent-client", '
                '"cyperf-k8s/one-agent-per-node": "true"',
                '"cyperf-k8s/agent-group": "clients-a", "cyperf-k8s/one-agent-per-node": "true", '
                '"run": "cyperf-agent-client"',
            ),
            svc,
        ),
        (client_match(shown, "clients-b"), svc),
    ]


def test_service_selecting_clients_by_run_fails() -> None:
    selector = {"run": "cyperf-agent-client", "cyperf-k8s/agent-group": "clients-b"}
    run = run_stack_policy(
        validate_agent_services_select_servers, [*contract_stack()[:3], service(selector)]
    )
    shown = '{"cyperf-k8s/agent-group": "clients-b", "run": "cyperf-agent-client"}'
    assert run.violations == [
        (
            f"Service 'svc': selector {shown} selects CyPerf agent pods {NOT_SERVERS_ONLY}",
            urn_of(SERVICE, "svc"),
        ),
        (client_match(shown, "clients-b"), urn_of(SERVICE, "svc")),
    ]


def test_service_naming_agent_labels_fails_even_without_matching_pods() -> None:
    # A group label alone: no agent pods in the stack match it, but it aims at agents.
    run = run_stack_policy(
        validate_agent_services_select_servers, [service({"cyperf-k8s/agent-group": "later"})]
    )
    assert run.violations == [
        (
            'Service \'svc\': selector {"cyperf-k8s/agent-group": "later"} selects CyPerf agent '
            f"pods {NOT_SERVERS_ONLY}",
            urn_of(SERVICE, "svc"),
        )
    ]


def test_server_selector_matching_a_mislabelled_client_fails() -> None:
    mislabelled = agent_deployment("odd", "client")
    mislabelled["spec"]["template"]["metadata"]["labels"]["run"] = "cyperf-agent-server"
    run = run_stack_policy(
        validate_agent_services_select_servers,
        [Res(DEPLOYMENT, "odd", mislabelled), service({"run": "cyperf-agent-server"})],
    )
    assert run.violations == [
        (
            'Service \'svc\': selector {"run": "cyperf-agent-server"} matches the client pods of '
            "Deployment 'cyperf-agent-odd-deployment' (labels "
            '{"app": "cyperf-agent", "cyperf-k8s/agent-group": "odd", "run": "cyperf-agent-server"}'
            "); a Service must never route to agent clients.",
            urn_of(SERVICE, "svc"),
        )
    ]


@pytest.mark.parametrize(
    "res",
    [
        service({"app": "dut"}),  # not an agent Service
        service({}),  # no selector: endpoints managed by hand
        service(UNKNOWN_STRING),  # unknown during preview
        service({"app": "cyperf-agent", "run": UNKNOWN_STRING}),
        service({"run": "cyperf-agent-server"}),  # the official example's Service
    ],
)
def test_services_that_are_fine_or_undecidable_pass(res: Res) -> None:
    run = run_stack_policy(validate_agent_services_select_servers, [*contract_stack()[:3], res])
    assert run.violations == []
    assert run.spies[res.name].reads


# --- eks-kubeconfig-secret --------------------------------------------------------------------


def eks_stack(
    kubeconfig: Any = UNKNOWN_STRING,
    additional_secret_outputs: list[str] | None = None,
    provider_type: str = K8S_PROVIDER,
    link: str = "property",
) -> list[Res]:
    cluster = Res(EKS_CLUSTER, "eks", {"kubeconfig": {"apiVersion": "v1"}, "kubeconfigJson": "{}"})
    provider = Res(
        provider_type,
        "eks-k8s",
        {"kubeconfig": kubeconfig},
        additional_secret_outputs=additional_secret_outputs or [],
    )
    if link == "property":
        provider.property_dependencies = {"kubeconfig": ["eks"]}
    elif link == "dependency":
        provider.dependencies = ["eks"]
    return [cluster, provider]


def not_secret(origin: str) -> str:
    return (
        f"kubernetes provider 'eks-k8s': {origin}, but the kubeconfig is not declared secret. "
        "Pass it as pulumi.Output.secret(...) and set ResourceOptions(additional_secret_outputs="
        "['kubeconfig']): policies see secret values unwrapped, so that option is the only "
        "proof of secrecy they can check."
    )


FROM_CLUSTER = "its kubeconfig is computed from eks:index:Cluster 'eks'"


@pytest.mark.parametrize(
    ("stack", "origin"),
    [
        # Preview of a first deploy: the kubeconfig is unknown, its dependency is not.
        (eks_stack(), FROM_CLUSTER),
        # Wrapped in Output.secret: the marker never reaches the policy, so this still fails.
        (eks_stack(kubeconfig=secret(EKS_KUBECONFIG)), FROM_CLUSTER),
        (
            eks_stack(kubeconfig=EKS_KUBECONFIG, link="dependency"),
            "it depends on eks:index:Cluster 'eks'",
        ),
        (
            eks_stack(kubeconfig=EKS_KUBECONFIG, link="none"),
            "its kubeconfig authenticates with `aws eks get-token`",
        ),
        (eks_stack(provider_type="kubernetes:index:Provider"), FROM_CLUSTER),
        # Another output marked secret does not cover the kubeconfig.
        (eks_stack(additional_secret_outputs=["context"]), FROM_CLUSTER),
    ],
)
def test_eks_provider_without_declared_secret_kubeconfig_fails(
    stack: list[Res], origin: str
) -> None:
    run = run_stack_policy(validate_eks_kubeconfig_secret, stack)
    assert run.violations == [(not_secret(origin), stack[1].urn)]


def test_eks_provider_with_additional_secret_outputs_passes() -> None:
    run = run_stack_policy(
        validate_eks_kubeconfig_secret,
        eks_stack(kubeconfig=secret(EKS_KUBECONFIG), additional_secret_outputs=["kubeconfig"]),
    )
    assert run.violations == []
    assert run.spies["eks-k8s"].reads


def test_a_visible_secret_marker_would_count_too() -> None:
    # pulumi-policy 1.21.0 never passes one to a validate function; a later SDK might.
    cluster = PolicyResource(
        EKS_CLUSTER, {}, urn_of(EKS_CLUSTER, "eks"), "eks", options(), None, None, [], {}
    )
    provider = PolicyResource(
        K8S_PROVIDER,
        {"kubeconfig": Secret(EKS_KUBECONFIG)},
        urn_of(K8S_PROVIDER, "eks-k8s"),
        "eks-k8s",
        options(),
        None,
        None,
        [],
        {"kubeconfig": [cluster]},
    )
    report = Report()
    validate_eks_kubeconfig_secret(StackValidationArgs([cluster, provider]), report)
    assert report.violations == []
    provider.props = {"kubeconfig": EKS_KUBECONFIG}
    validate_eks_kubeconfig_secret(StackValidationArgs([cluster, provider]), report)
    assert report.violations == [(not_secret(FROM_CLUSTER), provider.urn)]


def test_providers_not_built_from_eks_or_owned_by_pulumi_eks_are_left_alone() -> None:
    existing = Res(K8S_PROVIDER, "existing", {"kubeconfig": "apiVersion: v1\nclusters: []\n"})
    default = Res(K8S_PROVIDER, "default_4_34_2", {})
    cluster = Res(EKS_CLUSTER, "eks", {})
    internal = Res(
        K8S_PROVIDER,
        "eks-eks-k8s",
        {"kubeconfig": EKS_KUBECONFIG},
        parent="eks",
        dependencies=["eks"],
    )
    run = run_stack_policy(validate_eks_kubeconfig_secret, [existing, default, cluster, internal])
    assert run.violations == []
    # The provider pulumi-eks keeps for itself is skipped before its props are read.
    assert run.spies["existing"].reads and not run.spies["eks-eks-k8s"].reads


def test_stack_rules_never_raise_on_odd_shapes() -> None:
    odd = [
        Res(DEPLOYMENT, "d1", {"metadata": {"name": 3}, "spec": {"selector": ["x"]}}),
        Res(DEPLOYMENT, "d2", {"spec": {"selector": {"matchExpressions": [None, {"key": 1}]}}}),
        Res(
            DEPLOYMENT,
            "d3",
            {"spec": {"template": {"metadata": {"labels": {"app": "cyperf-agent"}}}}},
        ),
        Res(SERVICE, "s1", {"spec": {"selector": ["run"]}}),
        Res(SERVICE, "s2", {"spec": {"selector": {"run": {"x": 1}}}}),
        Res(K8S_PROVIDER, "p1", {"kubeconfig": {"users": ["eks", "get-token"]}}),
    ]
    for validate in (
        validate_agent_selectors_disjoint,
        validate_agent_services_select_servers,
        validate_eks_kubeconfig_secret,
    ):
        run = run_stack_policy(validate, odd)
        assert all(isinstance(message, str) for message, _ in run.violations)
