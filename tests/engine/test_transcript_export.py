"""Transcript exports of real sandbox registrations: a plain-language summary on top, each
step once, every entry where it happened in time (issue 9, item 7)."""

from __future__ import annotations

import html as htmllib
import json
import re
from collections import Counter

import pytest

from app.core.diagnosis import OnboardingError
from app.core.tokens import Secret, TokenRole, generate_token
from app.core.transcript_export import export, run_meta
from app.engine.register import STEP_TITLES
from app.sandbox import Fault, SandboxPartner
from app.vault import Vault
from tests.engine.conftest import FAST, started_engine
from tests.support.aio import run


async def _register(vault: Vault, fault: Fault = Fault.NONE):  # type: ignore[no-untyped-def]
    token_a = Secret(generate_token(), TokenRole.A)
    async with SandboxPartner(
        token_a, versions=("2.2.1",), fault=fault, http_settings=FAST, slow_seconds=0.2
    ) as sandbox:
        async with started_engine(vault) as engine:
            result = await engine.register(sandbox.versions_url, token_a)
            return result, token_a


def _exports(vault: Vault, run_id: str) -> tuple[list[dict], dict[str, str]]:  # type: ignore[type-arg]
    record = vault.run(run_id)
    partner_ref = None
    if record.partner_id is not None:
        try:
            partner_ref = vault.partner(record.partner_id).ref
        except OnboardingError:
            partner_ref = None
    code = (record.diagnosis or {}).get("code")
    meta = run_meta(
        record.id, record.kind, record.state, record.outcome, record.created, partner_ref, code
    )
    entries = vault.transcript(run_id)
    return entries, {fmt: export(entries, meta, fmt) for fmt in ("html", "md", "json", "har")}


def _first(text: str, needle: str) -> int:
    index = text.find(needle)
    assert index >= 0, needle
    return index


def test_registration_export_has_each_step_once_in_time_order(vault: Vault) -> None:
    result, token_a = run(_register(vault))
    assert result.status == "registered", result.diagnosis
    entries, texts = _exports(vault, result.run_id)

    started = Counter(e["message"] for e in entries if e.get("kind") == "StepStarted")
    assert started, "no step was announced"
    assert max(started.values()) == 1, started
    assert started[STEP_TITLES[next(iter(STEP_TITLES))]] == 1

    md = texts["md"]
    html = texts["html"]
    for title in started:
        assert md.count(f"INFO: {title}") == 1, title
        assert html.count(htmllib.escape(f"INFO: {title}")) == 1, title

    # the state is recorded before the next step is announced
    for text, esc in ((md, str), (html, htmllib.escape)):
        assert _first(text, "State: versions_fetched") < _first(
            text, esc("Fetch the partner's version details")
        )
        # the POST started before the partner's callbacks (which it caused)
        post = _first(text, "→ POST ")
        callbacks = [m.start() for m in re.finditer("← GET ", text)]
        assert callbacks and post < min(callbacks)

    data = json.loads(texts["json"])
    stamps = [(e["at"], e["seq"]) for e in data["entries"]]
    assert stamps == sorted(stamps)
    kinds = [e.get("method") + e["direction"] for e in data["entries"] if e["type"] == "exchange"]
    assert kinds.index("POSToutbound") < kinds.index("GETinbound")
    har = json.loads(texts["har"])["log"]["entries"]
    assert [e["startedDateTime"] for e in har] == sorted(e["startedDateTime"] for e in har)

    # the summary comes first and says what happened, in words
    assert md.startswith(f"# OCPI Onboard transcript {result.run_id}\n\n## Summary\n")
    assert _first(md, "## Summary") < _first(md, "**run_id**")
    assert "Registered with NL-SBX." in md and "- Mutual discovery: complete" in md
    assert _first(html, 'class="summary"') < _first(html, 'class="meta"')
    assert _first(html, "Registered with NL-SBX.") < _first(html, "Events and exchanges")
    summary = data["summary"]
    assert summary["outcome"] == "registered" and summary["partner"] == "NL-SBX"
    assert summary["diagnosis"] is None and summary["mutual_discovery"] == "complete"
    assert summary["token_mixups"] == [] and "C·" in summary["result"]
    assert list(data)[:2] == ["meta", "summary"] and "entries" in data
    for text in texts.values():
        assert token_a.reveal() not in text


@pytest.mark.parametrize(
    ("fault", "outcome", "code"),
    [
        (Fault.HTML_500, "failed", "ocpi.html_page"),
        (Fault.UNAUTHORIZED_AFTER, "registered, with a problem", "token.c_rejected"),
        (Fault.CALLBACK_WITH_TOKEN_A, "failed", "ocpi.callback_failed_3001"),
    ],
)
def test_a_fault_is_diagnosed_in_words_at_the_top(
    vault: Vault, fault: Fault, outcome: str, code: str
) -> None:
    result, token_a = run(_register(vault, fault))
    _entries, texts = _exports(vault, result.run_id)
    summary = json.loads(texts["json"])["summary"]
    assert summary["outcome"] == outcome
    diagnosis = summary["diagnosis"]
    assert diagnosis is not None and diagnosis["code"] == code
    assert diagnosis["message"] and diagnosis["hint"]
    assert diagnosis["message"] in summary["headline"]

    md, html = texts["md"], texts["html"]
    top = md.split("## Run", 1)[0]
    assert f"- Problem: {diagnosis['message']} [{code}]" in top
    assert f"- Fix: {diagnosis['hint']}" in top
    head = html.split("Events and exchanges", 1)[0].split('class="meta"', 1)[0]
    assert "Problem: " in head and f"[{code}]" in head and "Fix: " in head
    if fault == Fault.CALLBACK_WITH_TOKEN_A:
        assert summary["token_mixups"], "the TOKEN_A callback is a token mix-up"
        assert "Token mix-up: " in top
    for text in texts.values():
        assert token_a.reveal() not in text
