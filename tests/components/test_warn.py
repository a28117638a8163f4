"""Every settings warning is logged with `pulumi.log.warn`, rendered at its key, once, in the
order given."""

from __future__ import annotations

from collections.abc import Iterator

from components.settings.problems import KeyWarning
from components.warn import conceal_secrets, warn


def test_each_warning_is_logged_once_in_order_at_its_key(logged_warnings: list[str]) -> None:
    warn(
        [
            KeyWarning(("controllerAddress",), "is a documentation address"),
            KeyWarning(("agentGroups", 1, "conntrack", "maxEntries"), "is below the plan"),
            KeyWarning(("profile",), "is not used", namespace="aws"),
        ]
    )
    assert logged_warnings == [
        "cyperf-k8s:controllerAddress: is a documentation address",
        "cyperf-k8s:agentGroups[1].conntrack.maxEntries: is below the plan",
        "aws:profile: is not used",
    ]


def test_warnings_from_a_generator_are_read_once(logged_warnings: list[str]) -> None:
    produced: list[str] = []

    def warnings() -> Iterator[KeyWarning]:
        for name in ("a", "b"):
            produced.append(name)
            yield KeyWarning(("agentGroups", 0, "name"), f"{name} said")

    warn(warnings())
    assert produced == ["a", "b"]
    assert logged_warnings == [
        "cyperf-k8s:agentGroups[0].name: a said",
        "cyperf-k8s:agentGroups[0].name: b said",
    ]


def test_no_warnings_log_nothing(logged_warnings: list[str]) -> None:
    warn([])
    assert logged_warnings == []


def test_the_strings_of_secret_values_are_scrubbed(logged_warnings: list[str]) -> None:
    conceal_secrets(frozenset({"ctl.lab.local", "ab"}))
    try:
        warn([KeyWarning(("controllerAddress",), "'ctl.lab.local' ends in '.local'; ab stays")])
    finally:
        conceal_secrets(frozenset())
    # Strings shorter than MIN_SECRET_SUBSTRING are left: scrubbing them would garble any text.
    assert logged_warnings == ["cyperf-k8s:controllerAddress: <secret> ends in '.local'; ab stays"]
