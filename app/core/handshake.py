"""The OCPI credentials handshake as sans-IO state machines: the Sender, and the vocabulary
every machine shares (requests, actions, our party). The Receiver machine lives in
`app.core.receiving`, rotation by PUT in `app.core.rotation`, the judging of answers in
`app.core.judging`.

Rules of these machines (after h11's _state.py):
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

from app.core.diagnosis import Diagnosis, OnboardingError, diagnose, fail
from app.core.judging import (
    Response,
    choose_version,
    credentials_endpoint,
    judge_in_context,
    token_field,
    tolerated,
    versions_skipped,
)
from app.core.models import (
    Credentials,
    VersionDetails,
    credentials_from_wire_lenient,
    credentials_to_wire,
)
from app.core.ocpi import (
    canonical_version,
    sanitize_text,
)
from app.core.tokens import Secret, TokenRole, is_valid_token_text, tokens_equal
from app.core.vocabulary import Action as Action  # re-exported: pydantic-free (issue 13)
from app.core.vocabulary import Finished as Finished
from app.core.vocabulary import IssueTokenB as IssueTokenB
from app.core.vocabulary import OurParty as OurParty
from app.core.vocabulary import Request as Request


class SenderState(StrEnum):
    NEW = "new"
    VERSIONS_FETCHED = "versions_fetched"
    DETAILS_FETCHED = "details_fetched"
    TOKEN_B_STORED = "token_b_stored"
    CREDENTIALS_POSTED = "credentials_posted"
    REGISTERED = "registered"
    VERIFIED = "verified"
    FAILED = "failed"


VERIFY_STOPPED = 99  # a verification call failed: no further call with TOKEN_C


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
    posted: bool = False  # TOKEN_A left with our credentials: a retry must not reuse it blindly
    _verify_step: int = 0  # 0: versions with TOKEN_C, 1: credentials GET, VERIFY_STOPPED
    _version_url: str | None = None

    @property
    def ocpi_version(self) -> str | None:
        return canonical_version(self.version) if self.version else None

    def next_action(self) -> Action:
        """What to do now: a request, TOKEN_B to issue, or nothing more (Finished)."""
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
        """Input: the driver generated and stored TOKEN_B (DETAILS_FETCHED -> TOKEN_B_STORED)."""
        if tokens_equal(token_b.reveal(), self.token_a.reveal()):
            raise fail("internal", "TOKEN_B equals TOKEN_A")
        self.token_b = token_b.with_role(TokenRole.B)
        self.state = SenderState.TOKEN_B_STORED

    def post_sent(self) -> None:
        """Input: the POST is about to leave (TOKEN_B_STORED -> CREDENTIALS_POSTED); from
        here on TOKEN_A may be spent even if no answer ever arrives."""
        self.state = SenderState.CREDENTIALS_POSTED
        self.posted = True

    def receive(self, response: Response) -> None:
        """Input: the answer to the request `next_action` asked for.

        Raises the diagnosed OnboardingError when the run failed (state FAILED). A failed
        verification does not raise: the registration stands (see `_verification_failed`).
        """
        try:
            self._receive(response)
        except OnboardingError as exc:
            self._failed(exc)

    def fail_with(self, error: OnboardingError) -> None:
        """Input: a transport failure the driver could not hand over as a Response (timeout,
        refused connection, TLS, redirect). Same rules as a failing answer."""
        self._failed(error)

    def _failed(self, error: OnboardingError) -> None:
        if self.state == SenderState.REGISTERED:
            self._verification_failed(error)
            return
        self.state = SenderState.FAILED
        self.diagnosis = error.diagnosis
        raise error

    def _verification_failed(self, error: OnboardingError) -> None:
        """REGISTERED stays REGISTERED: TOKEN_C is ours; the failure becomes the warning
        `reg.verify_failed` and the diagnosis, and verification stops."""
        self.warnings.append(diagnose("reg.verify_failed", error.diagnosis.message))
        self.diagnosis = error.diagnosis
        self._verify_step = VERIFY_STOPPED
        self.state = SenderState.REGISTERED

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
                token_c = token_field(data)
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
        if not is_valid_token_text(token_c):  # 1 to 64 checked above: U+0021..U+007E each
            raise fail("token.c_invalid", "not printable ASCII without spaces")


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
