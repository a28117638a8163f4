"""The agent resource rules: each validate function on passing and failing resources, with the
exact violations."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from policy.resource_rules import (
    validate_agent_image_pinned,
    validate_agent_memory_limit,
    validate_agent_security_context,
    validate_one_agent_per_node,
)
from tests.policy.support import (
    AGENT_IMAGE,
    AGENT_IMAGE_ARM64,
    DEPLOYMENT,
    DIGEST,
    SERVICE,
    UNKNOWN_STRING,
    agent_container,
    agent_deployment,
    run_resource_policy,
    server_service,
)

CLIENT = "container 'cyperf-agent-client' (spec.template.spec.containers[0])"
PIN_HINT = "pin an explicit release tag (e.g. release26.0.0) or a digest (@sha256:...)."


def deployment_with(container: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    return agent_deployment(container=container, **kwargs)


# --- cyperf-agent-image-pinned ----------------------------------------------------------------


@pytest.mark.parametrize(
    "image",
    [
        f"{AGENT_IMAGE}:release26.0.0",
        f"{AGENT_IMAGE}:26.0.3.834",
        f"{AGENT_IMAGE_ARM64}:release26.0.0",
        f"{AGENT_IMAGE}@{DIGEST}",
        f"{AGENT_IMAGE}:latest@{DIGEST}",  # the digest pins, whatever the tag says
    ],
)
def test_pinned_agent_images_pass(image: str) -> None:
    props = deployment_with(agent_container(image=image))
    assert run_resource_policy(validate_agent_image_pinned, DEPLOYMENT, props) == []


@pytest.mark.parametrize(
    ("image", "problem"),
    [
        (f"{AGENT_IMAGE}:latest", "uses the tag 'latest'"),
        (f"{AGENT_IMAGE}:Latest", "uses the tag 'Latest'"),
        (f"{AGENT_IMAGE_ARM64}:latest", "uses the tag 'latest'"),
        (AGENT_IMAGE, "has no tag (an untagged image means latest)"),
        (f"{AGENT_IMAGE}:", "has no tag (an untagged image means latest)"),
        (
            f"{AGENT_IMAGE}@sha256:abc",
            "has the digest 'sha256:abc', which is not sha256:<64 lowercase hex digits>",
        ),
        (
            f"{AGENT_IMAGE}:release26.0.0@",
            "has the digest '', which is not sha256:<64 lowercase hex digits>",
        ),
    ],
)
def test_unpinned_agent_images_fail(image: str, problem: str) -> None:
    props = deployment_with(agent_container(image=image))
    assert run_resource_policy(validate_agent_image_pinned, DEPLOYMENT, props) == [
        f"{CLIENT}: image {image!r} {problem}; {PIN_HINT}"
    ]


def test_image_rule_reads_init_containers_pods_cronjobs_and_patches() -> None:
    latest = f"{AGENT_IMAGE}:latest"
    deployment = deployment_with(agent_container())
    deployment["spec"]["template"]["spec"]["initContainers"] = [{"name": "warmup", "image": latest}]
    assert run_resource_policy(validate_agent_image_pinned, DEPLOYMENT, deployment) == [
        f"container 'warmup' (spec.template.spec.initContainers[0]): image {latest!r} uses the "
        f"tag 'latest'; {PIN_HINT}"
    ]

    pod = {"metadata": {"name": "p"}, "spec": {"containers": [agent_container(image=latest)]}}
    assert run_resource_policy(validate_agent_image_pinned, "kubernetes:core/v1:Pod", pod) == [
        f"container 'cyperf-agent-client' (spec.containers[0]): image {latest!r} uses the tag "
        f"'latest'; {PIN_HINT}"
    ]

    cronjob = {
        "spec": {
            "jobTemplate": {
                "spec": {"template": {"spec": {"containers": [agent_container(image=latest)]}}}
            }
        }
    }
    assert run_resource_policy(
        validate_agent_image_pinned, "kubernetes:batch/v1:CronJob", cronjob
    ) == [
        "container 'cyperf-agent-client' (spec.jobTemplate.spec.template.spec.containers[0]): "
        f"image {latest!r} uses the tag 'latest'; {PIN_HINT}"
    ]

    patch = {"spec": {"template": {"spec": {"containers": [{"name": "x", "image": latest}]}}}}
    assert run_resource_policy(
        validate_agent_image_pinned, "kubernetes:apps/v1:DeploymentPatch", patch
    ) == [
        f"container 'x' (spec.template.spec.containers[0]): image {latest!r} uses the tag "
        f"'latest'; {PIN_HINT}"
    ]


def test_agent_named_container_with_a_mirrored_image_is_still_checked() -> None:
    props = deployment_with(agent_container(image="registry.example/mirror/cyperf-agent"))
    assert run_resource_policy(validate_agent_image_pinned, DEPLOYMENT, props) == [
        f"{CLIENT}: image 'registry.example/mirror/cyperf-agent' has no tag (an untagged image "
        f"means latest); {PIN_HINT}"
    ]


@pytest.mark.parametrize(
    ("resource_type", "props"),
    [
        # Not an agent: other images may float.
        (DEPLOYMENT, deployment_with({"name": "dut", "image": "nginx:latest"})),
        # Unknown during preview: nothing to judge yet.
        (DEPLOYMENT, deployment_with(agent_container(image=UNKNOWN_STRING))),
        # Not a workload.
        (SERVICE, server_service()),
    ],
)
def test_image_rule_ignores_non_agents_unknowns_and_other_kinds(
    resource_type: str, props: dict[str, Any]
) -> None:
    assert run_resource_policy(validate_agent_image_pinned, resource_type, props) == []


# --- cyperf-agent-security-context ------------------------------------------------------------

CAPS_PREFIX = (
    f"{CLIENT}: securityContext.capabilities.add must be exactly [NET_ADMIN, IPC_LOCK, NET_RAW]"
)
EXACT_CAPS = {"add": ["NET_ADMIN", "IPC_LOCK", "NET_RAW"]}
PRIVILEGED = (
    f"{CLIENT}: securityContext.privileged is true; agents run unprivileged with the three "
    "capabilities only."
)
ESCALATION_UNSET = (
    f"{CLIENT}: securityContext.allowPrivilegeEscalation is not set, which Kubernetes treats as "
    "true; set it to false."
)
ESCALATION_TRUE = f"{CLIENT}: securityContext.allowPrivilegeEscalation is true; set it to false."


def with_security(security: Any, role: str = "client") -> dict[str, Any]:
    container = agent_container(role)
    if security is None:
        del container["securityContext"]
    else:
        container["securityContext"] = security
    return deployment_with(container, role=role)


def test_the_stacks_own_agent_container_passes() -> None:
    props = deployment_with(agent_container())
    assert props["spec"]["template"]["spec"]["containers"][0]["securityContext"] == {
        "privileged": False,
        "allowPrivilegeEscalation": False,
        "capabilities": EXACT_CAPS,
    }
    assert run_resource_policy(validate_agent_security_context, DEPLOYMENT, props) == []


@pytest.mark.parametrize(
    "security",
    [
        {
            "allowPrivilegeEscalation": False,
            "capabilities": {"add": ["NET_RAW", "NET_ADMIN", "IPC_LOCK"]},
        },
        {
            "privileged": False,
            "allowPrivilegeEscalation": False,
            "capabilities": {"add": ["NET_ADMIN", "IPC_LOCK", "NET_RAW"], "drop": ["ALL"]},
        },
    ],
)
def test_exact_agent_capabilities_without_escalation_pass(security: dict[str, Any]) -> None:
    props = with_security(security)
    assert run_resource_policy(validate_agent_security_context, DEPLOYMENT, props) == []


@pytest.mark.parametrize(
    ("security", "expected"),
    [
        (
            {"allowPrivilegeEscalation": False, "capabilities": {"add": ["NET_ADMIN", "NET_RAW"]}},
            [f"{CAPS_PREFIX} (missing IPC_LOCK)."],
        ),
        (
            {
                "allowPrivilegeEscalation": False,
                "capabilities": {"add": ["NET_ADMIN", "IPC_LOCK", "NET_RAW", "SYS_ADMIN"]},
            },
            [f"{CAPS_PREFIX} (must not add SYS_ADMIN)."],
        ),
        (
            {"allowPrivilegeEscalation": False, "capabilities": {"add": ["ALL"]}},
            [f"{CAPS_PREFIX} (missing NET_ADMIN, IPC_LOCK, NET_RAW; must not add ALL)."],
        ),
        # No securityContext at all: no capabilities, and escalation allowed by default.
        (None, [f"{CAPS_PREFIX} (missing NET_ADMIN, IPC_LOCK, NET_RAW).", ESCALATION_UNSET]),
        (
            {"privileged": True, "allowPrivilegeEscalation": False, "capabilities": EXACT_CAPS},
            [PRIVILEGED],
        ),
        (
            {
                "privileged": True,
                "allowPrivilegeEscalation": True,
                "capabilities": {"add": ["NET_ADMIN", "SYS_PTRACE"]},
            },
            [
                f"{CAPS_PREFIX} (missing IPC_LOCK, NET_RAW; must not add SYS_PTRACE).",
                PRIVILEGED,
                ESCALATION_TRUE,
            ],
        ),
    ],
)
def test_wrong_agent_security_context_fails(security: Any, expected: list[str]) -> None:
    props = with_security(security)
    assert run_resource_policy(validate_agent_security_context, DEPLOYMENT, props) == expected


@pytest.mark.parametrize(
    ("escalation", "expected"),
    [
        (False, []),
        (True, [ESCALATION_TRUE]),
        # Unset means true in Kubernetes, so only an explicit false passes.
        (None, [ESCALATION_UNSET]),
        (
            "false",
            [
                f"{CLIENT}: securityContext.allowPrivilegeEscalation is 'false', not false; set it "
                "to false."
            ],
        ),
        # Unknown during preview: the update decides.
        (UNKNOWN_STRING, []),
    ],
)
def test_privilege_escalation_must_be_explicitly_false(
    escalation: Any, expected: list[str]
) -> None:
    security: dict[str, Any] = {"privileged": False, "capabilities": EXACT_CAPS}
    if escalation is not None:
        security["allowPrivilegeEscalation"] = escalation
    props = with_security(security)
    assert run_resource_policy(validate_agent_security_context, DEPLOYMENT, props) == expected


def test_security_rule_checks_every_agent_container_and_skips_others() -> None:
    props = with_security({"allowPrivilegeEscalation": False, "capabilities": {"add": []}})
    props["spec"]["template"]["spec"]["containers"].append(
        {"name": "sidecar", "image": "busybox:1.36", "securityContext": {"privileged": True}}
    )
    server = agent_container("server", image=f"{AGENT_IMAGE_ARM64}:release26.0.0")
    server["securityContext"] = {"capabilities": {"add": ["NET_ADMIN", "IPC_LOCK"]}}
    props["spec"]["template"]["spec"]["containers"].append(server)
    server_label = "container 'cyperf-agent-server' (spec.template.spec.containers[2])"
    assert run_resource_policy(validate_agent_security_context, DEPLOYMENT, props) == [
        f"{CAPS_PREFIX} (missing NET_ADMIN, IPC_LOCK, NET_RAW).",
        f"{server_label}: securityContext.capabilities.add must be exactly "
        "[NET_ADMIN, IPC_LOCK, NET_RAW] (missing NET_RAW).",
        f"{server_label}: securityContext.allowPrivilegeEscalation is not set, which Kubernetes "
        "treats as true; set it to false.",
    ]


def test_security_rule_skips_what_is_unknown_and_still_checks_the_rest() -> None:
    assert (
        run_resource_policy(
            validate_agent_security_context, DEPLOYMENT, with_security(UNKNOWN_STRING)
        )
        == []
    )
    unknown_caps = {"privileged": True, "capabilities": {"add": UNKNOWN_STRING}}
    assert run_resource_policy(
        validate_agent_security_context, DEPLOYMENT, with_security(unknown_caps)
    ) == [PRIVILEGED, ESCALATION_UNSET]
    unknown_entry = {
        "allowPrivilegeEscalation": False,
        "capabilities": {"add": ["NET_ADMIN", UNKNOWN_STRING]},
    }
    assert (
        run_resource_policy(
            validate_agent_security_context, DEPLOYMENT, with_security(unknown_entry)
        )
        == []
    )


# --- cyperf-agent-memory-limit ----------------------------------------------------------------

MEMORY_HINT = "every agent container needs a memory limit (e.g. 4Gi)."


@pytest.mark.parametrize("memory", ["4Gi", "4096Mi", "512M", "1.5Gi", 4294967296])
def test_agent_memory_limit_set_passes(memory: Any) -> None:
    props = deployment_with(agent_container(memory=memory))
    assert run_resource_policy(validate_agent_memory_limit, DEPLOYMENT, props) == []


@pytest.mark.parametrize(
    ("resources", "problem"),
    [
        (None, "is not set"),
        ({"requests": {"memory": "2Gi"}}, "is not set"),
        ({"limits": {"cpu": "3.5"}}, "is not set"),
        ({"limits": {"memory": ""}}, "is not set"),
        ({"limits": {"memory": "0"}}, "is '0', not a positive quantity"),
        ({"limits": {"memory": "-1Gi"}}, "is '-1Gi', not a positive quantity"),
        ({"limits": {"memory": "lots"}}, "is 'lots', not a positive quantity"),
        ({"limits": {"memory": 0}}, "is 0.0"),  # numbers reach policies as floats
    ],
)
def test_missing_or_bad_agent_memory_limit_fails(resources: Any, problem: str) -> None:
    container = agent_container()
    if resources is None:
        del container["resources"]
    else:
        container["resources"] = resources
    props = deployment_with(container)
    assert run_resource_policy(validate_agent_memory_limit, DEPLOYMENT, props) == [
        f"{CLIENT}: resources.limits.memory {problem}; {MEMORY_HINT}"
    ]


def test_memory_rule_skips_unknown_limits_and_non_agents() -> None:
    props = deployment_with(agent_container(memory=UNKNOWN_STRING))
    assert run_resource_policy(validate_agent_memory_limit, DEPLOYMENT, props) == []
    dut = deployment_with({"name": "dut", "image": "nginx:1.27"})
    assert run_resource_policy(validate_agent_memory_limit, DEPLOYMENT, dut) == []


# --- cyperf-agent-one-per-node ----------------------------------------------------------------

NO_ANTI_AFFINITY = (
    "pod template labelled cyperf-k8s/one-agent-per-node=true has no "
    "spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution "
    "term with topologyKey kubernetes.io/hostname and labelSelector app In [cyperf-agent] (or "
    "matchLabels app: cyperf-agent); without it two agents can share a node."
)


def one_per_node(term: Any = None, *, label: str | None = "true") -> dict[str, Any]:
    props = agent_deployment(one_per_node=True)
    template = props["spec"]["template"]
    if label is None:
        del template["metadata"]["labels"]["cyperf-k8s/one-agent-per-node"]
    else:
        template["metadata"]["labels"]["cyperf-k8s/one-agent-per-node"] = label
    if term is not None:
        template["spec"]["affinity"] = {
            "podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term]}
        }
    return props


def hostname_term(selector: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"labelSelector": selector, "topologyKey": "kubernetes.io/hostname", **extra}


APP_IN = {"matchExpressions": [{"key": "app", "operator": "In", "values": ["cyperf-agent"]}]}


@pytest.mark.parametrize(
    "props",
    [
        one_per_node(),  # the stack's own rendering
        one_per_node(hostname_term(APP_IN)),
        one_per_node(hostname_term({"matchLabels": {"app": "cyperf-agent"}})),
        one_per_node(hostname_term({"matchLabels": {"app": "cyperf-agent"}, **APP_IN})),
        # Not asked for: no anti-affinity needed.
        agent_deployment(one_per_node=False),
        one_per_node(hostname_term({"matchLabels": {"run": "x"}}), label="false"),
    ],
)
def test_one_agent_per_node_passes(props: dict[str, Any]) -> None:
    assert run_resource_policy(validate_one_agent_per_node, DEPLOYMENT, props) == []


def test_one_agent_per_node_label_without_anti_affinity_fails() -> None:
    props = one_per_node()
    del props["spec"]["template"]["spec"]["affinity"]
    assert run_resource_policy(validate_one_agent_per_node, DEPLOYMENT, props) == [NO_ANTI_AFFINITY]


@pytest.mark.parametrize(
    "term",
    [
        {"labelSelector": APP_IN, "topologyKey": "topology.kubernetes.io/zone"},
        {"labelSelector": APP_IN},
        # Narrower than every agent: a client and a server could still share a node.
        hostname_term({"matchLabels": {"app": "cyperf-agent", "run": "cyperf-agent-client"}}),
        hostname_term({"matchExpressions": [{"key": "app", "operator": "Exists"}]}),
        hostname_term(
            {
                "matchExpressions": [
                    {"key": "app", "operator": "In", "values": ["cyperf-agent", "x"]}
                ]
            }
        ),
        # Empty: every pod in the namespace, not the agents.
        hostname_term({}),
        hostname_term(APP_IN, matchLabelKeys=["pod-template-hash"]),
    ],
)
def test_one_agent_per_node_with_a_wrong_term_fails(term: dict[str, Any]) -> None:
    props = one_per_node(term)
    assert run_resource_policy(validate_one_agent_per_node, DEPLOYMENT, props) == [NO_ANTI_AFFINITY]


def test_preferred_anti_affinity_does_not_count() -> None:
    props = one_per_node()
    affinity = props["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"]
    affinity["preferredDuringSchedulingIgnoredDuringExecution"] = [
        {"weight": 100, "podAffinityTerm": copy.deepcopy(hostname_term(APP_IN))}
    ]
    del affinity["requiredDuringSchedulingIgnoredDuringExecution"]
    assert run_resource_policy(validate_one_agent_per_node, DEPLOYMENT, props) == [NO_ANTI_AFFINITY]


def test_one_agent_per_node_skips_unknown_affinity_and_reads_pods() -> None:
    props = one_per_node()
    props["spec"]["template"]["spec"]["affinity"] = UNKNOWN_STRING
    assert run_resource_policy(validate_one_agent_per_node, DEPLOYMENT, props) == []
    pod = {
        "metadata": {"labels": {"app": "cyperf-agent", "cyperf-k8s/one-agent-per-node": "true"}},
        "spec": {"containers": [agent_container()]},
    }
    assert run_resource_policy(validate_one_agent_per_node, "kubernetes:core/v1:Pod", pod) == [
        NO_ANTI_AFFINITY.replace("spec.template.spec.affinity", "spec.affinity")
    ]


ODD_SHAPES: list[dict[str, Any]] = [
    {"metadata": {}},
    {"spec": None},
    {"spec": {"template": "x"}},
    {"spec": {"template": {"metadata": {"labels": ["a"]}, "spec": {"containers": "x"}}}},
    {
        "spec": {
            "template": {
                "metadata": {"labels": {"cyperf-k8s/one-agent-per-node": "true"}},
                "spec": {
                    "containers": [
                        None,
                        7,
                        {"name": {"x": 1}, "image": ["a"]},
                        {
                            "name": "cyperf-agent-server",
                            "image": 5,
                            "securityContext": "x",
                            "resources": {"limits": ["4Gi"]},
                        },
                        {
                            "name": "cyperf-agent-client",
                            "securityContext": {"capabilities": {"add": [{"a": 1}, None]}},
                        },
                    ],
                    "affinity": {
                        "podAntiAffinity": {
                            "requiredDuringSchedulingIgnoredDuringExecution": [
                                None,
                                {"labelSelector": {"matchExpressions": [{"values": [{}]}]}},
                                {"labelSelector": {"matchLabels": ["app"]}},
                            ]
                        }
                    },
                },
            }
        }
    },
]


@pytest.mark.parametrize("props", ODD_SHAPES)
def test_resource_rules_never_raise_on_odd_shapes(props: dict[str, Any]) -> None:
    # An exception inside a validate function fails the whole preview, so odd input must not.
    for validate in (
        validate_agent_image_pinned,
        validate_agent_security_context,
        validate_agent_memory_limit,
        validate_one_agent_per_node,
    ):
        messages = run_resource_policy(validate, DEPLOYMENT, props)
        assert all(isinstance(message, str) for message in messages)


@pytest.mark.parametrize("profile", ["RuntimeDefault", "Unconfined"])
def test_every_resource_rule_accepts_both_seccomp_profiles(profile: str) -> None:
    from components import specs
    from components.settings.loading import parse_settings
    from tests.support.program import config_of

    settings = parse_settings(
        config_of(agentGroups=[{"name": "client", "role": "client", "seccompProfile": profile}])
    )
    props = specs.deployment(settings.agent_groups[0], settings.agents_in("east-west"))
    assert props["spec"]["template"]["spec"]["securityContext"] == {
        "seccompProfile": {"type": profile}
    }
    for rule in (
        validate_agent_image_pinned,
        validate_agent_security_context,
        validate_agent_memory_limit,
        validate_one_agent_per_node,
    ):
        assert run_resource_policy(rule, DEPLOYMENT, props) == [], rule.__name__
