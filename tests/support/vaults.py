"""A registered partner with its active tokens, as a real vault holds one.

For the tests that need tokens to decrypt (or not: the cipher library loads with the first
token that needs it) in a vault they open in another process.
"""

from __future__ import annotations

from app.core.tokens import Secret
from app.vault import CredentialRecord, Direction, PartnerRecord, TokenState, Vault


def registered(
    vault: Vault, party_id: str, *tokens: tuple[Secret, Direction], our_role: str = "receiver"
) -> dict[str, CredentialRecord]:
    """NL-`party_id`, a CPO on OCPI 2.2.1, registered, each token (its role on the
    Secret) stored active; the token records by the tokens' values."""
    rec = vault.save_partner(
        PartnerRecord(
            id=None,
            country_code="NL",
            party_id=party_id,
            business_name=f"Partner {party_id}",
            roles=[{"role": "CPO"}],
            versions_url=f"https://{party_id.lower()}.example/ocpi/versions",
            ocpi_version="2.2.1",
            our_role=our_role,
            status="registered",
        )
    )
    assert rec.id is not None
    stored = {}
    for secret, direction in tokens:
        assert secret.role is not None
        cred = vault.add_token(rec.id, secret.role, direction, secret, TokenState.ACTIVE)
        stored[secret.reveal()] = cred
    return stored
