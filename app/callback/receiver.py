"""The credentials Receiver: answers a partner's POST/PUT/DELETE and GET on our endpoint.

Used three ways: by the sandbox partner (in memory), by the engine's invite flow (we are the
Receiver: TOKEN_A issued, the partner registers), and by the engine's register flow (we are
the Sender: the partner reads our credentials with TOKEN_B, may PUT or DELETE later).

The POST follows OCPI credentials "Registration": validate the Sender's credentials, GET
their versions and the details of the posted version with their TOKEN_B *before* answering,
then issue TOKEN_C and kill TOKEN_A. Failures answer 2001/3001/3002/3003 under HTTP 200.
Hooks let the owner persist each step before it takes effect.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from app.callback.errors import MethodNotAllowed
from app.callback.tokenbook import Grant, Stage, TokenBook
from app.core.diagnosis import Diagnosis, OnboardingError
from app.core.http import HttpSettings
from app.core.tokens import Secret, TokenRole, generate_token
from app.core.transcript import Transcript
from app.core.vocabulary import OurParty, Request

if TYPE_CHECKING:
    # pydantic, the OCPI models and httpx load when a partner first calls a credentials
    # endpoint, not when our endpoint starts listening (issue 13, target 1: memory)
    from app.core.models import Credentials, VersionDetails
    from app.core.receiving import ReceiverHandshake


@dataclass
class PeerSession:
    """What we know of one partner on our endpoint."""

    key: str
    role: str  # "receiver" (they register with us) or "sender" (we registered with them)
    our_token: Secret  # the token they present to us: A (invite), C (we Receiver), B (we Sender)
    their_token: Secret | None = None  # the token we present to them
    version: str | None = None
    partner: Credentials | None = None
    details: VersionDetails | None = None
    status: str = "invited"  # invited | registered | unregistered
    callback_calls: list[str] = field(default_factory=list)
    warnings: list[Diagnosis] = field(default_factory=list)  # what we tolerated of them
    incoming: Credentials | None = None  # a PUT's new credentials, while its hook runs
    incoming_details: VersionDetails | None = None


class ReceiverHooks(Protocol):
    """What the owner of a ReceiverService does at each step (like runner.SenderHooks).

    Each is awaited *before* the step takes effect on our endpoint, so the owner (the
    engine: vault writes) persists first. The sandbox and the tests use `NoHooks`.
    """

    def transcript_for(self, session: PeerSession) -> Transcript:
        """Where the exchanges with this partner are recorded."""
        ...

    def fetched(
        self, session: PeerSession, request: Request, token: str, status: int | None
    ) -> None:
        """A POST: we called the partner back (`token`: the fingerprint we presented;
        `status` None when no answer came)."""
        ...

    async def registered(self, session: PeerSession, token_c: Secret, token_b: Secret) -> None:
        """A POST: TOKEN_C issued, TOKEN_B received; before TOKEN_A dies."""
        ...

    async def updated(
        self, session: PeerSession, new_inbound: Secret, new_outbound: Secret
    ) -> None:
        """A PUT: the new token pair, before the old pair is retired."""
        ...

    async def unregistered(self, session: PeerSession) -> None:
        """A DELETE, before the partner's tokens are revoked."""
        ...


class NoHooks:
    """Hooks that keep nothing: a transcript per partner key, no persistence."""

    def transcript_for(self, session: PeerSession) -> Transcript:
        return Transcript(session.key)

    def fetched(
        self, session: PeerSession, request: Request, token: str, status: int | None
    ) -> None:
        return None

    async def registered(self, session: PeerSession, token_c: Secret, token_b: Secret) -> None:
        return None

    async def updated(
        self, session: PeerSession, new_inbound: Secret, new_outbound: Secret
    ) -> None:
        return None

    async def unregistered(self, session: PeerSession) -> None:
        return None


class ReceiverService:
    """CredentialsHandler for our endpoint (see app.callback.server)."""

    def __init__(
        self,
        tokens: TokenBook,
        us: OurParty,
        http_settings: HttpSettings | None = None,
        required_modules: tuple[str, ...] = (),
        hooks: ReceiverHooks | None = None,
    ) -> None:
        self.tokens = tokens
        self.us = us
        self.http_settings = http_settings or HttpSettings()
        self.required_modules = required_modules
        self._sessions: dict[str, PeerSession] = {}
        # the owner's hooks (engine: vault writes; sandbox: its own transcript)
        self.hooks: ReceiverHooks = hooks or NoHooks()

    @property
    def sessions(self) -> dict[str, PeerSession]:
        """The partners on our endpoint, by key (after the token book's pending load: the
        owner may restore registered partners there, see `TokenBook.load_later`)."""
        self.tokens.ready()
        return self._sessions

    # ---- set-up ---------------------------------------------------------------------------
    def invite(self, key: str, token_a: Secret | None = None) -> PeerSession:
        """Issue (or accept a given) TOKEN_A for a partner who will register with us."""
        token = (token_a or Secret(generate_token())).with_role(TokenRole.A)
        session = PeerSession(key, "receiver", token)
        self.sessions[key] = session
        self.tokens.grant(token, key, Stage.INVITE)
        return session

    def expect_sender(self, key: str, token_b: Secret, version: str) -> PeerSession:
        """We are the Sender: accept TOKEN_B for the partner's discovery of our endpoints."""
        session = PeerSession(key, "sender", token_b.with_role(TokenRole.B), version=version)
        self.sessions[key] = session
        self.tokens.grant(session.our_token, key, Stage.DISCOVERY, version)
        return session

    def restore(self, session: PeerSession) -> None:
        """A partner registered in an earlier run of the app: accept its token again."""
        self.sessions[session.key] = session
        self.tokens.revoke_peer(session.key)
        self.tokens.grant(session.our_token, session.key, Stage.REGISTERED, session.version)
        if session.their_token is not None:
            self.tokens.remember_outbound(session.their_token, session.key)

    def registered_sender(self, session: PeerSession, token_c: Secret) -> None:
        session.their_token = token_c
        session.status = "registered"
        self.tokens.grant(session.our_token, session.key, Stage.REGISTERED, session.version)
        self.tokens.remember_outbound(token_c, session.key)

    def forget(self, key: str) -> None:
        session = self.sessions.pop(key, None)
        self.tokens.revoke_peer(key)
        if session and session.their_token:
            self.tokens.forget_outbound(session.their_token)

    def our_credentials(self, token: Secret, version: str) -> dict[str, Any]:
        from app.core.models import credentials_to_wire

        return credentials_to_wire(self.us.credentials(token), version)

    # ---- CredentialsHandler -----------------------------------------------------------------
    async def get(self, grant: Grant, version: str) -> dict[str, Any]:
        return self.our_credentials(grant.secret, version)

    async def post(self, grant: Grant, version: str, body: Any) -> dict[str, Any]:
        session = self.sessions.get(grant.peer)
        if session is None or session.status != "invited":
            raise MethodNotAllowed("already registered: use PUT to update")
        from app.core.receiving import ReceiverHandshake

        machine = ReceiverHandshake(version, required_modules=self.required_modules)
        machine.receive_post(body, issued=session.our_token)
        assert machine.token_b is not None and machine.partner is not None
        transcript = self._transcript(session)
        transcript.add_secret(machine.token_b)
        await self.discover(session, machine, version, transcript)
        token_c = self.issue_token(machine.token_b, session)
        session.partner = machine.partner
        session.details = machine.details
        session.version = version
        session.warnings = list(machine.warnings)
        session.their_token = machine.token_b
        await self.hooks.registered(session, token_c, machine.token_b)
        # TOKEN_A dies, TOKEN_C lives (after the owner stored it)
        self.tokens.revoke(session.our_token)
        session.our_token = token_c
        session.status = "registered"
        self.tokens.grant(token_c, session.key, Stage.REGISTERED, version)
        self.tokens.remember_outbound(machine.token_b, session.key)
        machine.registered()
        return self.answer(session, token_c, version)

    async def put(self, grant: Grant, version: str, body: Any) -> dict[str, Any]:
        session = self.sessions.get(grant.peer)
        if session is None or session.status != "registered":
            raise MethodNotAllowed("not registered")
        from app.core.receiving import ReceiverHandshake

        machine = ReceiverHandshake(version, required_modules=self.required_modules)
        machine.receive_post(body)
        assert machine.token_b is not None and machine.partner is not None
        transcript = self._transcript(session)
        transcript.add_secret(machine.token_b)
        await self.discover(session, machine, version, transcript)  # PUT always re-fetches
        new_token = self.issue_token(machine.token_b, session)
        old_theirs = session.their_token
        session.incoming, session.incoming_details = machine.partner, machine.details
        await self.hooks.updated(session, new_token, machine.token_b)
        session.incoming = session.incoming_details = None
        self.tokens.revoke(session.our_token)
        if old_theirs is not None:
            self.tokens.forget_outbound(old_theirs)
        session.our_token = new_token
        session.their_token = machine.token_b
        session.partner = machine.partner
        session.details = machine.details
        session.version = version
        self.tokens.grant(new_token, session.key, Stage.REGISTERED, version)
        self.tokens.remember_outbound(machine.token_b, session.key)
        return self.answer(session, new_token, version)

    async def delete(self, grant: Grant, version: str) -> None:
        session = self.sessions.get(grant.peer)
        if session is None or session.status != "registered":
            raise MethodNotAllowed("not registered")
        await self.hooks.unregistered(session)
        session.status = "unregistered"
        self.tokens.revoke_peer(session.key)

    # ---- steps a subclass (the sandbox) may bend ------------------------------------------
    def issue_token(self, token_b: Secret, session: PeerSession) -> Secret:
        """A fresh token for the partner to present to us (TOKEN_C on POST, a new one on PUT)."""
        return Secret(generate_token(), TokenRole.C if session.role == "receiver" else TokenRole.B)

    def answer(self, session: PeerSession, token: Secret, version: str) -> dict[str, Any]:
        return self.our_credentials(token, version)

    async def discover(
        self, session: PeerSession, machine: ReceiverHandshake, version: str, transcript: Transcript
    ) -> None:
        """GET the partner's versions and the posted version's details with their TOKEN_B.

        The header takes the form the posted version wants; a partner that refuses it gets the
        other form once (GETs only), as many 2.1.1/2.2 platforms never encode
        (docs/ocpi-facts.md, fact 1).
        """
        from app.core.http import OcpiHttp, make_client
        from app.core.judging import Response
        from app.core.runner import EncodingChoice, send_with_encoding

        token = self.callback_token(session, machine)
        settings = self.http_settings
        encoding = EncodingChoice("auto")
        async with make_client(settings) as client:
            http = OcpiHttp(client, transcript, settings)
            while True:
                action = machine.next_action()
                if not isinstance(action, Request):
                    return
                try:
                    result = await send_with_encoding(http, action, token, encoding)
                except OnboardingError as exc:
                    self.hooks.fetched(session, action, token.fingerprint, None)
                    machine.fail_with(exc)  # raises RegistrationRefused (3001)
                self.hooks.fetched(session, action, token.fingerprint, result.status)
                session.callback_calls.append(action.url)
                machine.receive(Response(result.status, result.body, result.content_type))

    def callback_token(self, session: PeerSession, machine: ReceiverHandshake) -> Secret:
        """The token our callback GETs present: the Sender's TOKEN_B (a faulty sandbox
        partner bends this, never the machine)."""
        assert machine.token_b is not None
        return machine.token_b

    def _transcript(self, session: PeerSession) -> Transcript:
        return self.hooks.transcript_for(session)
