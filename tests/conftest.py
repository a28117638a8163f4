"""Fixtures every test may use; the helpers that run the program live in tests/support/."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _support_table_date(monkeypatch: pytest.MonkeyPatch) -> None:
    """Version support is judged on the support table's own date, not the machine's (imported
    here, not at the top: a test of an existing-cluster stack must not load the EKS settings)."""
    from components.settings.eks import versions

    monkeypatch.setattr(versions, "today", lambda: versions.AS_OF)


@pytest.fixture
def logged_warnings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the program logs with `pulumi.log.warn` (preview shows these), in order."""
    import pulumi

    found: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *a, **k: found.append(message))
    return found
