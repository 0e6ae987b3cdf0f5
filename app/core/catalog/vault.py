"""Diagnoses of the local vault: locked, damaged, in use, team membership."""

from __future__ import annotations

from app.core.catalog.entry import Entry

ENTRIES: dict[str, Entry] = {
    "vault.locked": Entry(
        "The vault is locked: no passphrase and no OS keyring.",
        "Set OCPI_ONBOARD_PASSPHRASE or enter the passphrase.",
    ),
    "vault.wrong_passphrase": Entry(
        "Wrong passphrase: the vault could not be unlocked. Nothing was changed.",
        "Enter the passphrase used when the vault was created.",
    ),
    "vault.peer_unknown": Entry(
        "No partner {detail} in the vault.",
        "List partners with 'ocpi-onboard peers list'.",
    ),
    "vault.no_token_c": Entry(
        "Partner {detail} has no active TOKEN_C: it is not registered.",
        "Register the partner first.",
    ),
    "vault.corrupt": Entry(
        "The vault file is damaged or is not an OCPI Onboard vault ({detail}). Nothing was changed.",
        "Restore it from an export, or point --vault at another file.",
    ),
    "vault.too_new": Entry(
        "The vault was written by a newer version of OCPI Onboard (schema {detail}).",
        "Update the app; this version leaves the file untouched.",
    ),
    "vault.in_use": Entry(
        "The vault is open in another OCPI Onboard window or command.",
        "Close the other instance, then try again.",
    ),
    "vault.tampered": Entry(
        "A stored token failed its integrity check: the vault was altered outside the app.",
        "Restore the vault from an export; do not trust this token.",
    ),
    "vault.audit_broken": Entry(
        "The audit trail's chain is broken at row {detail}: it was altered outside the app.",
        "Run `ocpi-onboard audit verify` to see every broken row; restore from an export.",
    ),
    "vault.conflict": Entry(
        "A colleague changed this partner; reload.",
        "Reload the partner (the list refreshes), look at what changed, then try again.",
    ),
    "vault.rekeyed": Entry(
        "The team's data key changed (a member was removed) after this vault was opened.",
        "Open the vault again: your slot holds the new key if you are still a member.",
    ),
    "vault.team_only": Entry(
        "Team members exist only in a team vault (PostgreSQL); {detail}.",
        "Open the team vault with --vault postgresql://..., or run `vault migrate --to URL`.",
    ),
    "vault.member_unknown": Entry(
        "No team member {detail} in this vault.",
        "Check the name with `ocpi-onboard team list`; OCPI_ONBOARD_MEMBER names who acts.",
    ),
    "vault.member_exists": Entry(
        "Team member {detail} already has a key slot.",
        "Pick another name, or remove the member first.",
    ),
    "vault.last_member": Entry(
        "{detail} is the last member: removing them would lock everyone out.",
        "Add another member first.",
    ),
    "vault.unreachable": Entry(
        "The team vault's database cannot be reached ({detail}).",
        "Check the postgresql:// URL, the server and your network; then try again.",
    ),
    "vault.not_ours": Entry(
        "This file is not an OCPI Onboard export, or it was altered ({detail}).",
        "Choose an export written by OCPI Onboard and its passphrase.",
    ),
    "vault.disk_full": Entry(
        "The vault could not be written: {detail}. The last complete state is kept.",
        "Free disk space, then try again.",
    ),
    "vault.token_unknown": Entry(
        "No stored token has fingerprint {detail}.",
        "Fingerprints look like C·3f9c2a; list a partner's tokens with 'peers show'.",
    ),
    "vault.partner_exists": Entry(
        "A partner {detail} is already in the vault.",
        "Open the existing partner instead, or delete it first.",
    ),
    "vault.credential_unknown": Entry(
        "No stored token with id {detail}.",
        "List a partner's tokens with 'peers show'.",
    ),
    "vault.run_unknown": Entry(
        "No run {detail} in the vault.",
        "Check the run id; a partner's runs are listed with the partner.",
    ),
    "vault.io_error": Entry(
        "The vault file could not be read or written ({detail}). The last complete state is kept.",
        "Check the disk and the file's permissions, then try again.",
    ),
    "vault.target_exists": Entry(
        "A vault already exists at {detail}; an import never overwrites one.",
        "Choose another target file, or move the existing vault away first.",
    ),
}
