"""`doctor`: PASS/WARN/FAIL checks from the Pulumi CLI to the agents' registration, each with its
fix. Checks run in order and stop where the next ones cannot run (no stack, no cluster).

  pulumi CLI, stack (backend, passphrase)     cluster (which API server and context)
  namespace and its Pod Security label        nodes of each group (labelled, Ready, memory)
  pods scheduled, image pulled, not crashing  controller TLS and credentials, registration
  controller reachable from each group's nodes (a short-lived probe pod, ops/reach.py)
  conntrack headroom (the node-tuning pods' count/max log lines)

Exit codes: 0 no FAIL (WARN and SKIP allowed), 1 some check failed; 2 usage.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from typing import Any, TextIO

from components.conntrack.daemonset import CONTAINER_NAME, NAME_LABEL, NAME_VALUE
from ops import checks
from ops.checks import Check
from ops.connect import add_controller_options, check_controller_options
from ops.credentials import HOW_TO_CONFIGURE, credentials_configured
from ops.errors import EXIT_CHECK_FAILED, EXIT_OK, OpsError, UsageError

SCHEMA_VERSION = 1
TUNING_SELECTOR = f"{NAME_LABEL}={NAME_VALUE}"


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    from ops.cli import add_command

    doctor = add_command(
        commands,
        "doctor",
        "PASS/WARN/FAIL checks of the stack, cluster, nodes, pods and controller",
        common,
    )
    add_controller_options(doctor)
    doctor.add_argument(
        "--probe-timeout",
        type=float,
        default=90,
        help="seconds to wait for each reachability probe pod (90)",
    )


def run_doctor(args: argparse.Namespace, stdout: TextIO, progress: Callable[[str], None]) -> int:
    if args.probe_timeout <= 0:
        raise UsageError(f"--probe-timeout: more than 0 seconds (got {args.probe_timeout})")
    check_controller_options(args)
    found: list[Check] = []
    try:
        diagnose(args, found, progress)
    finally:
        report(args.json, args.stack, found, stdout)
    return EXIT_CHECK_FAILED if any(c.level == "FAIL" for c in found) else EXIT_OK


def diagnose(args: argparse.Namespace, found: list[Check], progress: Callable[[str], None]) -> None:
    from ops.kube import core_api
    from ops.pods import check_groups, list_agent_pods
    from ops.stack import read_stack, selected_stack

    found.append(checks.pulumi_cli())
    if found[-1].level == "FAIL":
        return
    try:
        if args.stack is None:
            args.stack = selected_stack(args.project_dir.resolve())
        progress(f"reading stack {args.stack}")
        stack = read_stack(args.stack, args.project_dir.resolve())
    except UsageError:
        raise
    except OpsError as err:
        found.append(checks.stack_read(args.stack, str(err)))
        return
    found.append(checks.stack_read(args.stack, None))
    groups = check_groups(args.group, stack.agent_tags) or sorted(stack.agent_tags)
    try:
        core = core_api(stack)
        server = str(core.api_client.configuration.host)
        exists, labels = _namespace(core, stack.namespace)
        pods = list_agent_pods(core, stack.namespace, args.group)
        nodes = [core.api_client.sanitize_for_serialization(n) for n in _nodes(core)]
    except OpsError as err:
        found.append(Check("cluster", "FAIL", str(err), "check the stack's kubeconfig/context"))
        return
    pinned = stack.kubeconfig is not None or stack.kube_context is not None
    found.append(checks.cluster(server, _context(stack), pinned))
    found.append(checks.namespace(stack.namespace, labels, exists))
    for group in groups:
        found.append(checks.agent_nodes(group, [p for p in pods if p.group == group], nodes))
    found.append(checks.scheduling(pods))
    found.extend(checks.containers(pods))
    found.extend(_controller(args, stack, pods, groups, progress))
    address = args.controller or stack.controller_address
    for group in groups:
        found.append(_reach(core, stack.namespace, group, pods, address, args, progress))
    found.append(checks.conntrack(*_tuning_logs(core, stack.namespace)))


def _controller(
    args: argparse.Namespace,
    stack: Any,
    pods: list[Any],
    groups: list[str],
    progress: Callable[[str], None],
) -> list[Check]:
    from ops.connect import connect
    from ops.verify import match

    if not credentials_configured(os.environ, stack.ops_config):
        return [Check("controller", "WARN", "no controller credentials", HOW_TO_CONFIGURE)]
    try:
        controller = connect(args, stack, 0, progress)
        agents = controller.agents()
    except OpsError as err:
        return [
            Check("controller", "FAIL", str(err), "the detail names it; docs/troubleshooting.md")
        ]
    result = [Check("controller", "PASS", f"{controller.url}: TLS and login accepted")]
    report = match(
        pods, agents, stack.agent_tags, args.group, stack=stack.name, replicas=stack.replicas
    )
    counts = {
        state: sum(len(getattr(g, state)) for g in report.groups.values())
        for state in ("missing", "offline", "mistagged", "blocked")
    }
    counts["short"] = sum(g.short for g in report.groups.values())
    if report.ok and pods:
        result.append(Check("registration", "PASS", f"all {len(pods)} agent pods registered"))
    else:
        detail = ", ".join(f"{n} {state}" for state, n in counts.items() if n) or "no agent pods"
        result.append(
            Check(
                "registration",
                "FAIL",
                f"{detail} of {len(pods)} agent pods",
                f"`make status STACK={stack.name}` names them; `make logs` collects their logs",
            )
        )
    return result


def _reach(
    core: Any,
    namespace: str,
    group: str,
    pods: list[Any],
    address: str | None,
    args: argparse.Namespace,
    progress: Callable[[str], None],
) -> Check:
    from ops.reach import run_probe

    name = f"controller reachable from {group} nodes"
    if not address:
        return Check(name, "SKIP", "no controller address: the stack sets none, give --controller")
    placed = [p for p in pods if p.group == group and p.node]
    if not placed:
        return Check(name, "SKIP", f"no scheduled {group} pod to copy placement from")
    return run_probe(core, namespace, group, placed[0], address, args.probe_timeout, progress)


def _context(stack: Any) -> str | None:
    """The kube context read: the stack's kubeContext, else the kubeconfig's current one."""
    import yaml
    from kubernetes import config

    if stack.kube_context:
        return str(stack.kube_context)
    if stack.kubeconfig is None:
        try:
            _, active = config.list_kube_config_contexts(os.environ.get("KUBECONFIG") or None)
        except (config.ConfigException, OSError):
            return None
        return str(active["name"])
    try:
        loaded = yaml.safe_load(stack.kubeconfig.value)
    except yaml.YAMLError:
        return None  # the kubeconfig may be a path; its content is never shown
    return str(loaded.get("current-context")) if isinstance(loaded, dict) else None


def _namespace(core: Any, namespace: str) -> tuple[bool, dict[str, str]]:
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    try:
        read = core.read_namespace(namespace, _request_timeout=30)
    except ApiException as err:
        if err.status == 404:
            return False, {}
        raise OpsError(f"cannot read namespace {namespace}: {err.status} {err.reason}") from None
    except HTTPError as err:
        raise OpsError(f"cannot reach the cluster's API server: {type(err).__name__}") from None
    return True, dict(read.metadata.labels or {})


def _nodes(core: Any) -> list[Any]:
    from kubernetes.client.exceptions import ApiException

    try:
        return list(core.list_node(_request_timeout=30).items)
    except ApiException as err:
        raise OpsError(f"cannot list nodes: {err.status} {err.reason}") from None


def _tuning_logs(core: Any, namespace: str) -> tuple[dict[str, str], str | None]:
    """The node-tuning pods' last log lines, or why they could not be read."""
    from kubernetes.client.exceptions import ApiException

    logs: dict[str, str] = {}
    try:
        listed = core.list_namespaced_pod(
            namespace, label_selector=TUNING_SELECTOR, _request_timeout=30
        )
        for pod in listed.items:
            logs[pod.metadata.name] = core.read_namespaced_pod_log(
                pod.metadata.name,
                namespace,
                container=CONTAINER_NAME,
                tail_lines=20,
                _preload_content=False,
                _request_timeout=30,
            ).data.decode(errors="replace")
    except ApiException as err:
        return logs, f"{err.status} {err.reason}"
    return logs, None


def report(as_json: bool, stack: str, found: list[Check], stdout: TextIO) -> None:
    failed = sum(c.level == "FAIL" for c in found)
    if as_json:
        document = {
            "schemaVersion": SCHEMA_VERSION,
            "stack": stack,
            "ok": failed == 0,
            "checks": [c.as_json() for c in found],
        }
        json.dump(document, stdout, indent=2)
        stdout.write("\n")
        return
    for check in found:
        print(f"{check.level:4}  {check.name}: {check.detail}", file=stdout)
        if check.fix and check.level != "PASS":
            print(f"      fix: {check.fix}", file=stdout)
    counts = {level: sum(c.level == level for c in found) for level in ("PASS", "WARN", "SKIP")}
    print(
        f"{counts['PASS']} passed, {counts['WARN']} warnings, {counts['SKIP']} skipped, "
        f"{failed} failed",
        file=stdout,
    )
