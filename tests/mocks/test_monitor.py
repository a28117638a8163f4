"""The recording monitor keeps what the program sent, as plain data: every registration and read
with its inputs, parent, provider and dependencies, which inputs were secret, resource references
as URNs, and each component's registered outputs."""

from __future__ import annotations

from typing import Any

import pulumi

from mocks.cluster import ClusterMocks
from mocks.monitor import Registered, plain, secret_keys, secret_paths
from tests.mocks.support import run_done

THING = "test:index:Thing"
SECRET = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": "s"}


class Box(pulumi.ComponentResource):
    def __init__(self, name: str) -> None:
        super().__init__("test:index:Box", name, None, None)
        self.register_outputs({"size": 2, "label": pulumi.Output.secret("inside")})


def recorded() -> tuple[dict[str, Registered], dict[str, dict[str, Any]]]:
    """Run a program with a component, two resources inside it and a read; returns what the
    monitor recorded by name, and the component outputs by URN."""

    def body() -> None:
        box = Box("box")
        first = pulumi.CustomResource(
            THING, "first", {"size": 1}, pulumi.ResourceOptions(parent=box)
        )
        second = pulumi.CustomResource(
            THING,
            "second",
            {
                "fromFirst": first.id,
                "token": pulumi.Output.secret("t-1"),
                "env": [
                    {"name": "A", "value": "a"},
                    {"name": "B", "value": pulumi.Output.secret("b")},
                ],
                "owner": first,
            },
            pulumi.ResourceOptions(parent=box),
        )
        read = pulumi.CustomResource(
            "kubernetes:core/v1:Service",
            "dns",
            {},
            pulumi.ResourceOptions(id="kube-system/kube-dns", depends_on=[first]),
        )
        pulumi.export("done", pulumi.Output.all(second.id, read.id).apply(lambda _: True))

    monitor = run_done(ClusterMocks(), body)
    return {r.name: r for r in monitor.registered}, monitor.outputs


def test_registrations_keep_inputs_parents_and_data_dependencies() -> None:
    by_name, _ = recorded()
    box, first, second = by_name["box"], by_name["first"], by_name["second"]
    assert (box.typ, box.custom) == ("test:index:Box", False)
    assert (first.typ, first.custom, first.parent) == (THING, True, box.urn)
    assert first.inputs == {"size": 1.0}  # numbers as the engine carries them
    assert second.parent == box.urn
    assert second.inputs["fromFirst"] == "first-id"
    assert second.property_dependencies["fromFirst"] == [first.urn]
    assert first.urn in second.dependencies
    # A resource reference arrives as the URN of the resource it names.
    assert second.inputs["owner"] == first.urn and second.references == [first.urn]


def test_secret_inputs_are_named_and_unwrapped() -> None:
    by_name, _ = recorded()
    second = by_name["second"]
    # The SDK sends a top-level input whole: one secret value inside marks all of it secret.
    assert second.secret_inputs == second.secret_paths == {"token", "env"}
    assert second.inputs["token"] == "t-1"
    assert second.inputs["env"] == [{"name": "A", "value": "a"}, {"name": "B", "value": "b"}]
    assert by_name["first"].secret_paths == set()


def test_reads_keep_their_id_and_dependencies() -> None:
    by_name, _ = recorded()
    read = by_name["dns"]
    assert read.read_id == "kube-system/kube-dns"
    assert read.dependencies == [by_name["first"].urn]
    assert by_name["first"].read_id is None


def test_component_outputs_are_kept_plain_by_urn() -> None:
    by_name, outputs = recorded()
    assert outputs[by_name["box"].urn] == {"size": 2.0, "label": "inside"}


def test_secret_markers_found_at_any_depth_and_removed_by_plain() -> None:
    value = {"a": SECRET, "b": [{"c": SECRET}, 1], "d": {"e": "x"}}
    assert secret_keys(value) == {"a"}
    assert secret_paths(value) == {"a", "b[0].c"}
    assert plain(value) == {"a": "s", "b": [{"c": "s"}, 1], "d": {"e": "x"}}
    # Anything that is not JSON-like data shows as its text.
    assert plain({"when": 1.5, "what": frozenset()}) == {"when": 1.5, "what": "frozenset()"}


def test_aliases_given_as_urns_are_kept() -> None:
    old = "urn:pulumi:test::cyperf-k8s::test:index:Thing::old"

    def body() -> None:
        moved = pulumi.CustomResource(THING, "new", {}, pulumi.ResourceOptions(aliases=[old]))
        plain_one = pulumi.CustomResource(THING, "plain", {})
        pulumi.export("done", pulumi.Output.all(moved.id, plain_one.id).apply(lambda _: True))

    monitor = run_done(ClusterMocks(), body)
    assert {r.name: r.alias_urns for r in monitor.registered} == {"new": [old], "plain": []}
