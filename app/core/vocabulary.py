"""The credentials handshake's shared vocabulary that needs no pydantic: the requests a
machine asks for, its other actions, our party, and the Receiver's refusal.

Split out of `app.core.handshake` / `app.core.receiving` (which re-export every name, so
callers and `except` clauses see the same classes) so that our endpoint can listen and
the engine can start without loading pydantic and the OCPI models: those load when a body
is first parsed or our credentials are first built (issue 13, target 1: resident memory).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.core.diagnosis import Diagnosis
from app.core.tokens import Secret, TokenRole

if TYPE_CHECKING:
    from app.core.models import Credentials


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


@dataclass
class OurParty:
    """What we tell a partner about ourselves."""

    roles: list[
        dict[str, Any]
    ]  # CredentialsRole dicts: role, party_id, country_code, business_details
    versions_url: str
    hub_party_id: str | None = None

    def credentials(self, token: Secret) -> Credentials:
        from app.core.models import Credentials  # pydantic: loaded on first use

        return Credentials.model_validate(
            {
                "token": token.reveal(),
                "url": self.versions_url,
                "roles": self.roles,
                "hub_party_id": self.hub_party_id,
            }
        )


class RegistrationRefused(Exception):
    """The Receiver refuses a POST/PUT: answer with this OCPI status (HTTP 200) and message."""

    def __init__(self, status_code: int, message: str, diagnosis: Diagnosis | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.diagnosis = diagnosis
