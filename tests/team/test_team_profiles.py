"""Partner profiles in the team vault (PostgreSQL): the client key survives a re-key when a
member is removed, and stays encrypted on the server."""

from __future__ import annotations

from pathlib import Path

import psycopg

from app.core.profile import Profile
from app.vault import PartnerRecord, TeamVault
from app.vault.profiles import ProfileStore
from app.vault.snapshots import Observation, Snapshots

ALICE, BOB = "alice passphrase", "bob passphrase!"
KEY = "-----BEGIN PRIVATE KEY-----\nVEVBTUNMSUVOVEtFWUJPRFk=\n-----END PRIVATE KEY-----\n"


def test_client_key_survives_the_re_key_of_a_team_vault(pg_url: str) -> None:
    with TeamVault.open_url(pg_url, ALICE, "alice") as alice:
        alice.add_member("bob", BOB)
        rec = alice.save_partner(PartnerRecord(None, "NL", "HUB", status="registered"))
        assert rec.id is not None
        ProfileStore(alice).save(
            rec.id, Profile(client_cert="-----BEGIN CERTIFICATE-----\nx", client_key=KEY)
        )
        alice.remove_member("bob")
        loaded = ProfileStore(alice).load(rec.id)
        assert loaded is not None and loaded.client_key == KEY
    with TeamVault.open_url(pg_url, ALICE, "alice") as again:
        loaded = ProfileStore(again).load(rec.id)
        assert loaded is not None and loaded.client_key == KEY
    with psycopg.connect(pg_url) as conn:
        rows = conn.execute("SELECT profile, client_key FROM partner_profiles").fetchall()
    assert rows and b"VEVBTUNMSUVOVEtFWUJPRFk" not in bytes(rows[0][1])
    assert "VEVBTUNMSUVOVEtFWUJPRFk" not in rows[0][0]


def test_profiles_migrate_into_a_team_vault(pg_url: str, tmp_path: Path) -> None:
    from app.vault import Vault
    from app.vault.transfer import migrate_vault

    with TeamVault.open_url(pg_url, ALICE, "alice") as team:
        with Vault.open(tmp_path / "mine.db", "my own passphrase", use_keyring=False) as mine:
            rec = mine.save_partner(PartnerRecord(None, "NL", "HUB", status="registered"))
            assert rec.id is not None
            ProfileStore(mine).save(
                rec.id,
                Profile(
                    rotation="delete-register",
                    client_key=KEY,
                    client_cert="-----BEGIN CERTIFICATE-----\nx",
                ),
            )
            Snapshots(mine).record(
                rec.id,
                "registration",
                Observation(versions=["2.2.1"], version="2.2.1"),
                baseline=True,
            )
            report = migrate_vault(mine, team)
        assert report.counts["profiles"] == 1
        assert report.counts["snapshots"] == 1
        moved = team.partner("NL-HUB")
        assert moved.id is not None
        loaded = ProfileStore(team).load(moved.id)
        assert (
            loaded is not None and loaded.client_key == KEY and loaded.rotation == "delete-register"
        )
        baseline = Snapshots(team).baseline(moved.id)
        assert baseline is not None and baseline.observation.version == "2.2.1"
