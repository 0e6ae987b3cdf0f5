"""Vault bookkeeping shared by the engine's flows (register, invite, unregister).

Each runs inside the caller's transaction, so it commits with the step it belongs to.
"""

from __future__ import annotations

from dataclasses import replace

from app.core.diagnosis import Diagnosis
from app.core.handshake import SenderHandshake
from app.engine.sender_steps import identity_of
from app.vault import PartnerRecord, TokenState, Vault


def retire_live_tokens(vault: Vault, partner_id: int, state: TokenState) -> None:
    """Move every active or pending token of a partner to a final `state` (one UPDATE)."""
    vault.retire_tokens(partner_id, state)


def replace_same_identity(vault: Vault, partner_id: int, country_code: str, party_id: str) -> None:
    """A new registration with a known identity replaces the older row of that identity:
    its tokens are superseded and the row is kept, renamed, as history."""
    older = vault.find_partner(country_code, party_id)
    if older is None or older.id is None or older.id == partner_id:
        return
    retire_live_tokens(vault, older.id, TokenState.SUPERSEDED)
    vault.mark_replaced(older.id)


def sender_partner(partner_id: int, machine: SenderHandshake, token_encoding: str) -> PartnerRecord:
    """The partner row once we registered with it as Sender (its POST answer and details)."""
    assert machine.partner is not None
    partner = machine.partner
    cc, pid, name = identity_of(partner)
    return PartnerRecord(
        id=partner_id,
        country_code=cc,
        party_id=pid,
        business_name=name,
        roles=[r.model_dump(exclude_none=True) for r in partner.roles],
        versions_url=partner.url,
        ocpi_version=machine.ocpi_version,
        endpoints=[e.model_dump() for e in (machine.details.endpoints if machine.details else [])],
        our_role="sender",
        status="registered",
        token_encoding=token_encoding,
        hub_party_id=partner.hub_party_id,
    )


def close_failed_run(
    vault: Vault,
    run_id: str,
    state: str,
    outcome: str,
    diagnosis: Diagnosis,
    partner_id: int | None,
    token_b_cred: int | None,
    unknown: bool,
) -> None:
    """A registration that did not register: its outcome, TOKEN_B revoked and the row
    failed, unless the POST's fate is unknown (then both stay as they are)."""
    with vault.transaction():
        if token_b_cred is not None and not unknown:
            vault.set_token_state(token_b_cred, TokenState.REVOKED)
        vault.update_run(
            run_id,
            state=state,
            outcome=outcome,
            diagnosis=diagnosis.to_dict() | {"code": diagnosis.code},
        )
        if partner_id is not None and not unknown:
            # nothing was registered: the row says so (TOKEN_A stays pending for a retry)
            partner = vault.partner(partner_id)
            if partner.status == "pending":
                vault.save_partner(replace(partner, status="failed"))
