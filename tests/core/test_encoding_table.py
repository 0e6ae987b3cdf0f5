"""The Authorization header form per partner (EncodingChoice): Base64 vs plain token.

OCPI 2.2+ wants Base64 of the token, 2.1.1 the raw token; many platforms get it wrong. In
auto mode the expected form goes first (Base64 before the version is known); what the
partner refused and accepted decides the next try and what is stored with the partner.
"""

from __future__ import annotations

import pytest

from app.core.runner import EncodingChoice

B64, PLAIN = True, False
# (mode, [(form tried, accepted, version)], version asked next) -> (next form, stored, warnings)
ROWS = [
    ("auto", [], None, B64, "auto", 0),
    ("auto", [], "2.1.1", PLAIN, "auto", 0),
    ("auto", [], "2.2.1", B64, "auto", 0),
    ("auto", [], "2.3.0", B64, "auto", 0),
    ("auto", [], "2.1", PLAIN, "auto", 0),
    ("base64", [], "2.1.1", B64, "base64", 0),
    ("raw", [], "2.2.1", PLAIN, "raw", 0),
    ("raw", [], None, PLAIN, "raw", 0),
    ("auto", [(B64, True, "2.2.1")], "2.2.1", B64, "base64", 0),
    ("auto", [(PLAIN, True, "2.1.1")], "2.1.1", PLAIN, "raw", 0),
    ("auto", [(B64, False, "2.2.1"), (PLAIN, True, "2.2.1")], "2.2.1", PLAIN, "raw", 1),
    ("auto", [(PLAIN, False, "2.1.1"), (B64, True, "2.1.1")], "2.1.1", B64, "base64", 1),
    ("auto", [(B64, False, None), (PLAIN, True, None)], "2.1.1", PLAIN, "raw", 0),
    ("auto", [(B64, False, "2.2.1"), (PLAIN, False, "2.2.1")], "2.2.1", B64, "auto", 0),
    (
        "auto",
        [(B64, False, "2.2.1"), (PLAIN, True, "2.2.1"), (PLAIN, True, "2.2.1")],
        "2.2.1",
        PLAIN,
        "raw",
        1,
    ),
    ("auto", [(B64, False, "2.2.1"), (PLAIN, True, "2.2.1")], "2.1.1", PLAIN, "raw", 1),
    ("base64", [(B64, True, "2.1.1")], "2.1.1", B64, "base64", 0),
    ("raw", [(PLAIN, True, "2.3.0")], "2.3.0", PLAIN, "raw", 0),
]


@pytest.mark.parametrize(("mode", "seen", "version", "first", "stored", "warnings"), ROWS)
def test_encoding_row(
    mode: str,
    seen: list[tuple[bool, bool, str | None]],
    version: str | None,
    first: bool,
    stored: str,
    warnings: int,
) -> None:
    choice = EncodingChoice(mode)
    for form, accepted, at in seen:
        choice.note(form, accepted, at)
    assert choice.first_try(version) is first
    assert choice.stored_value == stored
    assert [w.code for w in choice.warnings] == ["token.encoding_switched"] * warnings


def test_the_switch_warning_names_the_form_that_worked() -> None:
    choice = EncodingChoice("auto")
    choice.note(B64, False, "2.2.1")
    choice.note(PLAIN, True, "2.2.1")
    assert "plain" in choice.warnings[0].message
