"""Errors the CLI turns into one line on stderr and a documented exit code (see ops/cli.py)."""

from __future__ import annotations


class OpsError(Exception):
    """The stack, the cluster or the controller could not be read (exit code 4)."""


class UsageError(OpsError):
    """Bad command line or missing settings (exit code 2)."""
