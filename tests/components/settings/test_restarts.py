"""Which settings restart a group's agents is found, never assumed: every key has a sample, and a
key restarts the agents of a role exactly when its sample changes that role's pod template."""

from __future__ import annotations

from typing import Any

import pytest

from components import specs
from components.settings import reference, restarts
from components.settings.reference import keys
from components.settings.restarts import SAMPLES, Sample, restarting_keys, restarting_roles
from components.settings.stack import StackSettings

# The stack's keys that hold values, as the configuration reference hands them over.
LEAVES = [k.path for k in keys(StackSettings) if not k.is_object]


def test_the_restart_list_is_what_reaches_the_pod_template() -> None:
    restarting = restarting_keys(LEAVES)
    # What the pod template carries, and what it does not (the README once missed three).
    assert {
        "cyperfRelease",
        "controllerAddress",
        "agentGroups[i].env",
        "agentGroups[i].seccompProfile",
        "agentGroups[i].localPortRange",
        "agentGroups[i].conntrack.peakConnectionsPerSecond",
    } <= set(restarting)
    assert restarting["agentGroups[i].localPortRange"] == {"client"}
    assert not {
        "namespace",
        "rolloutTimeoutSeconds",
        "agentGroups[i].replicas",
        "agentGroups[i].service.name",
        "agentGroups[i].service.type",
        "conntrack.nodeTuning",
    } & set(restarting)


def test_a_key_added_to_or_dropped_from_the_pod_template_changes_the_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    deployment = specs.deployment
    generated = reference.reference()

    def replicas_in_template(*args: Any, **kwargs: Any) -> dict[str, Any]:
        spec = deployment(*args, **kwargs)
        spec["spec"]["template"]["metadata"]["labels"]["replicas"] = str(spec["spec"]["replicas"])
        spec["spec"]["template"]["spec"]["securityContext"].pop("seccompProfile")
        return spec

    monkeypatch.setattr(specs, "deployment", replicas_in_template)
    restarting = restarting_keys(LEAVES)
    assert "agentGroups[i].replicas" in restarting
    assert "agentGroups[i].seccompProfile" not in restarting
    # The configuration reference follows (its committed file is the generated one).
    assert reference.reference() != generated


def test_a_key_without_a_sample_stops_the_generator(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match=r"agentGroups\[i\]\.newSetting"):
        restarting_keys([*LEAVES, "agentGroups[i].newSetting"])
    monkeypatch.delitem(SAMPLES, "agentGroups[i].seccompProfile")
    with pytest.raises(ValueError, match=r"agentGroups\[i\]\.seccompProfile"):
        restarting_keys(LEAVES)


@pytest.mark.parametrize(
    ("path", "sample"),
    [
        ("agentGroups[i].replicas", Sample(1)),
        ("agentGroups[i].replicas", Sample(-1)),
        ("agentGroups[i].readiness.path", Sample("/x")),
        ("namespace", Sample("cyperf")),
    ],
)
def test_a_sample_that_is_refused_or_changes_nothing_stops_the_generator(
    path: str, sample: Sample
) -> None:
    with pytest.raises(ValueError, match="refused or changes nothing"):
        restarting_roles(path, sample)


def test_every_sample_names_a_key() -> None:
    assert sorted(SAMPLES) == sorted(LEAVES)
    assert restarts.GROUP == "agentGroups[i]."
