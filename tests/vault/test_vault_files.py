"""Files on disk: location, permissions, the single-instance lock and bad files left as is."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.tokens import Secret, TokenRole
from app.vault import Direction, TokenState, Vault, VaultError, default_vault_path
from tests.vault.vault_helpers import PASSPHRASE, file_digests, partner

REPO = Path(__file__).resolve().parents[2]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@contextlib.contextmanager
def _umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def _raw(path: Path) -> contextlib.closing[sqlite3.Connection]:
    return contextlib.closing(sqlite3.connect(path))


# --- location and permissions ----------------------------------------------------------------


def test_default_location_is_the_user_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    expected = tmp_path / "xdg" / "ocpi-onboard" / "vault.db"
    assert default_vault_path() == expected
    with _umask(0o022), Vault.open(passphrase=PASSPHRASE) as vault:
        assert vault.path == expected
    assert _mode(expected.parent) == 0o700 and _mode(expected) == 0o600


def test_private_modes_for_dir_db_wal_shm_and_lock(tmp_path: Path) -> None:
    path = tmp_path / "new" / "deeper" / "vault.db"
    with _umask(0o022), Vault.open(path, PASSPHRASE) as vault:
        vault.save_partner(partner())
        side = [path.with_name("vault.db-wal"), path.with_name("vault.db-shm")]
        assert all(file.exists() for file in side)
        for file in [path, *side, path.with_name("vault.db.lock")]:
            assert _mode(file) == 0o600, file
    assert _mode(path.parent) == 0o700
    assert _mode(path.parent.parent) == 0o755  # a missing parent is made as mkdir -p would


def test_an_existing_directory_chosen_by_the_user_is_not_chmodded(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)
    with Vault.open(shared / "vault.db", PASSPHRASE):
        pass
    assert _mode(shared) == 0o755 and _mode(shared / "vault.db") == 0o600


def test_no_key_source_for_a_new_vault_is_locked_and_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "absent" / "vault.db"
    with pytest.raises(VaultError) as info:
        Vault.open(path)
    assert info.value.code == "vault.locked"
    assert not path.parent.exists()


def test_an_empty_file_becomes_a_new_vault(tmp_path: Path) -> None:
    path = tmp_path / "vault.db"
    path.touch()
    with Vault.open(path, PASSPHRASE) as vault:
        assert vault.count_partners() == 0 and vault.key_slots() == ["passphrase"]
    with Vault.open(path, PASSPHRASE) as vault:
        assert vault.schema_version >= 1


# --- the lock -----------------------------------------------------------------------------


def _open_in_subprocess(path: Path) -> str:
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from app.vault import Vault, VaultError\n"
        "try:\n"
        "    Vault.open(Path(sys.argv[1]), sys.argv[2]).close()\n"
        "    print('opened')\n"
        "except VaultError as exc:\n"
        "    print(exc.code)\n"
    )
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    done = subprocess.run(
        [sys.executable, "-c", code, str(path), PASSPHRASE],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_second_instance_in_another_process_gets_in_use(vault_path: Path) -> None:
    with Vault.open(vault_path, PASSPHRASE) as vault:
        vault.save_partner(partner())
        before = file_digests(vault_path)
        assert _open_in_subprocess(vault_path) == "vault.in_use"
        assert vault.count_partners() == 1
        assert file_digests(vault_path) == before
    assert _open_in_subprocess(vault_path) == "opened"


def test_a_second_open_in_the_same_process_gets_in_use(vault_path: Path) -> None:
    with Vault.open(vault_path, PASSPHRASE):
        with pytest.raises(VaultError) as info:
            Vault.open(vault_path, PASSPHRASE)
        assert info.value.code == "vault.in_use"
        assert "another" in str(info.value)
    with Vault.open(vault_path, PASSPHRASE) as again:
        assert again.count_partners() == 0


def test_a_failed_open_releases_the_lock(vault_path: Path) -> None:
    Vault.open(vault_path, PASSPHRASE).close()
    with pytest.raises(VaultError):
        Vault.open(vault_path, "wrong passphrase")
    Vault.open(vault_path, PASSPHRASE).close()


# --- bad files: a clear error and the file untouched -----------------------------------------


def _assert_refused(path: Path, code: str, passphrase: str = PASSPHRASE) -> VaultError:
    before = file_digests(path)
    with pytest.raises(VaultError) as info:
        Vault.open(path, passphrase)
    assert info.value.code == code, info.value
    assert file_digests(path) == before
    return info.value


def test_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "vault.db"
    path.write_bytes(b"this is a shopping list, not a vault\n" * 10)
    error = _assert_refused(path, "vault.corrupt")
    assert "Nothing was changed" in str(error)
    short = tmp_path / "short.db"
    short.write_bytes(b"SQLite format 3\x00" + b"\x00" * 10)
    _assert_refused(short, "vault.corrupt")


def test_a_directory_in_the_way(tmp_path: Path) -> None:
    path = tmp_path / "vault.db"
    path.mkdir()
    with pytest.raises(VaultError) as info:
        Vault.open(path, PASSPHRASE)
    assert info.value.code == "vault.corrupt"


def test_another_applications_database(tmp_path: Path) -> None:
    path = tmp_path / "vault.db"
    with _raw(path) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
        conn.execute("INSERT INTO notes VALUES ('hello')")
        conn.commit()
    error = _assert_refused(path, "vault.corrupt")
    assert error.diagnosis.detail == "not an OCPI Onboard vault"


def _filled_vault(path: Path, partners: int = 300) -> None:
    with Vault.open(path, PASSPHRASE) as vault, vault.transaction():
        for i in range(partners):
            rec = vault.save_partner(partner("DE", f"{i:03d}", business_name="N" * 200))
            assert rec.id is not None
            vault.add_token(rec.id, TokenRole.C, Direction.OUTBOUND, Secret(f"t{i}"))


def test_a_truncated_file(vault_path: Path) -> None:
    _filled_vault(vault_path)
    data = vault_path.read_bytes()
    assert len(data) > 16 * 4096
    vault_path.write_bytes(data[: len(data) // 2])
    _assert_refused(vault_path, "vault.corrupt")


def test_a_page_overwritten_with_garbage(vault_path: Path) -> None:
    _filled_vault(vault_path)
    data = bytearray(vault_path.read_bytes())
    page = 4096
    data[6 * page : 8 * page] = b"\xa5" * (2 * page)
    vault_path.write_bytes(bytes(data))
    _assert_refused(vault_path, "vault.corrupt")


def test_a_vault_from_a_newer_version(vault_path: Path) -> None:
    Vault.open(vault_path, PASSPHRASE).close()
    with _raw(vault_path) as conn:
        conn.execute(
            "INSERT INTO schema_version (version, description, applied) VALUES (99, 'x', 'y')"
        )
        conn.commit()
    error = _assert_refused(vault_path, "vault.too_new")
    assert "99" in str(error)


def test_wrong_passphrase_changes_nothing(vault_path: Path) -> None:
    with Vault.open(vault_path, PASSPHRASE) as vault:
        vault.save_partner(partner())
    error = _assert_refused(vault_path, "vault.wrong_passphrase", "not it")
    assert "not it" not in str(error)
    with Vault.open(vault_path, PASSPHRASE) as vault:
        assert vault.count_partners() == 1


# --- a full disk --------------------------------------------------------------------------


def test_disk_full_keeps_the_last_complete_state(vault: Vault) -> None:
    pid = vault.save_partner(partner()).id
    assert pid is not None
    cred = vault.add_token(pid, TokenRole.C, Direction.OUTBOUND, Secret("c"), TokenState.ACTIVE)
    db = vault._database
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages + 2}")
    with pytest.raises(VaultError) as info, vault.transaction():
        for i in range(200):
            vault.save_partner(partner("DE", f"{i:03d}", business_name="x" * 1500))
    assert info.value.code == "vault.disk_full"
    assert "Free disk space" in info.value.diagnosis.hint
    assert vault.count_partners() == 1
    with pytest.raises(VaultError) as info:
        vault.add_token(pid, TokenRole.B, Direction.INBOUND, Secret("b" * 60), run_id=None)
        for i in range(200):
            vault.append_transcript(vault.start_run("check").id, {"pad": "y" * 3000, "i": i})
    assert info.value.code == "vault.disk_full"
    assert vault.reveal(cred.id).reveal() == "c"
    db.execute("PRAGMA max_page_count = 1073741823")
    vault.save_partner(partner("DE", "NEW"))
    assert vault.count_partners() == 2


# --- a crash ----------------------------------------------------------------------------------


def test_a_killed_process_loses_only_its_open_transaction(vault_path: Path) -> None:
    code = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from app.core.tokens import Secret, TokenRole\n"
        "from app.vault import Direction, PartnerRecord, TokenState, Vault\n"
        "vault = Vault.open(Path(sys.argv[1]), sys.argv[2])\n"
        "rec = vault.save_partner(PartnerRecord(None, 'NL', 'ABC'))\n"
        "vault.add_token(rec.id, TokenRole.C, Direction.OUTBOUND, Secret('crash-c'),\n"
        "                TokenState.ACTIVE)\n"
        "with vault.transaction():\n"
        "    vault.save_partner(PartnerRecord(None, 'DE', 'UNC'))\n"
        "    os._exit(3)\n"
    )
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    done = subprocess.run(
        [sys.executable, "-c", code, str(vault_path), PASSPHRASE],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 3, done.stderr
    assert vault_path.with_name("vault.db-wal").exists()  # never closed: the WAL is all there is
    with Vault.open(vault_path, PASSPHRASE) as vault:
        assert [p.ref for p in vault.partners()] == ["NL-ABC"]
        (cred,) = vault.tokens(1)
        assert vault.reveal(cred.id).reveal() == "crash-c"
