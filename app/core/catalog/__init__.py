"""Every diagnosis code with its plain message and suggested fix, one module per concern.

Codes are stable strings (tests, the GUI and support rely on them). Each part owns one
prefix family; `CATALOG` is their union, and a code defined twice is a programming error.
"""

from __future__ import annotations

from app.core.catalog import answer, outcome, tokens, transport, user_input, vault
from app.core.catalog.entry import Entry, Severity


def _merge(*parts: dict[str, Entry]) -> dict[str, Entry]:
    merged: dict[str, Entry] = {}
    for part in parts:
        twice = merged.keys() & part.keys()
        if twice:
            raise RuntimeError(f"diagnosis codes defined twice: {sorted(twice)}")
        merged.update(part)
    return merged


CATALOG: dict[str, Entry] = _merge(
    user_input.ENTRIES,
    transport.ENTRIES,
    answer.ENTRIES,
    tokens.ENTRIES,
    outcome.ENTRIES,
    vault.ENTRIES,
)

__all__ = ["CATALOG", "Entry", "Severity"]
