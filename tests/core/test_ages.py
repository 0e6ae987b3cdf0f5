"""Whole-day counts in words (app/core/ages.py): never "0 d old", "1 days" or "in -3 d"."""

from __future__ import annotations

import pytest

from app.core.ages import certificate_expiry, compact_age, compact_expiry, days, token_age


@pytest.mark.parametrize(
    ("n", "age", "cell"),
    [(0, "token issued today", "today"), (1, "token 1 day old", "1 d"),
     (2, "token 2 days old", "2 d"), (45, "token 45 days old", "45 d")],
)  # fmt: skip
def test_token_age(n: int, age: str, cell: str) -> None:
    assert token_age(n) == age
    assert compact_age(n) == cell


@pytest.mark.parametrize(
    ("n", "expiry", "cell"),
    [(-2, "TLS certificate expired 2 days ago", "expired"),
     (-1, "TLS certificate expired 1 day ago", "expired"),
     (0, "TLS certificate expires today", "today"),
     (1, "TLS certificate expires in 1 day", "1 d"),
     (30, "TLS certificate expires in 30 days", "30 d")],
)  # fmt: skip
def test_certificate_expiry(n: int, expiry: str, cell: str) -> None:
    assert certificate_expiry(n) == expiry
    assert compact_expiry(n) == cell


def test_days() -> None:
    assert [days(n) for n in (0, 1, 2)] == ["0 days", "1 day", "2 days"]
