"""The mock monitor: records what a program registered, read and reported as component outputs,
as plain data, so tests assert on the inputs the program sent rather than on a mock's echo."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc


@dataclass
class Registered:
    typ: str
    name: str
    inputs: dict[str, Any]
    urn: str = ""
    parent: str = ""
    provider: str = ""
    dependencies: list[str] = field(default_factory=list)
    # Per input property, the resources its value came from (data dependencies); dependencies
    # not listed here are ordering only (depends_on, inherited from the parent).
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    # URNs of resource references among the inputs (they appear in `inputs` as the URN).
    references: list[str] = field(default_factory=list)
    read_id: str | None = None
    custom: bool = True
    remote: bool = False
    # Top-level inputs that arrived marked secret.
    secret_inputs: set[str] = field(default_factory=set)
    # Every input that arrived marked secret, at any depth: `spec.template.containers[0].env[1]`
    # style paths (a top-level secret appears here too).
    secret_paths: set[str] = field(default_factory=set)
    additional_secret_outputs: list[str] = field(default_factory=list)
    alias_types: list[str] = field(default_factory=list)
    # Aliases given as a whole URN.
    alias_urns: list[str] = field(default_factory=list)
    version: str = ""
    # The `deleted_with` option: the URN whose deletion also removes this resource (the engine
    # then skips this resource's own delete).
    deleted_with: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "secret_inputs": sorted(self.secret_inputs),
            "secret_paths": sorted(self.secret_paths),
        }


def _references_to_urns(struct: Any) -> list[str]:
    """Replace resource references in a protobuf Struct by their URN (in place); returns them."""
    found: list[str] = []
    for key in list(struct.fields):
        value = struct.fields[key]
        kind = value.WhichOneof("kind")
        if kind == "struct_value":
            inner = value.struct_value
            sig = inner.fields.get(rpc._special_sig_key)
            if sig is not None and sig.string_value == rpc._special_resource_sig:
                found.append(inner.fields["urn"].string_value)
                struct.fields[key].string_value = found[-1]
            else:
                found += _references_to_urns(inner)
        elif kind == "list_value":
            for item in value.list_value.values:
                if item.WhichOneof("kind") == "struct_value":
                    found += _references_to_urns(item.struct_value)
    return found


class ReferenceSafeMonitor(pulumi_mocks.MockMonitor):
    """The mock monitor deserializes inputs on its worker thread, where a resource reference (a
    node group's `cluster`) would rehydrate the resource on the wrong event loop: inputs carry
    the referenced URN instead. The benchmarks' timed runs use this one (nothing recorded)."""

    def RegisterResource(self, request: Any) -> Any:
        copied = type(request)()
        copied.CopyFrom(request)
        references = _references_to_urns(copied.object)
        response = super().RegisterResource(copied)  # type: ignore[no-untyped-call]
        if request.type != "pulumi:pulumi:Stack":
            self.registered_resource(copied, response.urn, references)
        return response

    def registered_resource(self, request: Any, urn: str, references: list[str]) -> None:
        """Called for every registration but the stack's (inputs without references)."""


class RecordingMonitor(ReferenceSafeMonitor):
    def __init__(self, mocks: pulumi_mocks.Mocks) -> None:
        super().__init__(mocks)
        self.registered: list[Registered] = []
        self.outputs: dict[str, dict[str, Any]] = {}

    def registered_resource(self, request: Any, urn: str, references: list[str]) -> None:
        inputs = rpc.deserialize_properties(request.object)
        self.registered.append(
            Registered(
                typ=request.type,
                name=request.name,
                inputs=plain(inputs),
                urn=urn,
                parent=request.parent,
                provider=request.provider,
                dependencies=list(request.dependencies),
                property_dependencies={
                    key: list(deps.urns) for key, deps in request.propertyDependencies.items()
                },
                references=references,
                custom=bool(request.custom),
                remote=bool(request.remote),
                secret_inputs=secret_keys(inputs),
                secret_paths=secret_paths(inputs),
                additional_secret_outputs=list(request.additionalSecretOutputs),
                alias_types=sorted({a.spec.type for a in request.aliases if a.spec.type}),
                alias_urns=sorted(a.urn for a in request.aliases if a.urn),
                version=request.version,
                deleted_with=request.deletedWith,
            )
        )

    def ReadResource(self, request: Any) -> Any:
        response = super().ReadResource(request)  # type: ignore[no-untyped-call]
        inputs = rpc.deserialize_properties(request.properties)
        self.registered.append(
            Registered(
                typ=request.type,
                name=request.name,
                inputs=plain(inputs),
                urn=response.urn,
                parent=request.parent,
                provider=request.provider,
                dependencies=list(request.dependencies),
                read_id=request.id,
                secret_inputs=secret_keys(inputs),
                version=request.version,
            )
        )
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:
        self.outputs[request.urn] = plain(rpc.deserialize_properties(request.outputs))
        return super().RegisterResourceOutputs(request)  # type: ignore[no-untyped-call]


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(rpc._special_sig_key) == rpc._special_secret_sig


def secret_keys(inputs: dict[str, Any]) -> set[str]:
    return {key for key, value in inputs.items() if is_secret(value)}


def secret_paths(value: Any, path: str = "") -> set[str]:
    if is_secret(value):
        return {path} | secret_paths(value.get("value"), path)
    if isinstance(value, dict):
        return {p for k, v in value.items() for p in secret_paths(v, f"{path}.{k}" if path else k)}
    if isinstance(value, list):
        return {p for i, v in enumerate(value) for p in secret_paths(v, f"{path}[{i}]")}
    return set()


def plain(value: Any) -> Any:
    """Plain JSON-like data: secrets unwrapped (see `secret_keys`), numbers as the engine sends
    them (floats)."""
    if is_secret(value):
        return plain(value.get("value"))
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    return str(value)
