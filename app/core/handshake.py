"""The OCPI credentials handshake as sans-IO state machines: Sender and Receiver.

Rules of this file (after h11's _state.py):
- It decides, it does not do. A machine says which request to make next (`next_action`)
  and judges each response (`receive`); runner/engine code does the I/O, persists state
  before every side effect, and feeds responses back. No sockets, no clocks, no storage.
- The sequence is OCPI's credentials module, "Registration" (2.1.1 credentials.md;
  2.2.1/2.3.0 credentials.asciidoc): Sender GETs the Receiver's versions and version
  details with TOKEN_A, POSTs its credentials (TOKEN_B, its versions URL, its roles) to the
  Receiver's credentials endpoint with TOKEN_A, and receives TOKEN_C. The Receiver, before
  answering the POST, GETs the Sender's versions and details with TOKEN_B, then issues
  TOKEN_C and kills TOKEN_A. Update is PUT, unregister is DELETE.
- Token rule: in the header, always present the token the *other* side issued.
- Success is decided on both HTTP status and OCPI status_code (HTTP 200 can carry 2001).
- Every failure leaves as an OnboardingError carrying a stable diagnosis code.
- Not here: header encoding trial (runner), persistence (engine), our endpoint (callback).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from app.core.diagnosis import Diagnosis, OnboardingError, diagnose, fail
from app.core.models import (
    Credentials,
    VersionDetails,
    credentials_from_wire,
    credentials_from_wire_lenient,
    credentials_to_wire,
    parse_version_details,
    parse_versions,
)
from app.core.ocpi import (
    INVALID_PARAMS,
    NO_MATCHING_ENDPOINTS,
    SUPPORTED_VERSIONS,
    UNABLE_TO_USE_CLIENT_API,
    UNSUPPORTED_VERSION,
    Envelope,
    canonical_version,
    negotiate,
    parse_envelope,
    sanitize_text,
    uses_base64_header,
)
from app.core.tokens import Secret, TokenRole, tokens_equal


class SenderState(StrEnum):
    NEW = "new"
    VERSIONS_FETCHED = "versions_fetched"
    DETAILS_FETCHED = "details_fetched"
    TOKEN_B_STORED = "token_b_stored"
    CREDENTIALS_POSTED = "credentials_posted"
    REGISTERED = "registered"
    VERIFIED = "verified"
    FAILED = "failed"


class ReceiverState(StrEnum):
    INVITED = "invited"
    CREDENTIALS_RECEIVED = "credentials_received"
    PARTNER_DISCOVERED = "partner_discovered"
    REGISTERED = "registered"
    FAILED = "failed"


@dataclass(frozen=True)
class Request:
    """A request the machine wants made. `token` names which token to present."""

    purpose: str
    method: str
    url: str
    token: TokenRole | None
    body: dict[str, Any] | None = None
    ocpi_version: str | None = None  # decides the header encoding and X-Request-ID

    @property
    def is_write(self) -> bool:
        return self.method in ("POST", "PUT", "DELETE")


@dataclass(frozen=True)
class IssueTokenB:
    """The driver must generate TOKEN_B, store it as accepted inbound, then call token_b_ready."""


@dataclass(frozen=True)
class Finished:
    state: str


Action = Request | IssueTokenB | Finished


@dataclass(frozen=True)
class Response:
    """What the driver saw: HTTP status, body bytes and content type."""

    status: int
    body: bytes
    content_type: str | None = None


def judge(response: Response) -> Envelope:
    """Parse the envelope and fail unless both HTTP and OCPI say success."""
    envelope = parse_envelope(response.body, response.status, response.content_type)
    if not envelope.ok:
        raise ocpi_status_failure(envelope)
    if response.status >= 400:
        raise fail("ocpi.http_error", str(response.status))
    return envelope


def tolerated(envelope: Envelope, step: str, extra: tuple[str, ...] = ()) -> list[Diagnosis]:
    """One warning per deviation parsing forgave, naming the step and the partner's value."""
    return [diagnose("ocpi.tolerated", f"{step}: {d}") for d in (*envelope.deviations, *extra)]


def versions_skipped(data: Any) -> tuple[str, ...]:
    """Entries of a versions list that could not be read (and were skipped)."""
    if not isinstance(data, list):
        return ()
    readable = 0
    for item in data:
        try:
            parse_versions([item])
            readable += 1
        except OnboardingError:
            continue
    skipped = len(data) - readable
    return (
        (f"{skipped} unreadable entr{'y' if skipped == 1 else 'ies'} skipped",) if skipped else ()
    )


def ocpi_status_failure(envelope: Envelope) -> OnboardingError:
    message = sanitize_text(envelope.status_message) or "no message"
    code = envelope.status_code
    if code == INVALID_PARAMS:
        return fail("ocpi.invalid_params", message)
    if code == UNABLE_TO_USE_CLIENT_API:
        return fail("ocpi.callback_failed_3001", message)
    if code == UNSUPPORTED_VERSION:
        return fail("ocpi.unsupported_version_3002", message)
    if code == NO_MATCHING_ENDPOINTS:
        return fail("ocpi.missing_endpoints_3003", message)
    return fail("ocpi.status_error", f"{code}: {message}")


def http_failure(response: Response, context: str) -> OnboardingError | None:
    """Diagnoses that depend on the HTTP status and on which step we were in."""
    status = response.status
    if status == 401 or status == 403:
        codes = {
            "versions_a": "token.a_rejected",
            "details_a": "token.a_rejected",
            "post": "token.a_rejected",
            "verify": "token.c_rejected",
            "rotate": "reg.not_registered",
            "unregister": "reg.not_registered",
            "check": "token.c_rejected",
        }
        code = codes.get(context)
        if code == "reg.not_registered":
            return fail(code, str(status), method="PUT" if context == "rotate" else "DELETE")
        if code:
            return fail(code, str(status))
    if status == 405:
        if context == "post":
            return fail("reg.already_registered")
        if context in ("rotate", "unregister"):
            return fail(
                "reg.not_registered", "405", method="PUT" if context == "rotate" else "DELETE"
            )
    if status >= 500:
        try:
            judge(response)
        except OnboardingError as exc:
            if exc.diagnosis.code.startswith("ocpi.") and exc.diagnosis.code not in (
                "ocpi.http_error",
                "ocpi.no_envelope",
                "ocpi.not_json",
            ):
                return exc
        return fail("ocpi.server_error", str(status))
    if status == 404:
        try:
            judge(response)
        except OnboardingError as exc:
            if exc.diagnosis.code in ("ocpi.not_json", "ocpi.no_envelope"):
                return fail("ocpi.not_found")
            return exc
    return None


def judge_in_context(response: Response, context: str) -> Envelope:
    failure = http_failure(response, context)
    if failure is not None:
        raise failure
    return judge(response)


def choose_version(data: Any, preferred: str | None) -> tuple[str, str, list[str]]:
    """Read a versions list and pick ours: (the partner's spelling, its URL, all offered).

    The highest mutual version, or exactly `preferred` when one is asked for.
    """
    versions = parse_versions(data)
    offered = [v.version for v in versions]
    if preferred:
        wanted = canonical_version(preferred)
        if wanted is None or wanted not in SUPPORTED_VERSIONS:
            raise fail("input.version_unsupported", sanitize_text(preferred, 20))
        chosen = negotiate(offered, (wanted,))
    else:
        chosen = negotiate(offered)
    if chosen is None:
        listed = ", ".join(sanitize_text(v, 20) for v in offered[:8])
        raise fail("ocpi.no_mutual_version", listed or "none")
    return chosen, next(v.url for v in versions if v.version == chosen), offered


def credentials_endpoint(
    data: Any, required_modules: tuple[str, ...] = ()
) -> tuple[VersionDetails, str]:
    """Read version details: the credentials URL, and 3003 if required modules are missing."""
    details = parse_version_details(data)
    endpoint = details.endpoint("credentials")
    if endpoint is None:
        raise fail("ocpi.no_credentials_endpoint")
    missing = [m for m in required_modules if details.endpoint(m) is None]
    if missing:
        raise fail("ocpi.missing_endpoints_3003", ", ".join(missing))
    return details, endpoint.url


# --------------------------------------------------------------------------------------
@dataclass
class OurParty:
    """What we tell a partner about ourselves."""

    roles: list[
        dict[str, Any]
    ]  # CredentialsRole dicts: role, party_id, country_code, business_details
    versions_url: str
    hub_party_id: str | None = None

    def credentials(self, token: Secret) -> Credentials:
        return Credentials.model_validate(
            {
                "token": token.reveal(),
                "url": self.versions_url,
                "roles": self.roles,
                "hub_party_id": self.hub_party_id,
            }
        )


@dataclass
class SenderHandshake:
    """We register with a partner who gave us TOKEN_A and their versions URL."""

    versions_url: str
    token_a: Secret
    us: OurParty
    preferred_version: str | None = None
    required_modules: tuple[str, ...] = ()
    verify: bool = True
    state: SenderState = SenderState.NEW
    version: str | None = None  # the partner's spelling of the negotiated version
    their_versions: list[str] = field(default_factory=list)
    details: VersionDetails | None = None
    credentials_url: str | None = None
    token_b: Secret | None = None
    token_c: Secret | None = None
    partner: Credentials | None = None
    warnings: list[Diagnosis] = field(default_factory=list)
    diagnosis: Diagnosis | None = None
    _verify_step: int = 0
    _version_url: str | None = None

    @property
    def ocpi_version(self) -> str | None:
        return canonical_version(self.version) if self.version else None

    def next_action(self) -> Action:
        match self.state:
            case SenderState.NEW:
                return Request("versions", "GET", self.versions_url, TokenRole.A)
            case SenderState.VERSIONS_FETCHED:
                assert self._version_url
                return Request(
                    "details", "GET", self._version_url, TokenRole.A, None, self.ocpi_version
                )
            case SenderState.DETAILS_FETCHED:
                return IssueTokenB()
            case SenderState.TOKEN_B_STORED:
                assert self.token_b and self.credentials_url and self.ocpi_version
                body = credentials_to_wire(self.us.credentials(self.token_b), self.ocpi_version)
                return Request(
                    "post", "POST", self.credentials_url, TokenRole.A, body, self.ocpi_version
                )
            case SenderState.REGISTERED if self.verify and self._verify_step == 0:
                return Request("verify", "GET", self.versions_url_after(), TokenRole.C)
            case SenderState.REGISTERED if self.verify and self._verify_step == 1:
                assert self.credentials_url
                return Request(
                    "verify", "GET", self.credentials_url, TokenRole.C, None, self.ocpi_version
                )
            case _:
                return Finished(self.state)

    def versions_url_after(self) -> str:
        """After registration the partner's own Credentials.url names its versions URL."""
        return self.partner.url if self.partner else self.versions_url

    def token_b_ready(self, token_b: Secret) -> None:
        if tokens_equal(token_b.reveal(), self.token_a.reveal()):
            raise fail("internal", "TOKEN_B equals TOKEN_A")
        self.token_b = token_b.with_role(TokenRole.B)
        self.state = SenderState.TOKEN_B_STORED

    def post_sent(self) -> None:
        """The driver calls this (after persisting) right before the POST leaves."""
        self.state = SenderState.CREDENTIALS_POSTED

    def receive(self, response: Response) -> None:
        """Judge the response to the request `next_action` asked for."""
        try:
            self._receive(response)
        except OnboardingError as exc:
            if self.state == SenderState.REGISTERED:
                # Verification failures do not undo a registration: TOKEN_C is ours.
                warning = diagnose("reg.verify_failed", exc.diagnosis.message)
                self.warnings.append(warning)
                self.diagnosis = exc.diagnosis
                self._verify_step = 99
                self.state = SenderState.REGISTERED
                raise
            self.state = SenderState.FAILED
            self.diagnosis = exc.diagnosis
            raise

    def _receive(self, response: Response) -> None:
        match self.state:
            case SenderState.NEW:
                envelope = judge_in_context(response, "versions_a")
                self.version, self._version_url, self.their_versions = choose_version(
                    envelope.data, self.preferred_version
                )
                self.warnings += tolerated(envelope, "versions", versions_skipped(envelope.data))
                self.state = SenderState.VERSIONS_FETCHED
            case SenderState.VERSIONS_FETCHED:
                envelope = judge_in_context(response, "details_a")
                self.warnings += tolerated(envelope, "version details")
                details, self.credentials_url = credentials_endpoint(
                    envelope.data, self.required_modules
                )
                if canonical_version(details.version) != self.ocpi_version:
                    self.warnings.append(
                        diagnose(
                            "ocpi.details_version_mismatch", sanitize_text(details.version, 20)
                        )
                    )
                self.details = details
                self.state = SenderState.DETAILS_FETCHED
            case SenderState.CREDENTIALS_POSTED:
                envelope = judge_in_context(response, "post")
                data = envelope.data
                wrapped: tuple[str, ...] = ()
                if isinstance(data, list) and len(data) == 1 and isinstance(data[0], dict):
                    data = data[0]  # some platforms wrap the object in a list
                    wrapped = ("the credentials object came wrapped in a one-element list",)
                self.warnings += tolerated(envelope, "credentials POST answer", wrapped)
                if data is None:
                    raise fail("ocpi.bad_data", "credentials object (data missing)")
                token_c = _token_field(data)
                self._check_token_c(token_c)
                partner, problem = credentials_from_wire_lenient(data, self.versions_url)
                if problem:  # TOKEN_A is spent: keep TOKEN_C, report what was off
                    self.warnings.append(diagnose("reg.response_roles", problem).as_warning())
                duplicate = _check_roles(partner)
                if duplicate is not None:
                    self.warnings.append(duplicate)
                self.partner = partner
                self.token_c = Secret(partner.token, TokenRole.C)
                self.state = SenderState.REGISTERED
            case SenderState.REGISTERED:
                envelope = judge_in_context(response, "verify")
                step = "versions with TOKEN_C" if self._verify_step == 0 else "credentials GET"
                self.warnings += tolerated(envelope, step)
                self._verify_step += 1
                if self._verify_step >= 2:
                    self.state = SenderState.VERIFIED
            case _:
                raise fail("internal", f"response in state {self.state}")

    def _check_token_c(self, token_c: str | None) -> None:
        assert self.token_b
        if token_c is None or token_c == "":
            raise fail("token.c_invalid", "missing or empty")
        if not isinstance(token_c, str):
            raise fail("token.c_invalid", "not a string")
        if tokens_equal(token_c, self.token_b.reveal()):
            raise fail("token.c_equals_b")
        if tokens_equal(token_c, self.token_a.reveal()):
            raise fail("token.c_equals_a")
        if len(token_c) > 64:
            raise fail("token.c_invalid", f"{len(token_c)} characters long (at most 64)")
        if not all(0x21 <= ord(ch) <= 0x7E for ch in token_c):
            raise fail("token.c_invalid", "not printable ASCII without spaces")

    def fail_with(self, error: OnboardingError) -> None:
        """A transport failure the driver could not hand over as a Response."""
        if self.state != SenderState.REGISTERED:
            self.state = SenderState.FAILED
        self.diagnosis = error.diagnosis


def _token_field(data: Any) -> Any:
    return data.get("token") if isinstance(data, dict) else None


def _check_roles(partner: Credentials) -> Diagnosis | None:
    """Duplicate (role, party, country) triples break the spec; a warning, since TOKEN_A is
    already spent when we see them."""
    seen: set[tuple[str | None, str, str]] = set()
    for role in partner.roles:
        key = (role.role, role.party_id, role.country_code)
        if key in seen:
            return diagnose(
                "reg.response_roles",
                f"role {role.role} {role.country_code}-{role.party_id} listed twice",
            ).as_warning()
        seen.add(key)
    return None


# --------------------------------------------------------------------------------------
class RegistrationRefused(Exception):
    """The Receiver refuses a POST/PUT: answer with this OCPI status (HTTP 200) and message."""

    def __init__(self, status_code: int, message: str, diagnosis: Diagnosis | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.diagnosis = diagnosis


@dataclass
class ReceiverHandshake:
    """A partner registers with us: they POSTed their credentials with the TOKEN_A we issued.

    `version` is the version of the credentials endpoint that received the POST (the
    Receiver uses whatever version the POST arrived on).
    """

    version: str
    state: ReceiverState = ReceiverState.INVITED
    partner: Credentials | None = None
    token_b: Secret | None = None
    their_version_url: str | None = None
    details: VersionDetails | None = None
    required_modules: tuple[str, ...] = ()
    warnings: list[Diagnosis] = field(default_factory=list)

    def receive_post(self, data: Any) -> None:
        """Validate the Sender's credentials (2001 on bad fields)."""
        try:
            partner = credentials_from_wire(data, self.version)
        except OnboardingError as exc:
            raise RegistrationRefused(
                INVALID_PARAMS, exc.diagnosis.detail or exc.diagnosis.message
            ) from None
        self.partner = partner
        self.token_b = Secret(partner.token, TokenRole.B)
        self.state = ReceiverState.CREDENTIALS_RECEIVED

    def next_action(self) -> Request | Finished:
        assert self.partner
        if self.state != ReceiverState.CREDENTIALS_RECEIVED:
            return Finished(self.state)
        if self.their_version_url is None:
            return Request("callback_versions", "GET", self.partner.url, TokenRole.B)
        return Request(
            "callback_details", "GET", self.their_version_url, TokenRole.B, None, self.version
        )

    def receive(self, response: Response | None, error: OnboardingError | None = None) -> None:
        """Judge a callback response; any failure becomes 3001/3002/3003 for the POST answer."""
        if error is not None:
            raise RegistrationRefused(
                UNABLE_TO_USE_CLIENT_API, error.diagnosis.message, error.diagnosis
            )
        assert response is not None
        try:
            envelope = judge(response)
            if response.status >= 300:
                raise fail("ocpi.http_error", str(response.status))
            if self.their_version_url is None:
                self.warnings += tolerated(
                    envelope, "their versions", versions_skipped(envelope.data)
                )
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
        except OnboardingError as exc:
            if response.status in (401, 403):
                message = f"your endpoint rejected TOKEN_B (HTTP {response.status})"
            else:
                message = exc.diagnosis.message
            raise RegistrationRefused(UNABLE_TO_USE_CLIENT_API, message, exc.diagnosis) from None

    def registered(self) -> None:
        self.state = ReceiverState.REGISTERED


def header_base64_for(version: str | None) -> bool:
    return uses_base64_header(canonical_version(version) if version else None)


# --------------------------------------------------------------------------------------
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
        self.new_inbound = token
        self.state = UpdateState.TOKEN_STORED

    def put_sent(self) -> None:
        self.state = UpdateState.PUT_SENT

    def receive(self, response: Response) -> None:
        try:
            self._receive(response)
        except OnboardingError as exc:
            self.state = UpdateState.FAILED
            self.diagnosis = exc.diagnosis
            raise

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
                token = _token_field(envelope.data)
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
