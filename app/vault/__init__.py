"""The encrypted credentials vault: the only code that touches SQL or token ciphertext.

See docs/architecture.md (Vault API) for the contract. Module map: `store` (the Vault:
opening, partners), assembled from `base` (connection, atomic writes), `credentials`
(tokens), `runs` (runs, transcripts), `keyslots` (how it unlocks) and `backup` (export and
import); `records` (what it hands out), `audit` (the hash-chained trail), `crypto` (every
cipher step), `kdf` (scrypt: passphrase -> key), `keys` (passphrase and OS keyring slots),
`schema` (tables, migrations, read-only inspection), `files` (paths, permissions, lock),
`export` (the encrypted backup format), `errors` (VaultError); the team vault on
PostgreSQL: `team` (TeamVault), `members` (key slots), `pgdb` and `dialect` (one SQL for
both backends), `notify` (colleagues' changes), `transfer` (vault migrate).

Each name below loads its module on first use (issue 13, start-up): importing one part
(e.g. `app.vault.key_ahead`, which derives the key while the window's modules load) runs
this file, and an eager one would load the whole vault and `cryptography` first.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
    from app.vault.team import MemberInfo, TeamVault

# name -> the module that defines it
_HOMES: dict[str, str] = {
    "MEMBER_ENV": "audit",
    "AuditCheck": "audit",
    "AuditEvent": "audit",
    "current_actor": "audit",
    "DerivedKey": "kdf",
    "KdfParams": "kdf",
    "derive_key": "kdf",
    "VaultError": "errors",
    "default_vault_path": "files",
    "PASSPHRASE_ENV": "keys",
    "keyring_usable": "keys",
    "is_database_url": "pgdb",
    "redact_url": "pgdb",
    "CredentialRecord": "records",
    "Direction": "records",
    "PartnerRecord": "records",
    "RunKind": "records",
    "RunOutcome": "records",
    "RunRecord": "records",
    "TokenState": "records",
    "SCHEMA_VERSION": "schema",
    "Vault": "store",
    "MemberInfo": "team",  # the team vault (PostgreSQL): a file vault never needs it
    "TeamVault": "team",
}


def __getattr__(name: str) -> Any:
    """Load the module that defines `name` (once; the value is then a plain attribute)."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'app.vault' has no attribute {name!r}")
    value = getattr(import_module(f"app.vault.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])


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
