"""How a count of whole days reads to a person: token ages and certificate expiries.

One place for the words, so the partners list, the Health tab and the engine's findings
say the same thing and never "token 0 d old", "in 1 days" or "expires in -3 d".
The counts are whole days (a token issued 20 hours ago is 0 days old: "issued today").
"""

from __future__ import annotations


def days(n: int) -> str:
    """Whole days in words: 1 day, 2 days, 0 days."""
    return "1 day" if n == 1 else f"{n} days"


def token_age(n: int) -> str:
    """The reminder for a token `n` whole days old."""
    return "token issued today" if n <= 0 else f"token {days(n)} old"


def certificate_expiry(n: int) -> str:
    """The reminder for a TLS certificate that expires in `n` days (negative: expired)."""
    if n < 0:
        return f"TLS certificate expired {days(-n)} ago"
    if n == 0:
        return "TLS certificate expires today"
    return f"TLS certificate expires in {days(n)}"


def compact_age(n: int) -> str:
    """A token age in a narrow table cell: "today", else "1 d", "45 d"."""
    return "today" if n <= 0 else f"{n} d"


def compact_expiry(n: int) -> str:
    """A certificate expiry in a narrow table cell: "expired", "today", else "12 d"."""
    if n < 0:
        return "expired"
    return "today" if n == 0 else f"{n} d"
