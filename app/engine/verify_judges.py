"""Pure judges of the verify run: a parsed answer in, (status, detail[, fix]) out.

No I/O, so each rule is tested on its own; app/engine/verify.py makes the requests and
turns these verdicts into CheckResults. Partner text that reaches a detail is sanitised.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from app.core.ocpi import V211, sanitize_text
from app.engine.verify_checks import EXPECTED_ROLES, FAIL, PASS, WARN, CheckStatus

Verdict = tuple[CheckStatus, str, str | None]  # status, detail, sharper fix (or None)
MAX_SKEW_S = 300

KNOWN_MODULES: dict[str, frozenset[str]] = {
    "2.1.1": frozenset(
        {"cdrs", "commands", "credentials", "locations", "sessions", "tariffs", "tokens"}
    ),
    "2.2.1": frozenset(
        {
            "cdrs",
            "chargingprofiles",
            "commands",
            "credentials",
            "hubclientinfo",
            "locations",
            "sessions",
            "tariffs",
            "tokens",
        }
    ),
}
KNOWN_MODULES["2.3.0"] = KNOWN_MODULES["2.2.1"] | {"bookings", "payments"}

# required fields of each object, per version family (2.1.1 | 2.2+)
_OWNER = ("country_code", "party_id")
REQUIRED: dict[str, dict[str, tuple[str, ...]]] = {
    "locations": {
        "2.1.1": ("id", "type", "address", "city", "country", "coordinates", "last_updated"),
        "2.2": (
            *_OWNER,
            "id",
            "publish",
            "address",
            "city",
            "country",
            "coordinates",
            "time_zone",
            "last_updated",
        ),
    },
    "tariffs": {
        "2.1.1": ("id", "currency", "elements", "last_updated"),
        "2.2": (*_OWNER, "id", "currency", "elements", "last_updated"),
    },
    "sessions": {
        "2.1.1": ("id", "start_datetime", "kwh", "auth_id", "auth_method", "location", "status",
                  "currency", "last_updated"),
        "2.2": (*_OWNER, "id", "start_date_time", "kwh", "cdr_token", "auth_method",
                "location_id", "evse_uid", "connector_id", "currency", "status", "last_updated"),
    },
    "cdrs": {
        "2.1.1": ("id", "start_date_time", "stop_date_time", "auth_id", "auth_method",
                  "location", "currency", "charging_periods", "total_cost", "total_energy",
                  "total_time", "last_updated"),
        "2.2": (*_OWNER, "id", "start_date_time", "end_date_time", "cdr_token", "auth_method",
                "cdr_location", "currency", "charging_periods", "total_cost", "total_energy",
                "total_time", "last_updated"),
    },
    "tokens": {
        "2.1.1": ("uid", "type", "auth_id", "issuer", "valid", "whitelist", "last_updated"),
        "2.2": (*_OWNER, "uid", "type", "contract_id", "issuer", "valid", "whitelist",
                "last_updated"),
    },
}  # fmt: skip


def parse_timestamp(text: Any) -> datetime | None:
    """An OCPI DateTime (UTC; the 'Z' is optional in 2.2.1) or None."""
    if not isinstance(text, str) or not text.strip():
        return None
    value = text.strip().replace("z", "Z")
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def judge_timestamp(timestamp: str | None, now: datetime) -> Verdict:
    parsed = parse_timestamp(timestamp)
    if timestamp is None:
        return WARN, "The response carries no timestamp.", None
    if parsed is None:
        shown = sanitize_text(timestamp, 40)
        return WARN, f"The timestamp {shown!r} is not an ISO 8601 date-time.", None
    skew = (parsed - now).total_seconds()
    if abs(skew) > MAX_SKEW_S:
        side = "ahead of" if skew > 0 else "behind"
        return (
            WARN,
            f"The partner's clock is {abs(skew):.0f} s {side} ours (tolerance {MAX_SKEW_S} s).",
            None,
        )
    return PASS, f"Timestamp present; clocks agree within {abs(skew):.0f} s.", None


def judge_unique_versions(data: Any) -> Verdict:
    if not isinstance(data, list):
        return FAIL, "The versions answer is not a list.", None
    names = [str(v.get("version")) for v in data if isinstance(v, dict)]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        shown = ", ".join(sanitize_text(d, 20) for d in dupes)
        return WARN, f"Listed more than once: {shown}.", None
    return PASS, f"{len(names)} versions, each once: {', '.join(names)}.", None


def endpoints_of(data: Any) -> list[dict[str, Any]]:
    if not isinstance(data, dict) or not isinstance(data.get("endpoints"), list):
        return []
    return [e for e in data["endpoints"] if isinstance(e, dict)]


def module_id(endpoint: dict[str, Any]) -> str:
    return str(endpoint.get("identifier", "")).strip().lower()


def judge_absolute_urls(endpoints: list[dict[str, Any]]) -> Verdict:
    bad = []
    for endpoint in endpoints:
        url = endpoint.get("url")
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            bad.append(module_id(endpoint) or "?")
    if bad:
        shown = ", ".join(sanitize_text(b, 30) for b in bad)
        return (
            FAIL,
            f"Not an absolute URL: {shown}.",
            f"Ask the partner to publish absolute URLs for {shown}.",
        )
    return PASS, f"All {len(endpoints)} endpoint URLs are absolute.", None


def judge_unique_modules(endpoints: list[dict[str, Any]]) -> Verdict:
    pairs = [(module_id(e), str(e.get("role") or "").upper()) for e in endpoints]
    dupes = sorted({p for p in pairs if pairs.count(p) > 1})
    if dupes:
        shown = ", ".join(f"{m} {r}".strip() for m, r in dupes)
        return WARN, f"Listed more than once: {sanitize_text(shown)}.", None
    return PASS, f"{len(pairs)} endpoints, each (module, role) once.", None


def judge_known_modules(endpoints: list[dict[str, Any]], version: str) -> Verdict:
    known = KNOWN_MODULES.get(version, KNOWN_MODULES["2.2.1"])
    unknown = sorted({module_id(e) for e in endpoints} - known)
    if not unknown:
        return PASS, f"Every module is defined in OCPI {version}.", None
    shown = sanitize_text(", ".join(unknown))
    if version == "2.3.0" and all(re.match(r"^[a-z0-9]+_", m) for m in unknown):
        return PASS, f"Custom modules with a prefix (allowed in 2.3.0): {shown}.", None
    return WARN, f"Not defined in OCPI {version}: {shown}.", None


def judge_roles_fit(
    endpoints: list[dict[str, Any]],
    version: str,
    our_roles: tuple[str, ...],
    partner_roles: list[str],
) -> Verdict:
    """Which modules our role needs from the partner, and with which role there."""
    needed: dict[str, str] = {}
    for role in our_roles:
        needed.update(EXPECTED_ROLES.get(role.upper(), {}))
    if not needed:
        return PASS, f"No module expectations for our roles {', '.join(our_roles)}.", None
    listed: dict[str, set[str]] = {}
    for endpoint in endpoints:
        listed.setdefault(module_id(endpoint), set()).add(str(endpoint.get("role") or "").upper())
    missing, wrong, asks = [], [], []
    for module, role in needed.items():
        if module not in listed:
            missing.append(f"{module} ({role})")
            asks.append(f"{module} as {role}")
        elif version != V211 and role not in listed[module]:
            there = "/".join(sorted(r for r in listed[module] if r)) or "no role"
            wrong.append(f"{module} as {there}, not {role}")
            asks.append(f"{module} as {role}")
    if version == V211:  # no roles per endpoint: judge the partner's role instead
        clash = [r for r in partner_roles if r.upper() in {x.upper() for x in our_roles}]
        if clash:
            wrong.append(f"the partner registered as {', '.join(clash)}, our own role")
            asks.append("a registration in the counterpart role")
    if missing or wrong:
        problems = "; ".join(
            ([f"missing {', '.join(missing)}"] if missing else [])
            + ([f"listed {', '.join(wrong)}"] if wrong else [])
        )
        status = FAIL if wrong or len(missing) > 1 else WARN
        ours = "/".join(our_roles)
        fix = f"Ask the partner to list {', '.join(asks)} in their version details: as {ours} we need them."
        return status, f"For our role: {problems}.", fix
    return PASS, f"Offers every module our role needs ({', '.join(sorted(needed))}).", None


def judge_pagination(
    headers: dict[str, str], objects: list[Any], asked_limit: int, module: str
) -> Verdict:
    """One page asked with limit=1: headers present and consistent with the body."""
    total_text, limit_text = headers.get("x-total-count"), headers.get("x-limit")
    link = headers.get("link", "")
    problems = []
    total = int(total_text) if total_text and total_text.strip().isdigit() else None
    limit = int(limit_text) if limit_text and limit_text.strip().isdigit() else None
    if total is None:
        problems.append("X-Total-Count missing or not a number")
    if limit is None:
        problems.append("X-Limit missing or not a number")
    elif limit > asked_limit:
        problems.append(f"X-Limit {limit} is above the limit={asked_limit} we asked for")
    if limit is not None and len(objects) > limit:
        problems.append(f"{len(objects)} objects on a page with X-Limit {limit}")
    has_next = 'rel="next"' in link.replace("'", '"') or "rel=next" in link
    if total is not None:
        if total < len(objects):
            problems.append(f"X-Total-Count {total} but {len(objects)} objects on the page")
        elif total > len(objects) and not has_next:
            problems.append(f"X-Total-Count {total} but no Link to the next page")
        elif total <= len(objects) and has_next:
            problems.append("a Link to a next page although this page holds everything")
    if problems:
        text = "; ".join(problems)
        return FAIL, f"{module}: {text}.", f"Ask the partner to fix {module} pagination: {text}."
    return (
        PASS,
        f"X-Total-Count {total}, X-Limit {limit}, {len(objects)} on the page, Link {'to next' if has_next else 'absent (last page)'}.",
        None,
    )


def judge_objects(objects: list[Any], module: str, version: str) -> Verdict:
    family = "2.1.1" if version == V211 else "2.2"
    required = REQUIRED.get(module, {}).get(family, ())
    problems = []
    for index, obj in enumerate(objects):
        if not isinstance(obj, dict):
            problems.append(f"item {index} is not an object")
            continue
        absent = [f for f in required if obj.get(f) in (None, "")]
        if absent:
            problems.append(f"item {index} lacks {', '.join(absent)}")
        if "last_updated" in obj and parse_timestamp(obj["last_updated"]) is None:
            problems.append(f"item {index} has an unreadable last_updated")
    if problems:
        text = sanitize_text("; ".join(problems))
        return (
            FAIL,
            f"{module} ({version}): {text}.",
            f"Ask the partner to send {module} objects with {text.split('lacks ')[-1] if 'lacks' in text else 'valid fields'} as OCPI {version} requires.",
        )
    return (
        PASS,
        f"{len(objects)} {module} object(s) carry every field OCPI {version} requires.",
        None,
    )
