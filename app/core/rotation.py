"""Rotation by PUT as a sans-IO machine (OCPI credentials, "Updating to a newer version").

A registered party GETs the partner's versions and details with the token it presents now,
then PUTs its credentials with a new inbound token; the answer carries the partner's new
token for us. The driver is `app.core.runner.drive_update`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import NoReturn

from app.core.diagnosis import Diagnosis, OnboardingError, fail
from app.core.handshake import Action, Finished, IssueTokenB, OurParty, Request
from app.core.judging import (
    Response,
    choose_version,
    credentials_endpoint,
    judge_in_context,
    token_field,
    tolerated,
    versions_skipped,
)
from app.core.models import Credentials, credentials_from_wire_lenient, credentials_to_wire
from app.core.ocpi import canonical_version
from app.core.tokens import Secret, tokens_equal


class UpdateState(StrEnum):
    NEW = "new"
    VERSIONS_FETCHED = "versions_fetched"
    DETAILS_FETCHED = "details_fetched"
    TOKEN_STORED = "token_stored"
    PUT_SENT = "put_sent"
    UPDATED = "updated"
    FAILED = "failed"


@dataclass
class UpdateHandshake:
    """Rotation (PUT) by a registered party: OCPI credentials "Updating to a newer version".

    With the current outbound token: GET versions, GET details, then PUT our credentials with
    a new inbound token; the answer carries the partner's new token for us. The old pair stays
    valid until the answer is processed (ocpi/ocpi#568 leaves it open; we keep it safe).
    """

    versions_url: str
    current: Secret  # what we present now (C as Sender, B as Receiver)
    old_inbound: Secret  # what they present to us now
    us: OurParty
    preferred_version: str | None = None
    state: UpdateState = UpdateState.NEW
    version: str | None = None
    credentials_url: str | None = None
    new_inbound: Secret | None = None
    new_outbound: Secret | None = None
    partner: Credentials | None = None
    diagnosis: Diagnosis | None = None
    warnings: list[Diagnosis] = field(default_factory=list)
    _version_url: str | None = None

    @property
    def ocpi_version(self) -> str | None:
        return canonical_version(self.version) if self.version else None

    def next_action(self) -> Action:
        match self.state:
            case UpdateState.NEW:
                return Request("versions", "GET", self.versions_url, self.current.role)
            case UpdateState.VERSIONS_FETCHED:
                assert self._version_url
                return Request(
                    "details", "GET", self._version_url, self.current.role, None, self.ocpi_version
                )
            case UpdateState.DETAILS_FETCHED:
                return IssueTokenB()
            case UpdateState.TOKEN_STORED:
                assert self.new_inbound and self.credentials_url and self.ocpi_version
                body = credentials_to_wire(self.us.credentials(self.new_inbound), self.ocpi_version)
                return Request(
                    "rotate",
                    "PUT",
                    self.credentials_url,
                    self.current.role,
                    body,
                    self.ocpi_version,
                )
            case _:
                return Finished(self.state)

    def token_ready(self, token: Secret) -> None:
        """Input: the driver generated and stored the new inbound token (-> TOKEN_STORED)."""
        self.new_inbound = token
        self.state = UpdateState.TOKEN_STORED

    def put_sent(self) -> None:
        """Input: the PUT is about to leave (-> PUT_SENT): the partner may switch tokens."""
        self.state = UpdateState.PUT_SENT

    def receive(self, response: Response) -> None:
        """Input: the answer to `next_action`'s request; raises when the rotation failed."""
        try:
            self._receive(response)
        except OnboardingError as exc:
            self.fail_with(exc)

    def fail_with(self, error: OnboardingError) -> NoReturn:
        """Input: a failure (a judged answer, or a transport error the driver saw): FAILED."""
        self.state = UpdateState.FAILED
        self.diagnosis = error.diagnosis
        raise error

    def _receive(self, response: Response) -> None:
        match self.state:
            case UpdateState.NEW:
                envelope = judge_in_context(response, "check")
                self.version, self._version_url, _offered = choose_version(
                    envelope.data, self.preferred_version
                )
                self.warnings += tolerated(envelope, "versions", versions_skipped(envelope.data))
                self.state = UpdateState.VERSIONS_FETCHED
            case UpdateState.VERSIONS_FETCHED:
                envelope = judge_in_context(response, "check")
                self.warnings += tolerated(envelope, "version details")
                _details, self.credentials_url = credentials_endpoint(envelope.data)
                self.state = UpdateState.DETAILS_FETCHED
            case UpdateState.PUT_SENT:
                envelope = judge_in_context(response, "rotate")
                self.warnings += tolerated(envelope, "credentials PUT answer")
                token = token_field(envelope.data)
                assert self.new_inbound
                if not isinstance(token, str) or not token:
                    raise fail("token.c_invalid", "missing or empty")
                if tokens_equal(token, self.new_inbound.reveal()) or tokens_equal(
                    token, self.old_inbound.reveal()
                ):
                    raise fail("token.c_equals_b")
                if len(token) > 64 or not all(0x21 <= ord(ch) <= 0x7E for ch in token):
                    raise fail(
                        "token.c_invalid", "longer than 64 characters or not printable ASCII"
                    )
                partner, problem = credentials_from_wire_lenient(envelope.data, self.versions_url)
                if problem:
                    self.warnings += tolerated(envelope, "credentials PUT answer", (problem,))[-1:]
                self.partner = partner
                self.new_outbound = Secret(partner.token, self.current.role)
                self.state = UpdateState.UPDATED
            case _:
                raise fail("internal", f"response in state {self.state}")
