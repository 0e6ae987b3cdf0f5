"""Export and import of a whole personal vault (the `export`/`import` commands).

An export is every partner, token value, run, transcript entry and profile as plain data,
sealed under an export passphrase (`export` holds the file format). An import fills a
NEW vault from it, keeping ids, all or nothing: it never overwrites an existing vault, and
a failed import leaves no file and no keyring entry behind.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.core.atomic import write_private
from app.core.tokens import TokenRole
from app.vault.crypto import DerivedKey
from app.vault.errors import VaultError
from app.vault.export import open_export, seal_export
from app.vault.files import has_content, resolve_path, side_files
from app.vault.keys import KEYRING, keyring_forget
from app.vault.profiles import ProfileStore
from app.vault.records import (
    CREDENTIAL_COLUMNS,
    PARTNER_COLUMNS,
    Direction,
    PartnerRecord,
    RunKind,
    RunOutcome,
    TokenState,
    credential_from_row,
    dumps,
    json_or_none,
    normalised,
    now_iso,
    partner_values,
)
from app.vault.schema import latest_version

if TYPE_CHECKING:
    from app.vault.store import Vault

EXPORT_KIND = "ocpi-onboard/vault-export"


def dump_vault(vault: Vault) -> dict[str, Any]:
    """The whole vault as plain data, token values included (read in one snapshot)."""
    with vault._write():
        partners = [dataclasses.asdict(p) for p in vault.partners()]
        credentials = []
        rows = vault._read(f"SELECT {CREDENTIAL_COLUMNS} FROM credentials ORDER BY id")
        for record in map(credential_from_row, rows):
            item = dataclasses.asdict(record)
            item["value"] = vault.reveal(record.id).reveal()
            credentials.append(item)
        runs = [dataclasses.asdict(r) for r in vault.runs()]
        profiles = ProfileStore(vault).dump()
        transcript = [
            {"id": row[0], "run_id": row[1], "created": row[2], "entry": json.loads(row[3])}
            for row in vault._read("SELECT id, run_id, created, entry FROM transcript ORDER BY id")
        ]
    return {
        "kind": EXPORT_KIND,
        "schema": latest_version(),
        "exported": now_iso(),
        "vault_id": vault.vault_id,
        "partners": partners,
        "credentials": credentials,
        "runs": runs,
        "transcript": transcript,
        "profiles": profiles,
    }


def export_vault(vault: Vault, path: Path, passphrase: str) -> None:
    """Write `vault`, encrypted under `passphrase`, to `path` (see `Vault.export_to`)."""
    target = Path(path).expanduser().absolute()
    if target in side_files(vault.path):
        raise ValueError("an export cannot overwrite the vault itself")
    dump = dump_vault(vault)
    vault.audit.record("export")
    data = seal_export(dump, passphrase)
    try:
        write_private(target, data)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise VaultError("vault.disk_full", "the disk is full") from exc
        raise VaultError("vault.io_error", exc.strerror or type(exc).__name__) from exc


def import_vault(
    opener: type[Vault],
    path: Path,
    passphrase: str,
    target: Path | None,
    vault_passphrase: str | DerivedKey | None,
    use_keyring: bool,
) -> Vault:
    """A new vault opened with `opener.open`, filled from an export (see `Vault.import_from`)."""
    try:
        data = Path(path).expanduser().read_bytes()
    except OSError as exc:
        raise VaultError("vault.io_error", exc.strerror or type(exc).__name__) from exc
    dump = open_export(data, passphrase)
    if dump.get("kind") != EXPORT_KIND:
        raise VaultError("vault.not_ours", "unexpected content")
    schema = dump.get("schema")
    if isinstance(schema, int) and schema > latest_version():
        raise VaultError("vault.too_new", str(schema))
    target_path = resolve_path(target)
    if has_content(target_path):
        raise VaultError("vault.target_exists", str(target_path))
    vault = opener.open(target if target is None else target_path, vault_passphrase, use_keyring)
    if not vault._created_now:
        vault.close()
        raise VaultError("vault.target_exists", str(target_path))
    try:
        _load(vault, dump)
        vault.audit.record("import")
    except BaseException:
        if KEYRING in vault._slots:
            keyring_forget(vault.vault_id)
        vault.close()
        for file in side_files(target_path):
            with contextlib.suppress(OSError):
                file.unlink()
        raise
    return vault


def _load(vault: Vault, dump: dict[str, Any]) -> None:
    """Insert an export's content, keeping ids; all or nothing."""
    try:
        with vault._write():
            for item in dump["partners"]:
                _load_partner(vault, item)
            for item in dump["runs"]:
                vault._exec(
                    "INSERT INTO runs (id, kind, partner_id, state, outcome, diagnosis,"
                    " data, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        str(item["id"]),
                        RunKind(item["kind"]).value,
                        item["partner_id"],
                        str(item["state"]),
                        RunOutcome(item["outcome"]).value,
                        json_or_none(item["diagnosis"]),
                        dumps(item["data"] or {}),
                        str(item["created"]),
                        str(item["updated"]),
                    ),
                )
            for item in dump["credentials"]:
                vault._insert_token(
                    int(item["id"]),
                    int(item["partner_id"]),
                    TokenRole(item["role"]),
                    Direction(item["direction"]),
                    TokenState(item["state"]),
                    str(item["value"]),
                    str(item["created"]),
                    item["last_used"],
                    item["revoked"],
                    item["run_id"],
                )
            for item in dump["transcript"]:
                vault._exec(
                    "INSERT INTO transcript (id, run_id, created, entry) VALUES (?, ?, ?, ?)",
                    (
                        int(item["id"]),
                        str(item["run_id"]),
                        item["created"],
                        dumps(item["entry"]),
                    ),
                )
            ProfileStore(vault).load_dump(dump.get("profiles") or [])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise VaultError("vault.not_ours", "unexpected content") from exc
    except VaultError as exc:
        if exc.code == "vault.io_error":
            raise VaultError("vault.not_ours", "inconsistent content") from exc
        raise


def _load_partner(vault: Vault, item: dict[str, Any]) -> None:
    fields = {f.name for f in dataclasses.fields(PartnerRecord)}
    rec = normalised(PartnerRecord(**{k: v for k, v in item.items() if k in fields}))
    vault._exec(
        f"INSERT INTO partners ({PARTNER_COLUMNS})"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            int(item["id"]),
            *partner_values(rec),
            str(rec.created),
            str(rec.updated),
            rec.last_checked,
        ),
    )
