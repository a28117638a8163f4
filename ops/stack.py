"""What the operations commands need from a deployed stack, read through the Automation API.

The Automation API runs `pulumi config --show-secrets --json` and `pulumi stack output --json
--show-secrets` for us: secret values (the kubeconfig, controller credentials) exist only in
this process's memory and are never printed. The stack is read, never selected or changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ops.errors import StackUnreadableError, UsageError

PROJECT = "cyperf-k8s"
# Keys of the operations commands live in their own namespace: the program refuses unknown
# `cyperf-k8s:` keys, and leaves other namespaces alone.
OPS = "cyperf-ops"
DEFAULT_NAMESPACE = "cyperf"
REDACTED = "[secret]"


@dataclass(frozen=True)
class Secret:
    """A value that must never reach a log, an error message or an archive."""

    value: str = field(repr=False)

    def __str__(self) -> str:
        return REDACTED


@dataclass(frozen=True)
class StackInfo:
    name: str
    namespace: str
    cluster: str
    # kubeconfig content (YAML/JSON text) or a path; None: KUBECONFIG / ~/.kube/config
    kubeconfig: Secret | None
    kube_context: str | None
    controller_address: str | None
    controller_is_proxy: bool
    agent_tags: dict[str, str]  # group -> rendered AGENT_TAGS, from the stack outputs
    # group -> the replicas the stack deployed (`controllerSetup.agentAssignment`, else the
    # config); a group it cannot tell is missing
    replicas: dict[str, int]
    outputs_redacted: dict[str, Any]
    ops_config: dict[str, Secret | str]  # `cyperf-ops:<key>` -> value (secret ones wrapped)
    # every string of the secret config values: what a bundle redacts (ops/redact.py)
    secret_values: frozenset[str] = field(default=frozenset(), repr=False)


def selected_stack(project_dir: Path) -> str:
    """The stack `pulumi stack select` chose for the project (`pulumi stack --show-name`)."""
    from pulumi.automation import LocalWorkspace
    from pulumi.automation.errors import CommandError

    if not (project_dir / "Pulumi.yaml").is_file():
        raise UsageError(f"--project-dir: no Pulumi.yaml in {project_dir}")
    try:
        summary = LocalWorkspace(work_dir=str(project_dir)).stack()
    except FileNotFoundError:
        raise StackUnreadableError(
            "the Pulumi CLI (`pulumi`) is not on PATH", fix="install it or add it to PATH"
        ) from None
    except CommandError as err:
        raise StackUnreadableError(f"cannot list the stacks: {_cli_reason(err)}") from None
    if summary is None:
        raise UsageError(
            "--stack: no stack is selected; pass --stack <name> or run `pulumi stack select`"
        )
    return summary.name


def read_stack(stack_name: str, project_dir: Path) -> StackInfo:
    from pulumi.automation import LocalWorkspace
    from pulumi.automation.errors import CommandError

    if not (project_dir / "Pulumi.yaml").is_file():
        raise UsageError(f"--project-dir: no Pulumi.yaml in {project_dir}")
    try:
        workspace = LocalWorkspace(work_dir=str(project_dir))
    except FileNotFoundError:
        raise StackUnreadableError(
            "the Pulumi CLI (`pulumi`) is not on PATH", fix="install it or add it to PATH"
        ) from None
    try:
        config = workspace.get_all_config(stack_name)
        outputs = workspace.stack_outputs(stack_name)
    except CommandError as err:
        # The CLI's own message (stack not found, backend login, passphrase) without our
        # command line; it never holds secret values.
        raise StackUnreadableError(
            f"cannot read stack {stack_name!r}: {_cli_reason(err)}",
            fix="check the name (`pulumi stack ls`), the backend login (`pulumi login`) and "
            "PULUMI_CONFIG_PASSPHRASE for passphrase stacks",
        ) from None
    return stack_info(
        stack_name,
        {key: (value.value, value.secret) for key, value in config.items()},
        {key: (value.value, value.secret) for key, value in outputs.items()},
    )


def stack_info(
    stack_name: str,
    config: Mapping[str, tuple[Any, bool]],
    outputs: Mapping[str, tuple[Any, bool]],
) -> StackInfo:
    """StackInfo from `{key: (value, is_secret)}` of the stack's config and outputs."""
    from ops.redact import secret_strings  # it imports this module

    def plain(key: str) -> Any:
        value, _ = config.get(f"{PROJECT}:{key}", (None, False))
        return value

    def output(key: str) -> Any:
        value, _ = outputs.get(key, (None, False))
        return value

    cluster = str(plain("cluster") or "existing")
    kubeconfig: Secret | None = None
    if cluster == "eks":
        value = output("kubeconfig")
        if value is None:
            raise StackUnreadableError(
                f"stack {stack_name!r} has cluster 'eks' but no kubeconfig output",
                fix="run `pulumi up` first",
            )
        kubeconfig = Secret(value if isinstance(value, str) else _json(value))
    elif plain("kubeconfig") is not None:
        kubeconfig = Secret(str(plain("kubeconfig")))

    agent_tags = output("agentTags")
    ops_config: dict[str, Secret | str] = {
        key[len(OPS) + 1 :]: Secret(str(value)) if secret else str(value)
        for key, (value, secret) in config.items()
        if key.startswith(f"{OPS}:")
    }
    return StackInfo(
        name=stack_name,
        namespace=str(output("namespace") or plain("namespace") or DEFAULT_NAMESPACE),
        cluster=cluster,
        kubeconfig=kubeconfig,
        kube_context=None if cluster == "eks" else plain("kubeContext"),
        controller_address=output("controllerAddress") or plain("controllerAddress"),
        controller_is_proxy=str(plain("controllerIsProxy")).lower() == "true",
        agent_tags=dict(agent_tags) if isinstance(agent_tags, dict) else {},
        replicas=deployed_replicas(output("controllerSetup"), plain("agentGroups")),
        outputs_redacted={
            key: REDACTED if secret else value for key, (value, secret) in sorted(outputs.items())
        },
        ops_config=ops_config,
        secret_values=secret_strings(config),
    )


def deployed_replicas(setup: Any, groups: Any) -> dict[str, int]:
    """Replicas per group from the `controllerSetup` output (what the last `up` deployed), else
    from the `agentGroups` config (JSON text through the Automation API)."""
    import json

    assignment = setup.get("agentAssignment") if isinstance(setup, dict) else None
    if isinstance(assignment, dict):
        return {
            str(name): int(entry["replicas"])
            for name, entry in assignment.items()
            if isinstance(entry, dict) and isinstance(entry.get("replicas"), int | float)
        }
    if isinstance(groups, str):
        try:
            groups = json.loads(groups)
        except ValueError:
            return {}
    if not isinstance(groups, list):
        return {}
    return {
        str(g["name"]): int(g.get("replicas", 1))
        for g in groups
        if isinstance(g, dict) and "name" in g and isinstance(g.get("replicas", 1), int)
    }


def _json(value: Any) -> str:
    import json

    return json.dumps(value)


def _cli_reason(err: Exception) -> str:
    """The CLI's last `error:` line. Only its stderr is read: the error's text also holds the
    command's stdout, which for `--show-secrets` commands may hold secret values."""
    _, _, stderr = str(err).partition("\n stderr: ")
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.lower().startswith("error:")]
    return (errors or lines or ["pulumi failed"])[-1]
