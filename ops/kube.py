"""A Kubernetes API client for the stack's cluster, with the credentials the stack itself uses.

The kubeconfig is parsed in memory (`new_client_from_config_dict`): the secret never lands in a
file. Exec credential plugins (`aws eks get-token` in the EKS stack's kubeconfig) work as with
kubectl.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client, config

from ops.errors import StackUnreadableError
from ops.stack import StackInfo


def core_api(stack: StackInfo) -> client.CoreV1Api:
    try:
        if stack.kubeconfig is None:
            # KUBECONFIG read now (the client reads it once, at import), colon lists included
            api_client = config.new_client_from_config(
                config_file=os.environ.get("KUBECONFIG") or None, context=stack.kube_context
            )
        else:
            api_client = config.new_client_from_config_dict(
                _kubeconfig_dict(stack.kubeconfig.value), context=stack.kube_context
            )
    except yaml.YAMLError:
        # PyYAML's message quotes the offending line: never show it.
        raise StackUnreadableError(
            "cannot load the stack's kubeconfig: not valid YAML (content hidden: it is a secret)"
        ) from None
    except (config.ConfigException, OSError, ValueError) as err:
        # The loader's messages name contexts, keys and files, not credential values.
        where = "the stack's kubeconfig" if stack.kubeconfig else "KUBECONFIG/~/.kube/config"
        raise StackUnreadableError(
            f"cannot load {where}: {_first_line(err)}",
            fix="check cyperf-k8s:kubeconfig and cyperf-k8s:kubeContext, or KUBECONFIG",
        ) from None
    return client.CoreV1Api(api_client)


def cluster_target(stack: StackInfo, core: client.CoreV1Api) -> str:
    """`<API server URL> (context <name>)`: which cluster a command read, said every time so a
    wrong ambient context is seen at once."""
    server = core.api_client.configuration.host
    context = stack.kube_context
    if context is None:
        try:
            if stack.kubeconfig is None:
                _, active = config.list_kube_config_contexts(
                    config_file=os.environ.get("KUBECONFIG") or None
                )
                context = active.get("name")
            else:
                context = _kubeconfig_dict(stack.kubeconfig.value).get("current-context")
        except (config.ConfigException, OSError, ValueError, yaml.YAMLError):
            context = None
    source = "the stack's kubeconfig" if stack.kubeconfig else "KUBECONFIG/~/.kube/config"
    return f"{server} (context {context or 'unnamed'} of {source})"


def _kubeconfig_dict(value: str) -> dict[str, Any]:
    """The `kubeconfig` value is kubeconfig content or a path to one (as for the program's
    Kubernetes provider)."""
    if "\n" not in value and os.path.isfile(os.path.expanduser(value)):
        value = Path(os.path.expanduser(value)).read_text()
    loaded = yaml.safe_load(value)
    if not isinstance(loaded, dict):
        raise ValueError("kubeconfig is neither a kubeconfig document nor a path to one")
    return loaded


def _first_line(err: Exception) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else "no detail"
