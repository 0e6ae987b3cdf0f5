"""The encrypted export file: a whole vault as JSON, sealed under an export passphrase.

An export carries token values (the new machine has another data key), so the whole JSON
dump is encrypted: scrypt(export passphrase) -> HKDF subkeys -> AES-GCM over the dump, with
the header (magic, format version, scrypt params) as associated data. A key check lets a
wrong passphrase read as ``vault.wrong_passphrase``; anything else that fails (not our
magic, a damaged header, a flipped byte anywhere) is ``vault.not_ours``.

Layout: MAGIC | version (1 byte) | header length (2 bytes, big endian) | header JSON |
key check (32 bytes) | nonce (12 bytes) | ciphertext+tag.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import struct
from typing import Any

from app.vault.crypto import InvalidTag, KdfParams, derive_key, open_box, seal, subkey
from app.vault.errors import VaultError

MAGIC = b"OCPI-Onboard vault export\n"
FORMAT_VERSION = 1
_CHECK_LEN = 32
_CHECK_TEXT = b"ocpi-onboard/export-check/v1"


def _keys(passphrase: str, params: KdfParams) -> tuple[bytes, bytes]:
    derived = derive_key(passphrase, params)
    return subkey(derived.key, "ocpi-onboard/export/v1"), subkey(
        derived.key, "ocpi-onboard/export-check/v1"
    )


def seal_export(dump: dict[str, Any], passphrase: str) -> bytes:
    """The export file's bytes for `dump` under `passphrase`."""
    params = KdfParams.fresh()
    header = json.dumps({"kdf": params.to_json()}, separators=(",", ":")).encode()
    prefix = MAGIC + struct.pack(">BH", FORMAT_VERSION, len(header)) + header
    enc_key, check_key = _keys(passphrase, params)
    check = hmac.new(check_key, _CHECK_TEXT, hashlib.sha256).digest()
    body = json.dumps(dump, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return prefix + check + seal(enc_key, body, prefix + check)


def open_export(data: bytes, passphrase: str) -> dict[str, Any]:
    """The dump inside an export; VaultError vault.not_ours / wrong_passphrase / too_new."""
    if not data.startswith(MAGIC):
        raise VaultError("vault.not_ours", "no OCPI Onboard export header")
    offset = len(MAGIC)
    if len(data) < offset + 3:
        raise VaultError("vault.not_ours", "truncated")
    version, header_len = struct.unpack_from(">BH", data, offset)
    if version > FORMAT_VERSION:
        raise VaultError("vault.too_new", f"export format {version}")
    if version != FORMAT_VERSION:
        raise VaultError("vault.not_ours", f"unknown export format {version}")
    offset += 3
    header_bytes = data[offset : offset + header_len]
    offset += header_len
    check = data[offset : offset + _CHECK_LEN]
    offset += _CHECK_LEN
    if len(header_bytes) != header_len or len(check) != _CHECK_LEN:
        raise VaultError("vault.not_ours", "truncated")
    try:
        header = json.loads(header_bytes)
        params = KdfParams.from_json(header["kdf"])
    except (ValueError, KeyError, TypeError):
        raise VaultError("vault.not_ours", "damaged header") from None
    enc_key, check_key = _keys(passphrase, params)
    expected = hmac.new(check_key, _CHECK_TEXT, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, check):
        raise VaultError("vault.wrong_passphrase", "export passphrase")
    try:
        body = open_box(enc_key, data[offset:], data[:offset])
    except InvalidTag:
        raise VaultError("vault.not_ours", "failed its integrity check") from None
    try:
        dump = json.loads(body.decode("utf-8"))
    except ValueError:
        raise VaultError("vault.not_ours", "unreadable content") from None
    if not isinstance(dump, dict):
        raise VaultError("vault.not_ours", "unexpected content")
    return dump
