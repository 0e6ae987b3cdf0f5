"""Redaction: every known token value, in any form, replaced by its fingerprint.

Two layers (electrum-style whitelist plus a blacklist of known values): headers are kept only
when known-safe and Authorization is rewritten; JSON `token` fields are replaced by key; then
every registered secret's raw, Base64 and URL-safe Base64 forms are replaced wherever they
occur in text. Anything that reaches a transcript, the log pane or stdout passes through here.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from collections.abc import Iterable, Mapping
from json.encoder import encode_basestring
from typing import Any

from app.core.diagnosis import Diagnosis
from app.core.ocpi import parse_authorization
from app.core.tokens import Secret, fingerprint

SAFE_HEADERS = frozenset(
    {
        "content-type",
        "content-length",
        "x-request-id",
        "x-correlation-id",
        "location",
        "date",
        "server",
        "x-total-count",
        "x-limit",
        "link",
        "ocpi-from-country-code",
        "ocpi-from-party-id",
        "ocpi-to-country-code",
        "ocpi-to-party-id",
        "user-agent",
        "accept",
        "retry-after",
        "www-authenticate",
    }
)
MAX_BODY_CHARS = 64 * 1024
_NO_FORM = 1 << 62  # `_shortest` without any secret: no text is long enough to hold one
_TOKEN_FIELD = re.compile(r'("token"\s*:\s*")((?:[^"\\]|\\.)+)', re.IGNORECASE)


class Redactor:
    """Knows the run's secrets and scrubs them from text, headers and JSON."""

    def __init__(self, secrets: Iterable[Secret] = ()) -> None:
        self._forms: dict[str, str] = {}
        self._plain: dict[str, str] = {}
        self._ordered: list[str] | None = None
        # no text shorter than the shortest form can hold one (no form: none can)
        self._shortest = _NO_FORM
        for secret in secrets:
            self.add(secret)

    def add(self, secret: Secret) -> None:
        value = secret.reveal()
        if not value:
            return
        label = secret.fingerprint
        raw = value.encode("utf-8", "surrogatepass")
        self._plain[value] = label
        forms = {
            value,
            base64.b64encode(raw).decode("ascii"),
            base64.b64encode(raw).decode("ascii").rstrip("="),
            base64.urlsafe_b64encode(raw).decode("ascii").rstrip("="),
            base64.b64encode(raw + b"\n").decode("ascii"),
        }
        for form in forms:
            if len(form) >= 4:
                self._forms[form] = label
        self._ordered = None
        self._shortest = min(map(len, self._forms)) if self._forms else _NO_FORM

    def label_for(self, value: str) -> str:
        """The fingerprint of a value seen on the wire: known role, else '?'."""
        return self._forms.get(value) or fingerprint(value)

    def text(self, text: str) -> str:
        if len(text) < self._shortest:  # most values: "2.2.1", "CPO"
            return text
        if self._ordered is None:  # longest first: a raw token inside its Base64 form is not cut
            self._ordered = sorted(self._forms, key=len, reverse=True)
        # Plain substring replacement: a regex alternation costs ~0.6 ms to compile each time
        # a token joins the run, more than all the scrubbing of a handshake.
        for form in self._ordered:
            if form in text:
                text = text.replace(form, f"<{self._forms[form]}>")
        return text

    def diagnosis(self, diagnosis: Diagnosis) -> Diagnosis:
        """The diagnosis with its message and detail scrubbed: both can quote a partner's
        status message, and partners echo tokens there ("token <x> refused")."""
        detail = self.text(diagnosis.detail) if diagnosis.detail else diagnosis.detail
        return dataclasses.replace(diagnosis, message=self.text(diagnosis.message), detail=detail)

    def authorization(self, value: str) -> str:
        """`Token <B·3f9c2a> (base64)`: scheme kept, value replaced, encoding stated."""
        presented = parse_authorization(value)
        if presented is None:
            return "<malformed>"
        if presented.raw in self._plain:
            label, encoding = self._plain[presented.raw], "plain"
        elif presented.decoded is not None:
            label, encoding = self.label_for(presented.decoded), "base64"
        else:
            label, encoding = fingerprint(presented.raw), "plain"
        return f"{presented.scheme.capitalize()} <{label}> ({encoding})"

    def headers(self, headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
        items = headers.items() if isinstance(headers, Mapping) else headers
        kept: dict[str, str] = {}
        shortest = self._shortest
        for name, value in items:
            lower = name.lower()
            if lower == "authorization":
                kept[name] = self.authorization(value)
            elif lower in SAFE_HEADERS:  # `text` only where a secret fits (most values: no)
                kept[name] = (value if len(value) < shortest else self.text(value))[:500]
        return kept

    def body(self, body: bytes | str | None) -> str | None:
        """A body for the transcript: JSON with token fields masked, capped, scrubbed."""
        if body is None or body == b"" or body == "":
            return None
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        truncated = len(text) > MAX_BODY_CHARS
        parsed = None
        if truncated:
            text = text[:MAX_BODY_CHARS]
        else:
            try:
                parsed = json.loads(text)
            except (ValueError, RecursionError):
                parsed = None
            if isinstance(parsed, dict | list):
                text = self.json_text(parsed)
        if not isinstance(parsed, dict | list):
            # broken, cut or oversized JSON: a token field's value may be one we do not know
            # yet (a TOKEN_C in an answer we reject), so mask token fields by pattern
            text = _TOKEN_FIELD.sub(lambda m: f"{m.group(1)}<{self.label_for(m.group(2))}>", text)
        text = self.text(text)
        return text + ("\n… (truncated)" if truncated else "")

    def json_text(self, value: Any) -> str:
        """`json.dumps(self.json(value), indent=2, ensure_ascii=False)`, the same text in one
        pass: the standard library indents in pure Python (3.11), about twice as slow, and a
        handshake records a dozen bodies. For parsed JSON (dict, list, str, numbers, None)."""
        return _text(self, value, 0, "")

    def json(self, value: Any, depth: int = 0) -> Any:
        if depth > 50:
            return "…"
        if isinstance(value, dict):
            return {
                key: (
                    f"<{self.label_for(item)}>"
                    if key == "token" and isinstance(item, str)
                    else self.json(item, depth + 1)
                )
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [self.json(item, depth + 1) for item in value]
        if isinstance(value, str):
            return self.text(value)
        return value


def _number(value: int | float) -> str:
    """A number as `json.dumps` writes it (NaN and the infinities as JavaScript names)."""
    if isinstance(value, int):
        return int.__repr__(value)
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    return float.__repr__(value)


def _text(red: Redactor, value: Any, depth: int, pad: str) -> str:
    """`red.json(value, depth)` as indented JSON text (see `Redactor.json_text`).

    A container's members are written in one comprehension, strings, numbers, booleans and
    null inline (no call per leaf; no `text` call for a string too short to hold a secret):
    a handshake's bodies are a few hundred leaves."""
    if depth > 50:
        return '"…"'
    if isinstance(value, dict):
        if not value:
            return "{}"
        inner = pad + "  "
        shortest = red._shortest
        leaf = depth < 50  # a member at depth + 1 is written, not cut
        members = [
            _enc(key)
            + ": "
            + (
                _enc(f"<{red.label_for(item)}>")
                if key == "token" and isinstance(item, str)
                else _enc(item if len(item) < shortest else red.text(item))
                if leaf and type(item) is str
                else _SCALARS[item]
                if leaf and (item is None or item is True or item is False)
                else int.__repr__(item)
                if leaf and type(item) is int
                else _text(red, item, depth + 1, inner)
            )
            for key, item in value.items()
        ]
        return "{\n" + inner + (",\n" + inner).join(members) + "\n" + pad + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        inner = pad + "  "
        shortest = red._shortest
        leaf = depth < 50
        members = [
            _enc(item if len(item) < shortest else red.text(item))
            if leaf and type(item) is str
            else _SCALARS[item]
            if leaf and (item is None or item is True or item is False)
            else int.__repr__(item)
            if leaf and type(item) is int
            else _text(red, item, depth + 1, inner)
            for item in value
        ]
        return "[\n" + inner + (",\n" + inner).join(members) + "\n" + pad + "]"
    if isinstance(value, str):
        return _enc(red.text(value))
    if value is None or value is True or value is False:
        return _SCALARS[value]
    if isinstance(value, int | float):
        return _number(value)
    # json.loads makes none of these: refused as json.dumps would
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_enc = encode_basestring
_SCALARS: dict[Any, str] = {None: "null", True: "true", False: "false"}
