"""Async driver of the sans-IO machines over OcpiHttp: tokens, header encoding, hooks.

The machines decide; this file performs each request with the right token in the right
encoding, calls the owner's hooks *before* each side effect (so the engine can persist), and
feeds responses and transport failures back as the machines' inputs. It never changes a
machine's state itself. Header encoding (docs/ocpi-facts.md, fact 1): "base64" and "raw"
are fixed; "auto" starts with what the version wants (Base64 before the version is known)
and, on a 401 to a GET, tries the other form once (GETs are safe to repeat); the form that
worked is kept for the POST and reported. A write (POST/PUT/DELETE) is never retried.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from app.core.diagnosis import Diagnosis, OnboardingError, diagnose
from app.core.handshake import Finished, IssueTokenB, Request, SenderHandshake, SenderState
from app.core.http import HttpResult, OcpiHttp
from app.core.judging import Response
from app.core.ocpi import canonical_version, uses_base64_header
from app.core.rotation import UpdateHandshake, UpdateState
from app.core.tokens import Secret, TokenRole


@dataclass
class EncodingChoice:
    """Per-partner Authorization encoding: 'auto', 'base64' or 'raw', and what was seen.

    In auto mode the form the version asks for is tried first (Base64 before the version is
    known), unless the partner already refused it and accepted the other form.
    """

    mode: str = "auto"
    working: bool | None = None  # the form last accepted: True = Base64, False = raw
    refused: set[bool] = field(default_factory=set)
    warnings: list[Diagnosis] = field(default_factory=list)

    def first_try(self, version: str | None) -> bool:
        if self.mode == "base64":
            return True
        if self.mode == "raw":
            return False
        expected = _expected(version)
        if expected in self.refused and self.working is not None:
            return self.working
        return expected

    def note(self, base64_used: bool, accepted: bool, version: str | None) -> None:
        if not accepted:
            self.refused.add(base64_used)
            return
        self.working = base64_used
        if self.mode == "auto" and version is not None and base64_used != _expected(version):
            form = "Base64" if base64_used else "plain"
            if not any(w.code == "token.encoding_switched" for w in self.warnings):
                wanted = "Base64-encoded" if _expected(version) else "in plain text"
                self.warnings.append(
                    diagnose(
                        "token.encoding_switched",
                        form,
                        version=canonical_version(version) or version,
                        wanted=wanted,
                    )
                )

    @property
    def stored_value(self) -> str:
        if self.working is None:
            return self.mode
        return "base64" if self.working else "raw"


def _expected(version: str | None) -> bool:
    return uses_base64_header(canonical_version(version)) if version else True


async def send_with_encoding(
    http: OcpiHttp,
    request: Request,
    token: Secret | None,
    encoding: EncodingChoice,
    *,
    module_call: bool = False,
) -> HttpResult:
    """Send; on 401/403 to a GET in auto mode, try the other header form once.

    `module_call` (locations, tariffs, ...) lets the profile's routing headers go along;
    hubs refuse them on versions, version details and credentials."""
    first = encoding.first_try(request.ocpi_version)
    ocpi_headers = uses_base64_header(request.ocpi_version) if request.ocpi_version else True
    result = await http.send(
        request.method,
        request.url,
        token=token,
        base64_token=first,
        ocpi_headers=ocpi_headers,
        body=request.body,
        module_call=module_call,
    )
    if token is None:
        return result
    refused = result.status in (401, 403)
    encoding.note(first, not refused, request.ocpi_version)
    if refused and request.method == "GET" and encoding.mode == "auto":
        retry = await http.send(
            request.method,
            request.url,
            token=token,
            base64_token=not first,
            ocpi_headers=ocpi_headers,
            body=None,
            module_call=module_call,
        )
        accepted = retry.status not in (401, 403)
        encoding.note(not first, accepted, request.ocpi_version)
        if accepted:
            return retry
    return result


@dataclass
class SenderHooks:
    """Owner callbacks, each awaited before the step it names takes effect."""

    issue_token_b: Callable[[SenderHandshake], Awaitable[Secret]]
    before_post: Callable[[SenderHandshake], Awaitable[None]]
    registered: Callable[[SenderHandshake], Awaitable[None]]
    state_changed: Callable[[SenderHandshake], Awaitable[None]]


async def drive_sender(
    machine: SenderHandshake,
    http: OcpiHttp,
    hooks: SenderHooks,
    encoding: EncodingChoice,
    stop_after: SenderState | None = None,
) -> SenderHandshake:
    """Run the Sender machine until it finishes, fails or reaches `stop_after`."""
    while True:
        if stop_after is not None and machine.state == stop_after:
            return machine
        action = machine.next_action()
        if isinstance(action, Finished):
            return machine
        if isinstance(action, IssueTokenB):
            token_b = await hooks.issue_token_b(machine)
            machine.token_b_ready(token_b)
            await hooks.state_changed(machine)
            continue
        assert isinstance(action, Request)
        token = _sender_token(machine, action.token)
        if action.method == "POST":
            machine.post_sent()
            await hooks.before_post(machine)
        before = machine.state
        try:
            result = await send_with_encoding(http, action, token, encoding)
        except OnboardingError as exc:
            machine.fail_with(exc)  # raises unless the registration stands
            continue
        machine.receive(Response(result.status, result.body, result.content_type))
        if machine.state == SenderState.REGISTERED and before == SenderState.CREDENTIALS_POSTED:
            await hooks.registered(machine)
        if machine.state != before:
            await hooks.state_changed(machine)


def _sender_token(machine: SenderHandshake, role: TokenRole | None) -> Secret | None:
    if role == TokenRole.A:
        return machine.token_a
    if role == TokenRole.C:
        return machine.token_c
    return None


@dataclass
class UpdateHooks:
    issue_token: Callable[[UpdateHandshake], Awaitable[Secret]]
    before_put: Callable[[UpdateHandshake], Awaitable[None]]
    updated: Callable[[UpdateHandshake], Awaitable[None]]


async def drive_update(
    machine: UpdateHandshake, http: OcpiHttp, hooks: UpdateHooks, encoding: EncodingChoice
) -> UpdateHandshake:
    while True:
        action = machine.next_action()
        if isinstance(action, Finished):
            return machine
        if isinstance(action, IssueTokenB):
            machine.token_ready(await hooks.issue_token(machine))
            continue
        assert isinstance(action, Request)
        if action.method == "PUT":
            machine.put_sent()
            await hooks.before_put(machine)
        try:
            result = await send_with_encoding(http, action, machine.current, encoding)
        except OnboardingError as exc:
            machine.fail_with(exc)  # raises
        machine.receive(Response(result.status, result.body, result.content_type))
        if machine.state == UpdateState.UPDATED:
            await hooks.updated(machine)
