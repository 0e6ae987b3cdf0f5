"""Which inbound token belongs to whom and at which stage; the confusion detector.

The endpoint accepts only the token that belongs to the caller's stage: a TOKEN_A we issued
(invite stage: versions, details and the credentials POST), a TOKEN_B we issued as Sender, or
a TOKEN_C we issued as Receiver (registered stage). Lookups go through a SHA-256 index and end
in a constant-time comparison. Tokens we *present* to partners are remembered too, so a
partner that calls us with one of them (B/C or A confusion) gets a precise diagnosis.

The book may be filled on first use (`load_later`): the engine restores registered
partners' tokens only when a call comes in or an operation touches the book, since that
decrypts them, and the cipher library is ~8 MiB the window's start need not carry
(issue 13, memory). Every method runs the pending load first, so nobody sees the book half
made: a partner calling right after start is still recognised. The window fills it ahead,
a part per turn of its loop (`fill_part`), once its start has settled; the load left
pending does the rest at a use before then.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from app.core.diagnosis import Diagnosis, diagnose
from app.core.ocpi import PresentedToken, canonical_version, uses_base64_header
from app.core.tokens import Secret, TokenRole, fingerprint, tokens_equal


class Stage(StrEnum):
    INVITE = "invite"  # TOKEN_A we issued: versions, details, POST credentials
    DISCOVERY = "discovery"  # TOKEN_B we issued as Sender, registration under way
    REGISTERED = "registered"  # TOKEN_B (we Sender) or TOKEN_C (we Receiver) after registration


@dataclass
class Grant:
    secret: Secret
    peer: str
    stage: Stage
    version: str | None = None  # the version this peer speaks, for the encoding check

    @property
    def role(self) -> TokenRole | None:
        return self.secret.role


@dataclass(frozen=True)
class Identification:
    grant: Grant | None
    encoding: str  # "base64" or "plain"
    warnings: tuple[Diagnosis, ...] = ()
    refusal: Diagnosis | None = None  # why a known-but-wrong token was refused
    seen: str | None = None  # fingerprint of a refused token we know (one we present)


def _key(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass
class TokenBook:
    _grants: dict[str, Grant] = field(default_factory=dict)
    _outbound: dict[str, tuple[str, TokenRole | None]] = field(default_factory=dict)
    _pending: Callable[[], None] | None = field(default=None, repr=False)
    # peer -> the keys of its grants: restoring n partners revokes each one's grants
    # first, and a scan of every grant per partner made that n**2 (half of a 2,000-partner
    # restore's CPU)
    _peer_keys: dict[str, set[str]] = field(default_factory=dict, repr=False)

    def load_later(self, load: Callable[[], None]) -> None:
        """`load` fills the book (and whatever goes with it) before its first use."""
        self._pending = load

    @property
    def pending(self) -> bool:
        """A load waits for the first use."""
        return self._pending is not None

    def ready(self) -> None:
        """Run the pending load now (once; again at the next use if it failed)."""
        load, self._pending = self._pending, None
        if load is not None:
            try:
                load()
            except BaseException:
                self._pending = load
                raise

    def fill_part(self, part: Callable[[], None]) -> bool:
        """Run `part` of the pending load now, the load held aside meanwhile (so the book's
        own methods inside do not run the whole of it); the load stays pending for the
        rest, also when `part` fails. `part` is synchronous: nobody uses the book while it
        runs. False (and `part` not run) if nothing is pending any more."""
        load, self._pending = self._pending, None
        if load is None:
            return False
        try:
            part()
        finally:
            self._pending = load
        return True

    def loaded(self) -> None:
        """The pending load was done in parts (`fill_part`): nothing is left for a use."""
        self._pending = None

    def grant(self, secret: Secret, peer: str, stage: Stage, version: str | None = None) -> Grant:
        self.ready()
        entry = Grant(secret, peer, stage, version)
        key = _key(secret.reveal())
        self._drop(key)
        self._grants[key] = entry
        self._peer_keys.setdefault(peer, set()).add(key)
        return entry

    def revoke(self, secret: Secret) -> None:
        self.ready()
        self._drop(_key(secret.reveal()))

    def revoke_peer(self, peer: str) -> None:
        self.ready()
        for key in self._peer_keys.pop(peer, ()):
            self._grants.pop(key, None)

    def _drop(self, key: str) -> None:
        grant = self._grants.pop(key, None)
        if grant is not None:
            keys = self._peer_keys.get(grant.peer)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._peer_keys[grant.peer]

    def remember_outbound(self, secret: Secret, peer: str) -> None:
        """A token we present to `peer`: never valid inbound, but worth recognising."""
        self.ready()
        self._outbound[_key(secret.reveal())] = (peer, secret.role)

    def forget_outbound(self, secret: Secret) -> None:
        self.ready()
        self._outbound.pop(_key(secret.reveal()), None)

    def _lookup(self, value: str) -> Grant | None:
        grant = self._grants.get(_key(value))
        if grant is not None and tokens_equal(grant.secret.reveal(), value):
            return grant
        return None

    def identify(self, presented: PresentedToken | None) -> Identification:
        """Find the grant for a presented header; raw reading first, then Base64-decoded."""
        self.ready()
        if presented is None:
            return Identification(None, "plain", refusal=diagnose("token.missing_inbound"))
        warnings: list[Diagnosis] = []
        if presented.scheme == "bearer":
            warnings.append(diagnose("token.bearer_scheme"))
        readings = [(presented.raw, "plain")]
        if presented.decoded is not None:
            readings.insert(0, (presented.decoded, "base64"))
        for value, encoding in readings:
            grant = self._lookup(value)
            if grant is None:
                continue
            expected_b64 = uses_base64_header(canonical_version(grant.version or "") or None)
            if grant.version and expected_b64 and encoding == "plain":
                warnings.append(diagnose("token.encoding_base64_expected", grant.version))
            elif grant.version and not expected_b64 and encoding == "base64":
                warnings.append(diagnose("token.encoding_plain_expected"))
            return Identification(grant, encoding, tuple(warnings))
        for value, encoding in readings:
            known = self._outbound.get(_key(value))
            if known is None:
                continue
            _peer, role = known
            code = "token.a_used_in_callback" if role == TokenRole.A else "token.b_used_as_c"
            detail = str(role) if role else "?"
            return Identification(
                None, encoding, tuple(warnings), diagnose(code, detail), fingerprint(value, role)
            )
        return Identification(None, "plain", tuple(warnings), diagnose("token.unknown_inbound"))
