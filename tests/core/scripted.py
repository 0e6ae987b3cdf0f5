"""Scripted inputs for the machine tables: envelopes, the spec's examples, partners' answers,
and machines brought to a state through their real transitions (never by setting `state`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from app.core.diagnosis import Diagnosis, OnboardingError, fail
from app.core.handshake import (
    Action,
    Finished,
    IssueTokenB,
    OurParty,
    Request,
    SenderHandshake,
    SenderState,
)
from app.core.judging import Response
from app.core.receiving import ReceiverHandshake
from app.core.rotation import UpdateHandshake, UpdateState
from app.core.tokens import Secret, TokenRole

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "ocpi-examples"
STAMP = "2015-06-30T21:59:59Z"
THEIRS = "https://www.server.com/ocpi"  # the host of the spec's versions example
THEIR_VERSIONS_URL = f"{THEIRS}/versions"
OUR_VERSIONS_URL = "https://us.example.com/ocpi/versions"

TOKEN_A = Secret("A-table-0123456789-token-a", TokenRole.A)
TOKEN_B = Secret("B-table-0123456789-token-b", TokenRole.B)
TOKEN_C = "C-table-0123456789-token-c"
SECRETS: tuple[str, ...] = (TOKEN_A.reveal(), TOKEN_B.reveal(), TOKEN_C)

US = OurParty(
    [
        {
            "role": "EMSP",
            "party_id": "ONB",
            "country_code": "DE",
            "business_details": {"name": "Onboard Tables"},
        }
    ],
    OUR_VERSIONS_URL,
)
_MISSING = object()


def spec(version: str, name: str) -> Any:
    """One of the spec's example files (tests/data/ocpi-examples), as JSON."""
    return json.loads((EXAMPLES / version / name).read_text("utf-8"))


def envelope(
    data: Any = _MISSING,
    status_code: Any = 1000,
    message: Any = "Success",
    timestamp: Any = STAMP,
) -> bytes:
    """An OCPI envelope; a field passed as _MISSING/None-by-choice is left out."""
    body: dict[str, Any] = {}
    if data is not _MISSING:
        body["data"] = data
    if status_code is not _MISSING:
        body["status_code"] = status_code
    if message is not _MISSING:
        body["status_message"] = message
    if timestamp is not _MISSING:
        body["timestamp"] = timestamp
    return json.dumps(body).encode()


MISSING = _MISSING


def answer(data: Any = _MISSING, status_code: Any = 1000, http: int = 200, **kw: Any) -> Response:
    """A JSON answer in an envelope."""
    return Response(http, envelope(data, status_code, **kw), "application/json")


def raw(
    body: bytes | str, http: int = 200, content_type: str | None = "application/json"
) -> Response:
    """An answer exactly as given: not JSON, HTML, a bare payload, an empty body..."""
    return Response(http, body.encode() if isinstance(body, str) else body, content_type)


def versions(*numbers: str, base: str = THEIRS) -> list[dict[str, str]]:
    """A versions list whose URLs name their version: the machine's next URL proves its pick."""
    return [{"version": v, "url": f"{base}/{v}"} for v in numbers]


def details(version: str, *modules: str, credentials: bool = True) -> dict[str, Any]:
    """Version details with (or without) a credentials endpoint and some modules."""
    names = (("credentials",) if credentials else ()) + modules
    endpoints = [
        {
            "identifier": m,
            "role": "RECEIVER" if m == "credentials" else "SENDER",
            "url": f"{THEIRS}/{version}/{m}",
        }
        for m in names
    ]
    return {"version": version, "endpoints": endpoints}


def credentials_url(version: str) -> str:
    return f"{THEIRS}/{version}/credentials"


def their_credentials(
    token: Any = TOKEN_C, version: str = "2.2.1", url: str = THEIR_VERSIONS_URL, **extra: Any
) -> dict[str, Any]:
    """The partner's credentials object in the shape of `version` (flat for 2.1.1)."""
    if version == "2.1.1":
        body: dict[str, Any] = {
            "token": token,
            "url": url,
            "business_details": {"name": "Their Platform"},
            "party_id": "THR",
            "country_code": "NL",
        }
    else:
        body = {
            "token": token,
            "url": url,
            "roles": [
                {
                    "role": "CPO",
                    "party_id": "THR",
                    "country_code": "NL",
                    "business_details": {"name": "Their Platform"},
                }
            ],
        }
    body.update(extra)
    return body


def sender_at(
    state: SenderState,
    version: str = "2.2.1",
    *,
    verify: bool = True,
    preferred: str | None = None,
    required: tuple[str, ...] = (),
) -> SenderHandshake:
    """A Sender moved to `state` by good answers at `version` (the happy path's inputs)."""
    machine = SenderHandshake(
        THEIR_VERSIONS_URL,
        TOKEN_A,
        US,
        preferred_version=preferred,
        required_modules=required,
        verify=verify,
    )
    script: list[tuple[SenderState, Any]] = [
        (SenderState.VERSIONS_FETCHED, lambda: machine.receive(answer(versions(version)))),
        (SenderState.DETAILS_FETCHED, lambda: machine.receive(answer(details(version, *required)))),
        (SenderState.TOKEN_B_STORED, lambda: machine.token_b_ready(TOKEN_B)),
        (SenderState.CREDENTIALS_POSTED, machine.post_sent),
        (
            SenderState.REGISTERED,
            lambda: machine.receive(answer(their_credentials(version=version))),
        ),
    ]
    for reached, step in script:
        if machine.state == state:
            break
        step()
        assert machine.state == reached, (machine.state, machine.diagnosis)
    assert machine.state == state
    return machine


def summary(action: Action) -> tuple[Any, ...]:
    """A request as (purpose, method, url, token role, version); other actions by kind."""
    if isinstance(action, Request):
        role = str(action.token) if action.token else None
        return (action.purpose, action.method, action.url, role, action.ocpi_version)
    if isinstance(action, IssueTokenB):
        return ("issue_token",)
    assert isinstance(action, Finished)
    return ("finished", str(action.state))


def transport(code: str, detail: str | None = None) -> OnboardingError:
    """A failure the driver saw instead of an answer (timeout, TLS, redirect refused...)."""
    return fail(code, detail)


def leaks(diagnosis: Diagnosis | None) -> list[str]:
    """Raw tokens found in a diagnosis's text (there must be none)."""
    if diagnosis is None:
        return []
    text = f"{diagnosis.message} {diagnosis.hint} {diagnosis.detail or ''}"
    return [s for s in SECRETS if s in text]


# ---- the Update (PUT) and Receiver machines ----------------------------------------------
CURRENT_C = Secret("C-current-0123456789-table", TokenRole.C)  # what we present now
OLD_B = Secret("B-old-inbound-0123456789-tbl", TokenRole.B)  # what they present to us now
NEW_B = Secret("B-new-inbound-0123456789-tbl", TokenRole.B)  # what the PUT offers them
ROTATED_C = "C-rotated-0123456789-table"  # their new token for us
SENDER_B = "B-sender-posted-0123456789-t"  # a Sender's TOKEN_B posted to us (Receiver side)
SECRETS += (CURRENT_C.reveal(), OLD_B.reveal(), NEW_B.reveal(), ROTATED_C, SENDER_B)


def update_at(state: UpdateState, version: str = "2.2.1") -> UpdateHandshake:
    """An Update machine moved to `state` by good answers (the partner speaks `version`)."""
    machine = UpdateHandshake(THEIR_VERSIONS_URL, CURRENT_C, OLD_B, US, preferred_version=version)
    script: list[tuple[UpdateState, Any]] = [
        (UpdateState.VERSIONS_FETCHED, lambda: machine.receive(answer(versions(version)))),
        (UpdateState.DETAILS_FETCHED, lambda: machine.receive(answer(details(version)))),
        (UpdateState.TOKEN_STORED, lambda: machine.token_ready(NEW_B)),
        (UpdateState.PUT_SENT, machine.put_sent),
    ]
    for reached, step in script:
        if machine.state == state:
            break
        step()
        assert machine.state == reached, (machine.state, machine.diagnosis)
    assert machine.state == state
    return machine


def posted_credentials(version: str = "2.2.1", **extra: Any) -> dict[str, Any]:
    """What a Sender POSTs to us: its TOKEN_B, its versions URL, its roles."""
    return their_credentials(SENDER_B, version, **extra)


def receiver_at(
    stage: str, version: str = "2.2.1", required: tuple[str, ...] = ()
) -> ReceiverHandshake:
    """A Receiver at `stage`: "invited", "post" (credentials received, versions next),
    "versions" (their versions read, details next) or "discovered"."""
    machine = ReceiverHandshake(version, required_modules=required)
    stages = ["invited", "post", "versions", "discovered"]
    steps = [
        lambda: machine.receive_post(posted_credentials(version), issued=TOKEN_A),
        lambda: machine.receive(answer(versions(version))),
        lambda: machine.receive(answer(details(version, *required))),
    ]
    for step in steps[: stages.index(stage)]:
        step()
    return machine
