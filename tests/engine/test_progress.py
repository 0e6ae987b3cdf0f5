"""The typed, run-scoped progress channel (app/engine/progress.py), Qt-free, against real
partners on loopback: the sandbox, and our own engine in both roles."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from app.core.tokens import Secret, TokenRole, generate_token
from app.engine import Identity
from app.engine.progress import (
    EntryRecorded,
    OurEndpoint,
    PartnerCalled,
    RunEvent,
    RunFinished,
    RunStarted,
    StepChanged,
    StepKey,
    StepStatus,
)
from app.sandbox import SandboxPartner
from app.vault import Vault
from tests.conftest import TEST_PASSPHRASE
from tests.engine.conftest import FAST, started_engine
from tests.support.aio import run

SENDER_ORDER = [
    (StepKey.VERSIONS, StepStatus.RUNNING),
    (StepKey.VERSIONS, StepStatus.DONE),
    (StepKey.DETAILS, StepStatus.RUNNING),
    (StepKey.DETAILS, StepStatus.DONE),
    (StepKey.TOKEN_B, StepStatus.RUNNING),
    (StepKey.TOKEN_B, StepStatus.DONE),
    (StepKey.THEIR_VERSIONS, StepStatus.RUNNING),
    (StepKey.THEIR_DETAILS, StepStatus.RUNNING),
    (StepKey.POST, StepStatus.RUNNING),
    (StepKey.POST, StepStatus.DONE),
    (StepKey.TOKEN_C, StepStatus.DONE),
    (StepKey.VERIFY, StepStatus.RUNNING),
    (StepKey.VERIFY, StepStatus.DONE),
]


def _raw_values(*secrets: Secret) -> list[str]:
    return [s.reveal() for s in secrets]


def _assert_no_raw_token(events: list[RunEvent], raw: list[str]) -> None:
    text = json.dumps([asdict(e) for e in events], default=str)
    for value in raw:
        assert value not in text


def test_a_registration_tells_its_steps_typed_with_its_run_id(vault: Vault) -> None:
    events: list[RunEvent] = []

    async def scenario() -> str:
        token_a = Secret(generate_token(), TokenRole.A)
        async with SandboxPartner(token_a, http_settings=FAST) as sandbox:
            async with started_engine(vault, on_run=events.append) as engine:
                registration = engine.registration(sandbox.versions_url, token_a)
                discovery = await registration.discover()
                assert discovery.chosen_version == "2.3.0"
                result = await registration.register()
                await registration.aclose()
                assert result.status == "registered", result.diagnosis
                token_b = sandbox.session().their_token  # type: ignore[union-attr]
                assert token_b is not None
                _assert_no_raw_token(events, _raw_values(token_a, token_b))
                return result.run_id

    run_id = run(scenario())
    assert isinstance(events[0], RunStarted)
    assert (events[0].run_id, events[0].kind) == (run_id, "register")
    assert events[0].partner_id == vault.partner("NL-SBX").id
    assert all(e.run_id == run_id for e in events)
    finished = [e for e in events if isinstance(e, RunFinished)]
    assert len(finished) == 1 and finished[0] is events[-1]
    assert finished[0].result.status == "registered"

    steps = [e for e in events if isinstance(e, StepChanged)]
    moves = [(s.step, s.status) for s in steps if not s.only_open]
    assert moves == SENDER_ORDER
    by_key = {(s.step, s.status): s for s in steps}
    token_b_done = by_key[(StepKey.TOKEN_B, StepStatus.DONE)]
    assert token_b_done.state == "token_b_stored"
    assert token_b_done.detail is not None and token_b_done.detail.startswith("B·")
    assert token_b_done.tokens == (token_b_done.detail,)
    token_c = by_key[(StepKey.TOKEN_C, StepStatus.DONE)]
    assert token_c.tokens == (finished[0].result.token_c_fingerprint,)
    assert by_key[(StepKey.POST, StepStatus.DONE)].detail == (
        f"with {by_key[(StepKey.VERSIONS, StepStatus.DONE)].tokens[0]}: HTTP 200"
    )
    assert by_key[(StepKey.DETAILS, StepStatus.DONE)].detail == "negotiated OCPI 2.3.0"

    # the partner's calls to our endpoint, attributed and typed: it read both with TOKEN_B
    calls = [e for e in events if isinstance(e, PartnerCalled)]
    read = {c.endpoint for c in calls if c.accepted}
    assert {OurEndpoint.VERSIONS, OurEndpoint.DETAILS} <= read
    assert all(c.token == token_b_done.detail for c in calls if c.accepted)

    # the log pane's record is the vault's record, entry for entry
    recorded = [e.entry for e in events if isinstance(e, EntryRecorded)]
    assert recorded == vault.transcript(run_id)


def test_a_refused_registration_ends_its_run_once_with_the_failure(vault: Vault) -> None:
    events: list[RunEvent] = []

    async def scenario() -> None:
        token_a = Secret(generate_token(), TokenRole.A)
        wrong = Secret(generate_token(), TokenRole.A)
        async with SandboxPartner(token_a, http_settings=FAST) as sandbox:
            async with started_engine(vault, on_run=events.append) as engine:
                result = await engine.register(sandbox.versions_url, wrong)
                assert result.status == "failed"
                _assert_no_raw_token(events, _raw_values(token_a, wrong))

    run(scenario())
    finished = [e for e in events if isinstance(e, RunFinished)]
    assert len(finished) == 1 and finished[0].result.diagnosis is not None
    assert finished[0].result.diagnosis.code == "token.a_rejected"
    moves = [(e.step, e.status) for e in events if isinstance(e, StepChanged)]
    assert moves == [(StepKey.VERSIONS, StepStatus.RUNNING)]  # no step claims success


def test_an_invitation_tells_the_partners_calls_and_our_callbacks(tmp_path: Path) -> None:
    events: list[RunEvent] = []

    async def scenario() -> tuple[str, str | None]:
        with (
            Vault.open(tmp_path / "rv.db", passphrase=TEST_PASSPHRASE, use_keyring=False) as rv,
            Vault.open(tmp_path / "sv.db", passphrase=TEST_PASSPHRASE, use_keyring=False) as sv,
        ):
            async with (
                started_engine(
                    rv, Identity("NL", "RCV", ("CPO",), "Receiver BV"), on_run=events.append
                ) as receiver,
                started_engine(sv, Identity("BE", "SND", ("EMSP",), "Sender NV")) as sender,
            ):
                invitation = await receiver.invite()
                registered = await sender.register(invitation.versions_url, invitation.token_a)
                assert registered.status == "registered", registered.diagnosis
                waited = await receiver.wait_for_registration(invitation, 5)
                assert waited.status == "registered"
                _assert_no_raw_token(events, _raw_values(invitation.token_a))
                return invitation.run_id, waited.token_c_fingerprint

    run_id, token_c = run(scenario(), timeout=90)
    assert isinstance(events[0], RunStarted) and events[0].kind == "invite"
    ours = [e for e in events if e.run_id == run_id]
    steps = {(e.step, e.status): e for e in ours if isinstance(e, StepChanged) and not e.only_open}
    fetch_versions = steps[(StepKey.FETCH_VERSIONS, StepStatus.DONE)]
    assert fetch_versions.detail is not None and fetch_versions.detail.startswith("with B·")
    assert fetch_versions.detail.endswith("HTTP 200")
    assert (StepKey.FETCH_DETAILS, StepStatus.DONE) in steps
    assert steps[(StepKey.TOKEN_C, StepStatus.DONE)].detail == token_c
    calls = [e for e in ours if isinstance(e, PartnerCalled)]
    with_a = {(c.endpoint, c.method) for c in calls if c.accepted and c.presented[:2] == "A·"}
    assert with_a >= {
        (OurEndpoint.VERSIONS, "GET"),
        (OurEndpoint.DETAILS, "GET"),
        (OurEndpoint.CREDENTIALS, "POST"),
    }
    finished = [e for e in ours if isinstance(e, RunFinished)]
    assert len(finished) == 1 and finished[0].result.token_c_fingerprint == token_c


def _shape(entries: list[dict[str, object]]) -> list[tuple[object, ...]]:
    """What a transcript says, without what differs between two runs (times, ports,
    fingerprints, request ids)."""
    shape: list[tuple[object, ...]] = []
    for entry in entries:
        if entry["type"] == "event":
            fields = entry["fields"]
            assert isinstance(fields, dict)
            shape.append(("event", entry["kind"], entry["level"], fields.get("step")))
        else:
            response = entry["response"]
            assert isinstance(response, dict)
            shape.append(("exchange", entry["direction"], entry["method"], response["status"]))
    return shape


def test_a_registration_nobody_listens_to_records_the_same_transcript(vault: Vault) -> None:
    """Without listeners the engine skips the checklist's steps and the request/response
    events (issue 13): the run's record is the same as a watched run's, entry for entry."""
    events: list[RunEvent] = []

    async def register(listen: bool) -> str:
        token_a = Secret(generate_token(), TokenRole.A)
        async with SandboxPartner(token_a, http_settings=FAST) as sandbox:
            on_run = events.append if listen else None
            async with started_engine(vault, on_run=on_run) as engine:
                registration = engine.registration(sandbox.versions_url, token_a)
                assert registration.engine.channel.sink is on_run
                result = await registration.run()
                await registration.aclose()
                assert result.status == "registered", result.diagnosis
                return result.run_id

    watched, alone = run(register(True)), run(register(False))
    assert any(isinstance(e, StepChanged) for e in events)
    watched_entries, alone_entries = vault.transcript(watched), vault.transcript(alone)
    assert _shape(alone_entries) == _shape(watched_entries)
    kinds = {e.get("kind") for e in alone_entries}
    assert {"StepStarted", "StepDone", "StateChanged", "CallbackReceived"} <= kinds
    assert [e["type"] for e in alone_entries].count("exchange") >= 5  # 3+ out, 2 in
