"""The cipher steps on their own: scrypt params, AES-GCM binding, lookup hash, error mapping."""

from __future__ import annotations

import sqlite3

import pytest

from app.vault import KdfParams, derive_key
from app.vault.crypto import InvalidTag, TokenCipher, new_key, open_box, seal, token_aad
from app.vault.errors import VaultError, from_sqlite


def test_derive_key_is_deterministic_per_salt_and_normalises_unicode() -> None:
    params = KdfParams.fresh()
    assert derive_key("pässword", params).key == derive_key("pässword", params).key
    decomposed = "pa\u0308ssword"  # the same text typed with a combining diaeresis
    assert derive_key(decomposed, params).key == derive_key("pässword", params).key
    assert derive_key("pässword", KdfParams.fresh()).key != derive_key("pässword", params).key
    assert derive_key("other", params).key != derive_key("pässword", params).key
    with pytest.raises(ValueError):
        derive_key("")


def test_default_cost_is_the_documented_one() -> None:
    params = KdfParams.fresh()
    assert (params.n, params.r, params.p, len(params.salt)) == (2**15, 8, 1, 16)
    assert KdfParams.from_json(params.to_json()) == params


@pytest.mark.parametrize(
    "change",
    [
        {"n": 2**30},
        {"n": 3000},
        {"n": 2**10},
        {"r": 0},
        {"p": 99},
        {"n": "32768"},
        {"n": True},
        {"salt": "c2hvcnQ="},
        {"salt": "not base64!"},
        {"kdf": "argon2"},
    ],
)
def test_kdf_params_from_a_file_are_bounded(change: dict[str, object]) -> None:
    data = {**KdfParams.fresh().to_json(), **change}
    with pytest.raises(ValueError):
        KdfParams.from_json(data)


def test_token_cipher_binds_each_value_to_its_row() -> None:
    cipher = TokenCipher(new_key())
    aad = token_aad(1, "C", 7)
    blob = cipher.encrypt("value", aad)
    assert blob != cipher.encrypt("value", aad)  # a fresh nonce each time
    assert cipher.decrypt(blob, aad) == "value"
    for other in (token_aad(2, "C", 7), token_aad(1, "B", 7), token_aad(1, "C", 8)):
        with pytest.raises(InvalidTag):
            cipher.decrypt(blob, other)
    with pytest.raises(InvalidTag):
        TokenCipher(new_key()).decrypt(blob, aad)
    with pytest.raises(ValueError):
        TokenCipher(b"short")


def test_lookup_is_keyed_and_stable() -> None:
    key = new_key()
    assert TokenCipher(key).lookup("v") == TokenCipher(key).lookup("v")
    assert TokenCipher(key).lookup("v") != TokenCipher(new_key()).lookup("v")
    assert TokenCipher(key).lookup("v") != TokenCipher(key).lookup("w")
    assert "v" not in repr(TokenCipher(key))


def test_seal_and_open_box() -> None:
    key = new_key()
    blob = seal(key, b"data key", b"aad")
    assert open_box(key, blob, b"aad") == b"data key"
    with pytest.raises(InvalidTag):
        open_box(key, blob, b"other aad")
    with pytest.raises(InvalidTag):
        open_box(key, blob[:10], b"aad")


def _operational(message: str) -> sqlite3.OperationalError:
    return sqlite3.OperationalError(message)


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("database or disk is full", "vault.disk_full"),
        ("database disk image is malformed", "vault.corrupt"),
        ("file is not a database", "vault.corrupt"),
        ("database is locked", "vault.in_use"),
        ("disk I/O error", "vault.io_error"),
    ],
)
def test_sqlite_failures_map_to_stable_codes(message: str, code: str) -> None:
    error = from_sqlite(_operational(message))
    assert isinstance(error, VaultError) and error.code == code
