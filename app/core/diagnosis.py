"""Every failure mapped to a stable code, a plain-language explanation and a suggested fix.

Codes are stable strings (tests, the GUI and support rely on them); messages are for
people. The codes themselves live in `app.core.catalog`, one module per concern. `OnboardingError` carries a diagnosis through the engine; its str() is the message,
which is built only from redacted parts, never a raw token.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core.catalog import CATALOG, Severity


@dataclass(frozen=True)
class Diagnosis:
    code: str
    message: str
    hint: str
    severity: Severity = Severity.ERROR
    token_confusion: bool = False
    detail: str | None = None

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "hint": self.hint}

    def as_warning(self) -> Diagnosis:
        return Diagnosis(
            self.code, self.message, self.hint, Severity.WARNING, self.token_confusion, self.detail
        )

    def with_detail(self, detail: str | None) -> Diagnosis:
        return Diagnosis(
            self.code, self.message, self.hint, self.severity, self.token_confusion, detail
        )


class OnboardingError(Exception):
    """A failure the engine explains; never carries a raw token."""

    def __init__(self, diagnosis: Diagnosis) -> None:
        super().__init__(diagnosis.message)
        self.diagnosis = diagnosis


def diagnose(code: str, detail: str | None = None, **fields: str) -> Diagnosis:
    """Build the diagnosis for `code`; `detail` and `fields` fill the message placeholders."""
    entry = CATALOG[code]
    values = {"detail": detail or "", **fields}
    try:
        message = _one_stop(entry.message, detail).format(**values)
    except (KeyError, IndexError):
        message = entry.message
    try:
        hint = entry.hint.format(**values) if "{" in entry.hint else entry.hint
    except (KeyError, IndexError):
        hint = entry.hint
    return Diagnosis(code, message, hint, entry.severity, entry.token_confusion, detail)


def _one_stop(template: str, detail: str | None) -> str:
    """The template without its own full stop after a detail that ends a sentence itself,
    so a person never reads "right after issuing it.."."""
    if detail and detail.rstrip().endswith((".", "!", "?")):
        return template.replace("{detail}.", "{detail}")
    return template


def fail(code: str, detail: str | None = None, **fields: str) -> OnboardingError:
    """An `OnboardingError` for `code`, ready to raise."""
    return OnboardingError(diagnose(code, detail, **fields))


__all__ = ["CATALOG", "Diagnosis", "OnboardingError", "Severity", "diagnose", "fail"]
