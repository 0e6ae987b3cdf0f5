"""UTC time stamps as text, the same text `datetime`'s isoformat gives, made cheaply.

Every transcript entry (~25 a handshake) and every vault write (~15) stamps one. isoformat
builds a datetime and formats all of it each time (~1.5 µs, half of a transcript entry); a
handshake's stamps fall in one or two seconds, so the text up to the seconds is made once
per second and only the fraction per stamp (issue 13, target 3).
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime

# the last whole second formatted, and its text up to the seconds ("2026-12-04T07:15:19")
_last: tuple[int, str] = (-1, "")


def _second(secs: int) -> str:
    global _last
    last = _last
    if last[0] == secs:
        return last[1]
    text = datetime.fromtimestamp(secs, UTC).isoformat(timespec="seconds")[:-6]
    _last = (secs, text)
    return text


def iso_millis(epoch: float) -> str:
    """``2026-12-03T12:00:00.123Z``: `datetime.fromtimestamp(epoch, UTC)` (microseconds
    rounded half to even, as it does) with milliseconds, truncated."""
    frac, whole = math.modf(epoch)
    if frac < 0 or not math.isfinite(epoch):  # before 1970, or not a time: datetime decides
        return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"
    micros = round(frac * 1e6)
    secs = int(whole)
    if micros >= 1_000_000:
        secs += 1
        micros -= 1_000_000
    return f"{_second(secs)}.{micros // 1000:03d}Z"


def now_micros() -> str:
    """Now as ``2026-12-03T12:00:00.123456Z``: `datetime.now(UTC)` (the clock's nanoseconds
    floored to microseconds, as it does) with microseconds."""
    secs, nanos = divmod(time.time_ns(), 1_000_000_000)
    return f"{_second(secs)}.{nanos // 1000:06d}Z"
