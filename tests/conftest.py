"""Shared Pulumi mocks: run the real program under mocks and record everything it registered.

`run_stack` runs `components.stack.main()` with `preview=False`, waits for every output, and
returns the registered resources (type, name, inputs, parent, provider, dependencies), the
component outputs and the resolved stack exports, so tests assert on what the program registered,
not on what a mock echoed.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc

from components.settings.problems import PROJECT

STACK = "test"
CLUSTER_DNS_IP = "10.96.0.10"


@dataclass
class Registered:
    typ: str
    name: str
    inputs: dict[str, Any]
    urn: str = ""
    parent: str = ""
    provider: str = ""
    dependencies: list[str] = field(default_factory=list)
    read_id: str | None = None
    custom: bool = True
    # Top-level inputs that arrived marked secret.
    secret_inputs: set[str] = field(default_factory=set)


@dataclass
class StackRun:
    resources: list[Registered]
    exports: dict[str, Any]
    component_outputs: dict[str, dict[str, Any]]

    def of_type(self, typ: str) -> list[Registered]:
        return [r for r in self.resources if r.typ == typ and r.read_id is None]

    def reads(self, typ: str) -> list[Registered]:
        return [r for r in self.resources if r.typ == typ and r.read_id is not None]

    def one(self, typ: str, name: str) -> Registered:
        found = [r for r in self.of_type(typ) if r.name == name]
        assert len(found) == 1, f"expected one {typ} named {name}, got {[r.name for r in found]}"
        return found[0]

    def managed(self) -> dict[tuple[str, str], dict[str, Any]]:
        """(type, name) -> inputs of every created (not read) resource."""
        return {(r.typ, r.name): r.inputs for r in self.resources if r.read_id is None}


class ClusterMocks(pulumi.runtime.Mocks):
    """Answers like a cluster would: the API server assigns ClusterIPs and node ports; reads of
    Endpoints and the DNS Service return the objects given in `cluster_state`."""

    def __init__(self, cluster_state: dict[tuple[str, str], dict[str, Any]]) -> None:
        self.cluster_state = cluster_state
        # The monitor running these mocks (set by `run_stack`), for mocks that must register
        # resources a remote component would create.
        self.monitor: pulumi_mocks.MockMonitor | None = None
        self.next_ip = 1
        self.next_node_port = 31000

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.resource_id:
            state = self.cluster_state.get((args.typ, args.resource_id))
            if state is None:
                raise RuntimeError(f"mock cluster has no {args.typ} {args.resource_id}")
            return args.resource_id, copy.deepcopy(state)
        outputs = copy.deepcopy(args.inputs)
        if args.typ == "kubernetes:core/v1:Service":
            spec = outputs.setdefault("spec", {})
            spec["clusterIP"] = f"10.96.1.{self.next_ip}"
            self.next_ip += 1
            for port in spec.get("ports", []):
                if spec.get("type") in ("NodePort", "LoadBalancer") and "nodePort" not in port:
                    port["nodePort"] = self.next_node_port
                    self.next_node_port += 1
            outputs["status"] = {"loadBalancer": {}}
        return f"{args.name}-id", outputs

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[str, Any], list[Any]]:
        raise AssertionError(f"unexpected invoke {args.token}")


class RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.registered: list[Registered] = []
        self.outputs: dict[str, dict[str, Any]] = {}

    def _record(self, request: Any, urn: str, read_id: str | None, custom: bool) -> None:
        inputs = rpc.deserialize_properties(
            request.object if read_id is None else request.properties
        )
        self.registered.append(
            Registered(
                typ=request.type,
                name=request.name,
                inputs=_plain(inputs),
                secret_inputs=_secret_keys(inputs),
                urn=urn,
                parent=request.parent,
                provider=request.provider,
                dependencies=list(request.dependencies),
                read_id=read_id,
                custom=custom,
            )
        )

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self._record(request, response.urn, None, bool(request.custom))
        return response

    def ReadResource(self, request: Any) -> Any:
        response = super().ReadResource(request)
        self._record(request, response.urn, request.id, True)
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:
        self.outputs[request.urn] = _plain(rpc.deserialize_properties(request.outputs))
        return super().RegisterResourceOutputs(request)


def _plain(value: Any) -> Any:
    """Plain JSON-like data: secrets unwrapped (see `_secret_keys`), numbers as the engine sends
    them (floats)."""
    if _is_secret(value):
        return _plain(value.get("value"))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    return str(value)


def _is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(rpc._special_sig_key) == rpc._special_secret_sig


def _secret_keys(inputs: dict[str, Any]) -> set[str]:
    return {key for key, value in inputs.items() if _is_secret(value)}


def default_cluster_state(
    namespace: str = "cyperf", endpoints: dict[str, dict[str, Any]] | None = None
) -> dict[tuple[str, str], dict[str, Any]]:
    state: dict[tuple[str, str], dict[str, Any]] = {
        ("kubernetes:core/v1:Service", "kube-system/kube-dns"): {
            "metadata": {"name": "kube-dns", "namespace": "kube-system"},
            "spec": {"clusterIP": CLUSTER_DNS_IP, "type": "ClusterIP"},
        }
    }
    for service, subsets in (endpoints or {}).items():
        state[("kubernetes:core/v1:Endpoints", f"{namespace}/{service}")] = {
            "metadata": {"name": service, "namespace": namespace},
            **subsets,
        }
    return state


def config_of(**settings: Any) -> dict[str, str]:
    """Stack config as the engine hands it over: `cyperf-k8s:<key>` -> string (JSON for objects)."""
    return {
        f"{PROJECT}:{key}": value if isinstance(value, str) else json.dumps(value)
        for key, value in settings.items()
    }


def run_stack(
    config: dict[str, str],
    cluster_state: dict[tuple[str, str], dict[str, Any]] | None = None,
    mocks: ClusterMocks | None = None,
    monitor_class: type[RecordingMonitor] | None = None,
) -> StackRun:
    """Run the real program under mocks; every export must resolve."""
    if mocks is None:
        mocks = ClusterMocks(
            cluster_state if cluster_state is not None else default_cluster_state()
        )
    run, error = _run(config, mocks, monitor_class or RecordingMonitor)
    if error is not None:
        raise error
    return run


def run_stack_expecting_error(config: dict[str, str]) -> tuple[BaseException, StackRun]:
    """Run the program with a config it must reject; returns the error and what got registered."""
    run, error = _run(config, ClusterMocks(default_cluster_state()), RecordingMonitor)
    assert error is not None, "the program accepted a config it should reject"
    return error, run


def _run(
    config: dict[str, str], mocks: ClusterMocks, monitor_class: type[RecordingMonitor]
) -> tuple[StackRun, BaseException | None]:
    from components import stack

    monitor = monitor_class(mocks)
    mocks.monitor = monitor
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=STACK, preview=False, monitor=monitor)
    pulumi.runtime.set_all_config(config)
    exports: dict[str, Any] = {}
    resolved: dict[str, Any] = {}
    error: BaseException | None = None

    def capture(name: str, value: Any) -> None:
        exports[name] = value

    original_export = pulumi.export
    pulumi.export = capture
    try:

        @pulumi.runtime.test
        def program() -> pulumi.Output[Any] | None:
            stack.main()
            return pulumi.Output.all(**exports).apply(resolved.update) if exports else None

        program()
    except Exception as err:  # the caller decides whether an error was expected
        error = err
    finally:
        pulumi.export = original_export
        pulumi.runtime.set_all_config({})
    if error is None:
        assert exports, "the program exported nothing"
        assert set(resolved) == set(exports), "not every export resolved"
    return StackRun(monitor.registered, _plain(resolved), monitor.outputs), error
