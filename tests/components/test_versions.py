"""Version strings compare as numbers: `1.10` is newer than `1.9`."""

from __future__ import annotations

import pytest

from components.versions import version_numbers


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("1.34", (1, 34)),
        ("v1.35.0", (1, 35, 0)),
        ("1.35.0-20261118", (1, 35, 0, 20261118)),
        ("release26.0.0", (26, 0, 0)),
        ("release7.0-update1", (7, 0, 1)),
        ("latest", ()),
        # Only ASCII digits are numbers (a version never holds another script's digits).
        ("\u0661.\u0662", ()),
    ],
)
def test_version_numbers(text: str, numbers: tuple[int, ...]) -> None:
    assert version_numbers(text) == numbers


def test_versions_order_by_number_not_by_text() -> None:
    assert "1.10" < "1.9"
    assert version_numbers("1.10") > version_numbers("1.9")
    assert sorted(["1.10", "1.9", "1.34", "1.3"], key=version_numbers) == [
        "1.3",
        "1.9",
        "1.10",
        "1.34",
    ]
