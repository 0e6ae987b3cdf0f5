"""The encrypted credentials vault: the only code that touches SQL or token ciphertext.

See docs/architecture.md (Vault API) for the contract. Module map: `store` (the Vault:
opening, partners), assembled from `base` (connection, atomic writes), `credentials`
(tokens), `runs` (runs, transcripts), `keyslots` (how it unlocks) and `backup` (export and
import); `records` (what it hands out), `audit` (the hash-chained trail), `crypto` (every
cipher step), `keys` (passphrase and OS keyring slots), `schema` (tables, migrations,
read-only inspection), `files` (paths, permissions, lock), `export` (the encrypted backup
format), `errors` (VaultError); the team vault on PostgreSQL: `team` (TeamVault),
`members` (key slots), `pgdb` and `dialect` (one SQL for both backends), `notify`
(colleagues' changes), `transfer` (vault migrate).
"""

from typing import TYPE_CHECKING, Any

from app.vault.audit import MEMBER_ENV, AuditCheck, AuditEvent, current_actor
from app.vault.crypto import DerivedKey, KdfParams, derive_key
from app.vault.errors import VaultError
from app.vault.files import default_vault_path
from app.vault.keys import PASSPHRASE_ENV, keyring_usable
from app.vault.pgdb import is_database_url, redact_url
from app.vault.records import (
    CredentialRecord,
    Direction,
    PartnerRecord,
    RunKind,
    RunOutcome,
    RunRecord,
    TokenState,
)
from app.vault.schema import SCHEMA_VERSION
from app.vault.store import Vault

if TYPE_CHECKING:
    from app.vault.team import MemberInfo, TeamVault


def __getattr__(name: str) -> Any:
    """The team vault (PostgreSQL) loads on first use: a file vault never needs it."""
    if name in ("MemberInfo", "TeamVault"):
        from app.vault import team

        value = getattr(team, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'app.vault' has no attribute {name!r}")


__all__ = [
    "MEMBER_ENV",
    "PASSPHRASE_ENV",
    "SCHEMA_VERSION",
    "AuditCheck",
    "AuditEvent",
    "CredentialRecord",
    "DerivedKey",
    "Direction",
    "KdfParams",
    "MemberInfo",
    "PartnerRecord",
    "RunKind",
    "RunOutcome",
    "RunRecord",
    "TeamVault",
    "TokenState",
    "Vault",
    "VaultError",
    "current_actor",
    "default_vault_path",
    "derive_key",
    "is_database_url",
    "keyring_usable",
    "redact_url",
]
