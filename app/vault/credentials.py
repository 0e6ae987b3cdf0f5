"""Tokens in the vault: stored encrypted, handed out as records, revealed only on request.

Each value is encrypted under the data key with its row (id, partner, role) as associated
data, and found again by a keyed-hash lookup, never by its clear text. Storing an active
TOKEN_C consumes the partner's TOKEN_A in the same transaction: TOKEN_A is single use.
`CredentialsMixin` is one part of `Vault` (see `store`).
"""

from __future__ import annotations

import hmac
import re
import sqlite3
from collections.abc import Sequence
from typing import Any

from app.core.tokens import Secret, TokenRole, fingerprint
from app.vault.base import VaultBase, ref_detail
from app.vault.errors import VaultError
from app.vault.records import (
    CREDENTIAL_COLUMNS,
    CredentialRecord,
    Direction,
    TokenState,
    credential_from_row,
    now_iso,
)
from app.vault.subkeys import token_aad

_FINGERPRINT = re.compile(r"(?:([ABCabc])\s*[·.\-:_ ]?\s*)?([0-9a-fA-F]{6})")
# What decrypting a token reads: its row's labels are its associated data and checks.
_SEALED_COLUMNS = "id, partner_id, role, ciphertext, lookup, fingerprint"
_READ_BATCH = 500  # ids per IN (...) read: well under SQLite's and PostgreSQL's limits
# Best first when one value or fingerprint matches several rows.
_STATE_RANK = "CASE state WHEN 'active' THEN 0 WHEN 'pending' THEN 1 ELSE 2 END, id DESC"


def fingerprint_for(role: str, digest: str) -> str:
    """The stored fingerprint text for a role and 6 hex digits (see core.tokens)."""
    return f"{role}·{digest}"


class CredentialsMixin(VaultBase):
    """The token half of the Vault API."""

    def add_token(
        self,
        partner_id: int,
        role: TokenRole,
        direction: Direction,
        value: Secret,
        state: TokenState = TokenState.PENDING,
        run_id: str | None = None,
    ) -> CredentialRecord:
        """Store a token value, encrypted; returns its record (never the value).

        Adding an ACTIVE token supersedes the partner's other active token of the same role
        and direction; an ACTIVE TOKEN_C (OUTBOUND when we registered, INBOUND when they did)
        also marks the partner's pending or active TOKEN_A CONSUMED, in the same transaction.
        """
        if not isinstance(value, Secret):
            raise TypeError("add_token takes the value as a Secret")
        role, direction, state = TokenRole(role), Direction(direction), TokenState(state)
        raw = value.reveal()
        if not raw:
            raise ValueError("the token is empty")
        now = now_iso()
        with self._write():
            if self._refs_checked_first():
                self._require_partner(partner_id)
                if run_id is not None:
                    self._require_run(run_id)
            try:
                cred_id = self._insert_token(
                    None, partner_id, role, direction, state, raw, now, None, None, run_id
                )
            except sqlite3.IntegrityError:  # a missing partner or run refused it: say which
                self._require_partner(partner_id)
                if run_id is not None:
                    self._require_run(run_id)
                raise
            if state is TokenState.ACTIVE:  # changes the partner's other tokens, not this one
                self._activated(partner_id, role, direction, cred_id)
            # the row as inserted (no read back: a handshake stores three tokens)
            revoked = now if state is TokenState.REVOKED else None
            fp = fingerprint(raw, role)
            return CredentialRecord(
                cred_id, partner_id, role, direction, state, fp, now, None, revoked, run_id
            )

    def _insert_token(
        self,
        cred_id: int | None,
        partner_id: int,
        role: TokenRole,
        direction: Direction,
        state: TokenState,
        raw: str,
        created: str,
        last_used: str | None,
        revoked: str | None,
        run_id: str | None,
    ) -> int:
        """Insert the row, then encrypt with the row id in the associated data."""
        if state is TokenState.REVOKED and revoked is None:
            revoked = created
        cursor = self._exec(
            "INSERT INTO credentials (id, partner_id, role, direction, state, ciphertext,"
            " lookup, fingerprint, created, last_used, revoked, run_id)"
            " VALUES (?, ?, ?, ?, ?, x'', ?, ?, ?, ?, ?, ?)",
            (
                cred_id,
                partner_id,
                role.value,
                direction.value,
                state.value,
                self._cipher.lookup(raw),
                fingerprint(raw, role),
                created,
                last_used,
                revoked,
                run_id,
            ),
        )
        row_id = int(cursor.lastrowid or 0)
        blob = self._cipher.encrypt(raw, token_aad(partner_id, role.value, row_id))
        self._exec("UPDATE credentials SET ciphertext = ? WHERE id = ?", (blob, row_id))
        return row_id

    def _activated(
        self, partner_id: int, role: TokenRole, direction: Direction, cred_id: int
    ) -> None:
        """One active token per (partner, role, direction); an active TOKEN_C (the end of
        a handshake, either flow) consumes the partner's TOKEN_A."""
        self._exec(
            "UPDATE credentials SET state = 'superseded' WHERE partner_id = ? AND role = ?"
            " AND direction = ? AND state = 'active' AND id != ?",
            (partner_id, role.value, direction.value, cred_id),
        )
        if role is TokenRole.C:
            self._exec(
                "UPDATE credentials SET state = 'consumed' WHERE partner_id = ? AND role = 'A'"
                " AND state IN ('pending', 'active')",
                (partner_id,),
            )

    def _credential(self, cred_id: int) -> CredentialRecord:
        rows = self._read(f"SELECT {CREDENTIAL_COLUMNS} FROM credentials WHERE id = ?", (cred_id,))
        if not rows:
            raise VaultError("vault.credential_unknown", ref_detail(cred_id))
        return credential_from_row(rows[0])

    def credential(self, cred_id: int) -> CredentialRecord:
        """A token's record by id; VaultError vault.credential_unknown if there is none."""
        return self._credential(cred_id)

    def set_token_state(self, cred_id: int, state: TokenState) -> CredentialRecord:
        """Move a token to `state`. CONSUMED, SUPERSEDED and REVOKED are final (ValueError
        when leaving them for PENDING or ACTIVE: a consumed TOKEN_A never comes back).
        Activating follows the same rules as `add_token`."""
        state = TokenState(state)
        with self._write():
            current = self._credential(cred_id)
            if current.state is state:
                return current
            if current.state.final and not state.final:
                raise ValueError(
                    f"token #{cred_id} ({current.fingerprint}) is {current.state};"
                    f" it cannot become {state}"
                )
            revoked = now_iso() if state is TokenState.REVOKED else None
            self._exec(
                "UPDATE credentials SET state = ?, revoked = COALESCE(revoked, ?) WHERE id = ?",
                (state.value, revoked, cred_id),
            )
            if state is TokenState.ACTIVE:  # changes the partner's other tokens, not this one
                self._activated(current.partner_id, current.role, current.direction, cred_id)
            # the row as updated (no read back)
            kept = current.revoked if current.revoked is not None else revoked  # COALESCE
            c = current  # built field by field: `dataclasses.replace` reads every field twice
            return CredentialRecord(
                c.id, c.partner_id, c.role, c.direction, state, c.fingerprint, c.created,
                c.last_used, kept, c.run_id,
            )  # fmt: skip

    def retire_tokens(self, partner_id: int, state: TokenState) -> int:
        """Move every active or pending token of a partner to the final `state` in one
        UPDATE (as `set_token_state` would, token by token: REVOKED stamps `revoked` once);
        returns how many moved. A registration that replaces an older row of the same
        identity retires its tokens this way: one statement, not a read plus a read and a
        write per token."""
        state = TokenState(state)
        if not state.final:
            raise ValueError(f"tokens are retired to a final state, not {state}")
        revoked = now_iso() if state is TokenState.REVOKED else None
        with self._write():
            cursor = self._exec(
                "UPDATE credentials SET state = ?, revoked = COALESCE(revoked, ?)"
                " WHERE partner_id = ? AND state IN ('active', 'pending')",
                (state.value, revoked, partner_id),
            )
            return int(cursor.rowcount)

    def tokens(
        self,
        partner_id: int | None,
        role: TokenRole | None = None,
        direction: Direction | None = None,
        state: TokenState | None = None,
    ) -> list[CredentialRecord]:
        """A partner's tokens (oldest first), optionally filtered; `None`: every partner's
        (one query where a loop over partners would make thousands)."""
        sql = f"SELECT {CREDENTIAL_COLUMNS} FROM credentials WHERE 1 = 1"
        params: list[Any] = []
        if partner_id is not None:
            sql += " AND partner_id = ?"
            params.append(partner_id)
        for column, value in (
            ("role", None if role is None else TokenRole(role)),
            ("direction", None if direction is None else Direction(direction)),
            ("state", None if state is None else TokenState(state)),
        ):
            if value is not None:
                sql += f" AND {column} = ?"
                params.append(value.value)
        return [credential_from_row(row) for row in self._read(sql + " ORDER BY id", params)]

    def active_tokens_of(self, partner_ids: Sequence[int]) -> list[CredentialRecord]:
        """The active tokens of these partners (oldest first), in one read: `tokens` for a
        slice of partners (the engine restores them a slice at a time)."""
        if not partner_ids:
            return []
        marks = ", ".join("?" for _ in partner_ids)
        rows = self._read(
            f"SELECT {CREDENTIAL_COLUMNS} FROM credentials WHERE state = ?"
            f" AND partner_id IN ({marks}) ORDER BY id",
            [TokenState.ACTIVE.value, *partner_ids],
        )
        return [credential_from_row(row) for row in rows]

    def token_by_fingerprint(self, fp: str) -> CredentialRecord:
        """The token with this fingerprint (``C·3f9c2a``; also ``C-3f9c2a``, ``c3f9c2a`` or
        ``3f9c2a``). Active, then pending, then newest win a collision.
        VaultError vault.token_unknown if none."""
        match = _FINGERPRINT.fullmatch(fp.strip())
        if match is None:
            raise VaultError("vault.token_unknown", "(not a fingerprint)")
        roles = [match[1].upper()] if match[1] else ["A", "B", "C"]
        digest = match[2].lower()
        candidates = [fingerprint_for(role, digest) for role in roles]
        marks = ", ".join("?" for _ in candidates)
        rows = self._read(
            f"SELECT {CREDENTIAL_COLUMNS} FROM credentials WHERE fingerprint IN ({marks})"
            f" ORDER BY {_STATE_RANK} LIMIT 1",
            candidates,
        )
        if not rows:
            raise VaultError("vault.token_unknown", candidates[0] if match[1] else digest)
        return credential_from_row(rows[0])

    def find_token(self, value: Secret) -> CredentialRecord | None:
        """The stored token with this value, any partner (keyed-hash lookup), or None.

        Active, then pending, then newest win if the same value is stored twice.
        """
        rows = self._read(
            f"SELECT {CREDENTIAL_COLUMNS} FROM credentials WHERE lookup = ?"
            f" ORDER BY {_STATE_RANK} LIMIT 1",
            (self._cipher.lookup(value.reveal()),),
        )
        return credential_from_row(rows[0]) if rows else None

    def reveal(self, cred_id: int) -> Secret:
        """The token value, decrypted: the one explicit way out.

        VaultError vault.tampered if the ciphertext, its row or its labels were altered.
        """
        rows = self._read(
            f"SELECT {_SEALED_COLUMNS} FROM credentials WHERE id = ?",
            (cred_id,),
        )
        if not rows:
            raise VaultError("vault.credential_unknown", ref_detail(cred_id))
        return self._opened(rows[0])

    def reveal_many(self, cred_ids: Sequence[int]) -> dict[int, Secret]:
        """`reveal` for many tokens in a few reads (the engine restores every registered
        partner's tokens at once: a read per token was a third of that). VaultError
        vault.credential_unknown if one is missing, vault.tampered as `reveal`."""
        ids = list(dict.fromkeys(cred_ids))
        values: dict[int, Secret] = {}
        for start in range(0, len(ids), _READ_BATCH):
            batch = ids[start : start + _READ_BATCH]
            marks = ", ".join("?" for _ in batch)
            rows = self._read(
                f"SELECT {_SEALED_COLUMNS} FROM credentials WHERE id IN ({marks})", batch
            )
            for row in rows:
                values[int(row[0])] = self._opened(row)
        missing = [i for i in ids if i not in values]
        if missing:
            raise VaultError("vault.credential_unknown", ref_detail(missing[0]))
        return values

    def _opened(self, row: Sequence[Any]) -> Secret:
        """The value of one `_SEALED_COLUMNS` row, decrypted and checked against its labels."""
        cred_id, partner_id, role, blob, lookup, fp = row
        cipher = self._cipher
        from app.vault.crypto import InvalidTag  # (`_cipher` above loaded this module)

        try:
            value = cipher.decrypt(bytes(blob), token_aad(partner_id, role, cred_id))
        except InvalidTag:
            raise VaultError("vault.tampered", fp) from None
        if fingerprint(value, role) != fp or not hmac.compare_digest(cipher.lookup(value), lookup):
            raise VaultError("vault.tampered", fp)
        return Secret(value, role)

    def disclose(self, cred_id: int, action: str = "reveal") -> Secret:
        """`reveal` for a person (Reveal, Copy in the GUI): recorded in the audit trail in
        the same transaction, so no value leaves unrecorded."""
        with self._write():
            value = self.reveal(cred_id)
            self.audit.record_token(action, self._credential(cred_id))
        return value

    def mark_used(self, cred_id: int) -> None:
        """Record that the token was just used (``last_used`` = now)."""
        with self._write():
            cursor = self._exec(
                "UPDATE credentials SET last_used = ? WHERE id = ?", (now_iso(), cred_id)
            )
            if cursor.rowcount == 0:
                raise VaultError("vault.credential_unknown", ref_detail(cred_id))
