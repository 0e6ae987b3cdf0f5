"""The CLI's one error type for usage and input problems (a leaf: every command module may
import it without importing the others)."""

from __future__ import annotations


class CliError(Exception):
    """A usage or input problem, reported as one line on stderr."""
