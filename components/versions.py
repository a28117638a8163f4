"""Comparing version strings as numbers (a pure fact helper every layer may import)."""

from __future__ import annotations

import re


def version_numbers(text: str) -> tuple[int, ...]:
    """The numbers of a dotted version (`1.34` -> (1, 34)), so versions compare as numbers."""
    return tuple(int(part) for part in re.findall(r"\d+", text, re.ASCII))
