"""The Receiver side of the credentials handshake as a sans-IO machine.

A partner POSTs (or PUTs) its credentials with the token we issued; before answering, the
Receiver GETs the partner's versions and the posted version's details with the partner's
TOKEN_B (OCPI credentials, "Registration"). Every refusal leaves as `RegistrationRefused`
carrying the OCPI status the POST is answered with (HTTP 200): 2001 for bad credentials,
3001 when the partner's endpoints cannot be used, 3002 for no such version, 3003 for
missing modules. The driver is `app.callback.receiver` (our endpoint's POST handler).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NoReturn

from app.core.diagnosis import Diagnosis, OnboardingError, fail
from app.core.handshake import Finished, Request
from app.core.judging import Response, judge, tolerated, versions_skipped
from app.core.models import (
    Credentials,
    VersionDetails,
    credentials_from_wire,
    parse_version_details,
    parse_versions,
)
from app.core.ocpi import (
    INVALID_PARAMS,
    NO_MATCHING_ENDPOINTS,
    UNABLE_TO_USE_CLIENT_API,
    UNSUPPORTED_VERSION,
    canonical_version,
)
from app.core.tokens import Secret, TokenRole
from app.core.vocabulary import RegistrationRefused as RegistrationRefused  # re-exported


class ReceiverState(StrEnum):
    INVITED = "invited"
    CREDENTIALS_RECEIVED = "credentials_received"
    PARTNER_DISCOVERED = "partner_discovered"
    REGISTERED = "registered"
    FAILED = "failed"


@dataclass
class ReceiverHandshake:
    """A partner registers with us: they POSTed their credentials with the TOKEN_A we issued.

    `version` is the version of the credentials endpoint that received the POST (the
    Receiver uses whatever version the POST arrived on). Every refusal moves the machine to
    FAILED, keeps the refusal in `refusal`, and raises it for the driver to answer with.
    """

    version: str
    state: ReceiverState = ReceiverState.INVITED
    partner: Credentials | None = None
    token_b: Secret | None = None
    their_version_url: str | None = None
    details: VersionDetails | None = None
    required_modules: tuple[str, ...] = ()
    warnings: list[Diagnosis] = field(default_factory=list)
    refusal: RegistrationRefused | None = None

    def receive_post(self, data: Any, issued: Secret | None = None) -> None:
        """Input: the Sender's credentials (2001 on bad fields). `issued` is the token the
        POST came with (TOKEN_A): the Sender's TOKEN_B must not be that token."""
        try:
            partner = credentials_from_wire(data, self.version)
        except OnboardingError as exc:
            self._refuse(
                RegistrationRefused(INVALID_PARAMS, exc.diagnosis.detail or exc.diagnosis.message)
            )
        token_b = Secret(partner.token, TokenRole.B)
        if issued is not None and token_b == issued:
            self._refuse(
                RegistrationRefused(INVALID_PARAMS, "token must not be the TOKEN_A we issued")
            )
        self.partner = partner
        self.token_b = token_b
        self.state = ReceiverState.CREDENTIALS_RECEIVED

    def next_action(self) -> Request | Finished:
        """The next callback GET with the Sender's TOKEN_B, or Finished."""
        if self.state != ReceiverState.CREDENTIALS_RECEIVED:
            return Finished(self.state)
        assert self.partner
        version = canonical_version(self.version)
        if self.their_version_url is None:
            return Request("callback_versions", "GET", self.partner.url, TokenRole.B, None, version)
        return Request(
            "callback_details", "GET", self.their_version_url, TokenRole.B, None, version
        )

    def receive(self, response: Response) -> None:
        """Input: a callback answer; any failure becomes 3001/3002/3003 for the POST answer."""
        try:
            self._receive(response)
        except RegistrationRefused as refused:
            self._refuse(refused)
        except OnboardingError as exc:
            if response.status in (401, 403):
                message = f"your endpoint rejected TOKEN_B (HTTP {response.status})"
            else:
                message = exc.diagnosis.message
            self._refuse(RegistrationRefused(UNABLE_TO_USE_CLIENT_API, message, exc.diagnosis))

    def fail_with(self, error: OnboardingError) -> NoReturn:
        """Input: a transport failure of a callback GET: 3001."""
        self._refuse(
            RegistrationRefused(UNABLE_TO_USE_CLIENT_API, error.diagnosis.message, error.diagnosis)
        )

    def registered(self) -> None:
        """Input: the driver issued TOKEN_C and the owner stored it (-> REGISTERED)."""
        self.state = ReceiverState.REGISTERED

    def _refuse(self, refused: RegistrationRefused) -> NoReturn:
        self.state = ReceiverState.FAILED
        self.refusal = refused
        raise refused from None

    def _receive(self, response: Response) -> None:
        envelope = judge(response)
        if response.status >= 300:
            raise fail("ocpi.http_error", str(response.status))
        if self.their_version_url is None:
            self.warnings += tolerated(envelope, "their versions", versions_skipped(envelope.data))
            versions = parse_versions(envelope.data)
            wanted = canonical_version(self.version)
            match = [v for v in versions if canonical_version(v.version) == wanted]
            if not match:
                raise RegistrationRefused(
                    UNSUPPORTED_VERSION,
                    f"your versions list has no {self.version}",
                )
            self.their_version_url = match[0].url
        else:
            self.warnings += tolerated(envelope, "their version details")
            details = parse_version_details(envelope.data)
            missing = [m for m in self.required_modules if details.endpoint(m) is None]
            if missing:
                raise RegistrationRefused(
                    NO_MATCHING_ENDPOINTS, f"missing endpoints: {', '.join(missing)}"
                )
            self.details = details
            self.state = ReceiverState.PARTNER_DISCOVERED
