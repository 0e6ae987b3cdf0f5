"""Drift: what changed between a partner's baseline snapshot and what it offers now.

Pure functions over `Observation`s (app/vault/snapshots.py). Each change is one
{what, before, after} item (the `check --json` contract), worded for a person: an endpoint
that moved, a module that was dropped or added, a version newly offered or withdrawn, a
new host, a changed role roster.
"""

from __future__ import annotations

from typing import Any

from app.core.ocpi import canonical_version
from app.vault.snapshots import Observation

DriftItem = dict[str, Any]


def _key(endpoint: dict[str, Any]) -> tuple[str, str]:
    return (
        str(endpoint.get("identifier", "")).lower(),
        str(endpoint.get("role") or "").upper(),
    )


def _label(key: tuple[str, str]) -> str:
    module, role = key
    return f"{module} ({role})" if role else module


def _roles(observation: Observation) -> list[str]:
    return sorted(
        f"{r.get('role') or '?'} {r.get('country_code', '')}-{r.get('party_id', '')}"
        for r in observation.roles
    )


def compare(before: Observation, after: Observation) -> list[DriftItem]:
    """Every difference that matters to a running connection, in a stable order."""
    drift: list[DriftItem] = []
    old_versions = {canonical_version(v) or v for v in before.versions}
    new_versions = {canonical_version(v) or v for v in after.versions}
    if before.versions and after.versions:
        for version in sorted(new_versions - old_versions):
            drift.append({"what": f"version {version} offered", "before": None, "after": version})
        for version in sorted(old_versions - new_versions):
            drift.append({"what": f"version {version} withdrawn", "before": version, "after": None})
    if before.version and after.version and before.version != after.version:
        drift.append({"what": "version in use", "before": before.version, "after": after.version})
    if before.endpoints and after.endpoints and before.version == after.version:
        old = {_key(e): str(e.get("url", "")) for e in before.endpoints}
        new = {_key(e): str(e.get("url", "")) for e in after.endpoints}
        for key in sorted(old.keys() & new.keys()):
            if old[key].rstrip("/") != new[key].rstrip("/"):
                drift.append(
                    {"what": f"endpoint {_label(key)} moved", "before": old[key], "after": new[key]}
                )
        for key in sorted(old.keys() - new.keys()):
            drift.append(
                {"what": f"module {_label(key)} dropped", "before": old[key], "after": None}
            )
        for key in sorted(new.keys() - old.keys()):
            drift.append({"what": f"module {_label(key)} added", "before": None, "after": new[key]})
        if before.hosts != after.hosts:
            drift.append(
                {
                    "what": "hosts",
                    "before": ", ".join(before.hosts),
                    "after": ", ".join(after.hosts),
                }
            )
    if before.roles and after.roles and _roles(before) != _roles(after):
        drift.append(
            {
                "what": "roles",
                "before": ", ".join(_roles(before)),
                "after": ", ".join(_roles(after)),
            }
        )
    if (before.hub_party_id or None) != (after.hub_party_id or None):
        drift.append(
            {"what": "hub_party_id", "before": before.hub_party_id, "after": after.hub_party_id}
        )
    return drift


def newer_mutual_version(
    drift: list[DriftItem], current: str | None, ours: tuple[str, ...]
) -> str | None:
    """The highest newly offered version we speak that is newer than the one in use."""
    offered = [
        str(item["after"])
        for item in drift
        if str(item.get("what", "")).startswith("version ")
        and str(item.get("what", "")).endswith(" offered")
    ]
    candidates = sorted(v for v in offered if v in ours and (current is None or v > current))
    return candidates[-1] if candidates else None
