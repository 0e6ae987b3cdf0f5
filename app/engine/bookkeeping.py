"""Vault bookkeeping shared by the engine's flows (register, invite, unregister).

Each runs inside the caller's transaction, so it commits with the step it belongs to.
"""

from __future__ import annotations

from dataclasses import replace

from app.vault import TokenState, Vault


def retire_live_tokens(vault: Vault, partner_id: int, state: TokenState) -> None:
    """Move every active or pending token of a partner to a final `state`."""
    for cred in vault.tokens(partner_id):
        if cred.state in (TokenState.ACTIVE, TokenState.PENDING):
            vault.set_token_state(cred.id, state)


def replace_same_identity(vault: Vault, partner_id: int, country_code: str, party_id: str) -> None:
    """A new registration with a known identity replaces the older row of that identity:
    its tokens are superseded and the row is kept, renamed, as history."""
    older = vault.find_partner(country_code, party_id)
    if older is None or older.id is None or older.id == partner_id:
        return
    retire_live_tokens(vault, older.id, TokenState.SUPERSEDED)
    vault.save_partner(replace(older, country_code="", party_id=f"~{older.id}", status="replaced"))
