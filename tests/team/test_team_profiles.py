"""Partner profiles in the team vault (PostgreSQL): the client key survives a re-key when a
member is removed, and stays encrypted on the server."""

from __future__ import annotations

import psycopg

from app.core.profile import Profile
from app.vault import PartnerRecord, TeamVault
from app.vault.profiles import ProfileStore

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
