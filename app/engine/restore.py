"""Give registered partners their tokens back on our endpoint: at once, or a slice at a time.

Restoring decrypts every registered partner's tokens (AES-GCM) and grants them again in
the token book: ~90 ms at 2,000 partners, which in one piece stopped the window's loop
that long at the first call in (issue 13, UI stalls). The window does it ahead once its
start has settled, a slice of partners per turn of the loop (`EngineContext.restore_ahead`);
whatever is left when something uses the book first is done at once (`rest`, the book's
pending load), so nothing is ever accepted or refused on a half-filled book.

Each slice reads the vault's rows as they are then (a rotation, revoke or forget before it
wins) and applies them in the same synchronous step. A partner is restored once: a slice
or `rest` skips those done, so nothing granted since is overwritten with older data (and
anything that grants or revokes runs `rest` first, which ends the slices).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from app.callback.receiver import PeerSession, ReceiverService
from app.core.tokens import TokenRole
from app.vault import CredentialRecord, Direction, PartnerRecord, TokenState, Vault


@dataclass(frozen=True)
class TurnBudget:
    """How many partners the next slice restores, from how long the last one took.

    A fixed slice of 100 partners was ~4 ms on the machine it was tuned on, and 8-13 ms
    of the loop's thread on a slower or shared one, where the slice also waits for the
    interpreter lock held by the warm-up's thread (issue 13: the window stalled 20-50 ms
    then). The next slice is sized from the wall time the last took (waits included: the
    window waits them too), to stay near `seconds` per turn: it shrinks at once, and grows
    at most twice as large per turn, so one quick turn does not make the next a long one.
    """

    seconds: float = 0.004
    first: int = 25
    least: int = 5
    most: int = 400

    def next(self, size: int, took: float) -> int:
        wanted = size * self.seconds / took if took > 0 else self.most
        return max(self.least, min(self.most, 2 * size, int(wanted)))


def peer_key(partner_id: int) -> str:
    """Our endpoint's name for a partner (TokenBook grants, receiver sessions, recorders)."""
    return f"partner:{partner_id}"


class RegisteredRestore:
    """One engine start's restore of registered partners (and unfinished invitations)."""

    def __init__(self, vault: Vault, receiver: ReceiverService) -> None:
        self.vault = vault
        self.receiver = receiver
        self._done: set[int] = set()  # partner ids restored (or found with nothing to restore)
        self.slices = 0  # slices restored ahead (`some`)

    def plan(self) -> list[int]:
        """The registered partners' ids in restore order (read once; each slice re-reads)."""
        return [i for i in self.vault.partner_ids(status="registered") if i not in self._done]

    def some(self, ids: Sequence[int]) -> None:
        """Restore these partners from the vault's current rows (those still registered)."""
        todo = [i for i in ids if i not in self._done]
        partners = [p for p in self.vault.partners_by_id(todo) if p.status == "registered"]
        self._restore(partners, self.vault.active_tokens_of(todo))
        self._done.update(todo)
        self.slices += 1

    def rest(self) -> None:
        """Everything not restored yet, at once: the token book's pending load."""
        partners = [p for p in self.vault.partners(status="registered") if p.id not in self._done]
        self._restore(partners, self.vault.tokens(None, state=TokenState.ACTIVE))
        self._done.update(p.id for p in partners if p.id is not None)
        self.invitations()

    def invitations(self) -> None:
        """Unfinished invitations: the TOKEN_A a partner will register with."""
        for invite_run in self.vault.runs(unfinished_only=True):
            if invite_run.kind != "invite" or invite_run.partner_id is None:
                continue
            for cred in self.vault.tokens(
                invite_run.partner_id, role=TokenRole.A, direction=Direction.INBOUND
            ):
                if cred.state == TokenState.ACTIVE:
                    self.receiver.invite(
                        peer_key(invite_run.partner_id), self.vault.reveal(cred.id)
                    )

    def _restore(
        self, partners: Iterable[PartnerRecord], creds: Iterable[CredentialRecord]
    ) -> None:
        """Grant `partners`' active inbound tokens (and remember their outbound ones); all
        decrypted before any is granted, so a tampered token leaves the book as it was."""
        active: dict[int, dict[Direction, CredentialRecord]] = {}
        for cred in creds:  # oldest first: the newest active token of a kind wins
            if cred.role != TokenRole.A:
                active.setdefault(cred.partner_id, {})[cred.direction] = cred
        restored: list[tuple[PartnerRecord, CredentialRecord, CredentialRecord | None]] = []
        for partner in partners:
            assert partner.id is not None
            found = active.get(partner.id, {})
            inbound, outbound = found.get(Direction.INBOUND), found.get(Direction.OUTBOUND)
            if inbound is not None:
                restored.append((partner, inbound, outbound))
        values = self.vault.reveal_many(
            [c.id for _p, inbound, outbound in restored for c in (inbound, outbound) if c]
        )
        for partner, inbound, outbound in restored:
            assert partner.id is not None
            self.receiver.restore(
                PeerSession(
                    peer_key(partner.id),
                    partner.our_role,
                    values[inbound.id].with_role(inbound.role),
                    values[outbound.id] if outbound else None,
                    partner.ocpi_version,
                    status="registered",
                )
            )
