"""Time stamps as text: the same text as `datetime`'s isoformat, one second formatted once."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.core import stamps
from app.core.stamps import iso_millis, now_micros
from app.core.tokens import TokenRole
from app.vault.records import dumps


def _millis(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")[:-6] + "Z"


def test_millis_match_datetime_at_the_rounding_edges_and_across_seconds() -> None:
    """Microseconds rounded half to even as datetime does (a .9999996 is the next second),
    milliseconds truncated; the cached second is never reused for another second."""
    rng = random.Random(13)
    epochs = [0.0, 0.0004, 0.9995, 1.9999995, 1.9999994, 1_764_832_000.0000005]
    epochs += [1_764_832_000.9999996, 4_102_444_799.9996, 1e9 + 0.5, -1.25, -0.0000004]
    for _ in range(20_000):
        second = rng.randint(0, 4_000_000_000)
        epochs.append(second + rng.random())
        epochs.append(second + rng.choice((0.9995, 0.9999995, 0.0005, 0.0000005, 0.5)))
        epochs.append(second + rng.randint(0, 999_999) / 1e6 + rng.choice((5e-7, -5e-7, 0.0)))
    assert [iso_millis(e) for e in epochs] == [_millis(e) for e in epochs]
    # two stamps in one second, then one in the next: each right
    assert [iso_millis(e) for e in (100.25, 100.75, 101.5)] == [
        "1970-01-01T00:01:40.250Z",
        "1970-01-01T00:01:40.750Z",
        "1970-01-01T00:01:41.500Z",
    ]


def test_now_is_datetime_now_text() -> None:
    for _ in range(200):
        before, stamp, after = _now(), now_micros(), _now()
        assert before <= stamp <= after
        assert len(stamp) == len(before) and stamp.endswith("Z")


def test_now_crosses_a_second_with_the_new_seconds_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """The clock's nanoseconds floored to microseconds (datetime.now's rule), and a new
    second formatted afresh."""
    clock = iter((1_764_832_000_999_999_999, 1_764_832_001_000_000_999))
    monkeypatch.setattr(stamps.time, "time_ns", lambda: next(clock))
    assert now_micros() == "2025-12-04T07:06:40.999999Z"
    assert now_micros() == "2025-12-04T07:06:41.000000Z"


def test_vault_json_is_json_dumps_text() -> None:
    """The vault's compact JSON (an encoder made once) writes what json.dumps wrote: odd
    types as str(), NaN as JavaScript's, non-ASCII as is; a cycle is still refused."""
    values: list[object] = [
        {"a": 1, "b": [1, 2.5, None, True, False, 'é\n"x\\'], "c": {"d": float("nan")}},
        {"inf": float("-inf"), 1: 2, None: "n", 2.5: "f", False: "t"},
        {"path": Path("/x"), "role": TokenRole.B, "when": datetime(2026, 1, 2, tzinfo=UTC)},
        "text",
        3,
        2.0,
        None,
        [],
        {},
    ]
    for value in values:
        expected = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
        assert dumps(value) == expected
    cycle: list[object] = []
    cycle.append(cycle)
    with pytest.raises(ValueError, match="Circular reference"):
        dumps(cycle)
