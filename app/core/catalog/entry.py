"""One catalogue entry: the plain message and the suggested fix for a diagnosis code.

A leaf module (no app imports) so every part of the catalogue and `app.core.diagnosis` can
share the types without an import circle.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Entry:
    """Message and hint may hold {placeholders} that `app.core.diagnosis.diagnose` fills."""

    message: str
    hint: str
    severity: Severity = Severity.ERROR
    token_confusion: bool = False
