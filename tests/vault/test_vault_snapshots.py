"""The partners list reads every partner's open drift with one query (issue 13, start-up):
`Snapshots.open_drifts` must say exactly what `open_drift` says partner by partner."""

from __future__ import annotations

from app.vault import PartnerRecord, Vault
from app.vault.snapshots import Observation, Snapshots

MOVED = [{"what": "endpoint locations (SENDER) moved"}]


def _partner(vault: Vault, i: int) -> int:
    record = vault.save_partner(
        PartnerRecord(
            id=None,
            country_code="NL",
            party_id=f"S{i:02d}",
            business_name=f"Company {i}",
            roles=[{"role": "CPO"}],
            versions_url=f"https://s{i}.example/ocpi/versions",
            ocpi_version="2.2.1",
            status="registered",
        )
    )
    assert record.id is not None
    return record.id


def test_open_drifts_matches_open_drift_partner_by_partner(vault: Vault) -> None:
    snapshots = Snapshots(vault)
    drifted, accepted, never, clean, other = (_partner(vault, i) for i in range(5))
    snapshots.record(drifted, "registration", Observation(), baseline=True)
    snapshots.record(drifted, "check", Observation(), baseline=False, drift=MOVED)
    snapshots.record(accepted, "check", Observation(), baseline=False, drift=MOVED)
    snapshots.record(accepted, "accepted", Observation(), baseline=True)
    snapshots.record(clean, "registration", Observation(), baseline=True)
    snapshots.record(clean, "check", Observation(), baseline=False, drift=[])
    snapshots.record(other, "check", Observation(), baseline=False, drift=MOVED)
    ids = [drifted, accepted, never, clean]  # `other` is not asked for

    found = snapshots.open_drifts(ids)

    assert found == {drifted: MOVED}
    assert {pid: found.get(pid, []) for pid in ids} == {
        pid: snapshots.open_drift(pid) for pid in ids
    }
    assert snapshots.open_drifts([]) == {}
