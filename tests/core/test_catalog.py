"""The diagnosis catalogue: one module per concern, every code usable as written."""

from __future__ import annotations

import re

import pytest

from app.core import catalog
from app.core.catalog import CATALOG, answer, outcome, tokens, transport, user_input, vault
from app.core.diagnosis import Severity, diagnose

# which code prefixes each concern owns
OWNERS = {
    user_input: ("input.",),
    transport: ("net.",),
    answer: ("ocpi.",),
    tokens: ("token.", "inbound."),
    outcome: ("reg.", "partner.", "profile.", "sandbox.", "internal"),
    vault: ("vault.",),
}
FIELDS = {
    "method": "PUT",
    "versions_url": "https://x.example/v",
    "peer": "NL-ABC",
    "prefix": "Token",
    "version": "2.2.1",
    "wanted": "Base64-encoded",
}


@pytest.mark.parametrize("part", list(OWNERS), ids=lambda part: part.__name__.rsplit(".")[-1])
def test_each_part_owns_its_prefixes(part: object) -> None:
    entries = part.ENTRIES  # type: ignore[attr-defined]
    assert entries
    assert all(code.startswith(OWNERS[part]) for code in entries)  # type: ignore[index]


def test_the_catalog_is_the_union_of_its_parts() -> None:
    parts = [p.ENTRIES for p in OWNERS]  # type: ignore[attr-defined]
    assert sum(len(p) for p in parts) == len(CATALOG)
    assert set(CATALOG) == set().union(*parts)


def test_a_code_defined_twice_is_refused() -> None:
    entry = next(iter(CATALOG.values()))
    with pytest.raises(RuntimeError, match=r"net\.timeout"):
        catalog._merge({"net.timeout": entry}, {"net.timeout": entry})


@pytest.mark.parametrize("code", sorted(CATALOG))
def test_every_code_fills_its_placeholders(code: str) -> None:
    diagnosis = diagnose(code, "DETAIL-TEXT", **FIELDS)
    assert not re.search(r"\{\w*\}", diagnosis.message + diagnosis.hint), code
    if "{detail}" in CATALOG[code].message:
        assert "DETAIL-TEXT" in diagnosis.message
    assert diagnosis.severity in (Severity.ERROR, Severity.WARNING)
    assert diagnosis.message.strip() and diagnosis.hint.strip()


def test_a_detail_that_ends_its_sentence_gets_no_second_full_stop() -> None:
    """Seen in the wizard: "...right after issuing it.." when the detail was a sentence."""
    sentence = diagnose("token.c_rejected").message
    nested = diagnose("reg.verify_failed", sentence).message
    assert nested == f"Registered, but the check with TOKEN_C failed: {sentence}"
    assert not nested.endswith("..")
    plain = diagnose("reg.verify_failed", "HTTP 503 from the partner").message
    assert plain == "Registered, but the check with TOKEN_C failed: HTTP 503 from the partner."
