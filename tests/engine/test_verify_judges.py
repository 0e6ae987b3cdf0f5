"""The verify run's pure judges, one rule at a time (a unit of parsing: no network)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.engine import verify_judges as J
from app.engine.verify_checks import applicable_ids, roles_towards

NOW = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("stamp", "status", "text"),
    [
        ("2026-12-03T06:00:10Z", "pass", "agree"),
        ("2026-12-03T06:00:10", "pass", "agree"),  # 2.2.1 allows no Z (UTC implied)
        ((NOW + timedelta(minutes=10)).isoformat(), "warn", "600 s ahead"),
        ("2026-12-03T05:50:00Z", "warn", "600 s behind"),
        ("yesterday", "warn", "not an ISO 8601"),
        (None, "warn", "no timestamp"),
    ],
)
def test_timestamp_and_clock_skew(stamp: str | None, status: str, text: str) -> None:
    verdict, detail, _fix = J.judge_timestamp(stamp, NOW)
    assert verdict == status and text in detail


def test_versions_unique_and_endpoint_rules() -> None:
    assert J.judge_unique_versions([{"version": "2.2.1"}, {"version": "2.2.1"}])[0] == "warn"
    assert J.judge_unique_versions({"version": "2.2.1"})[0] == "fail"
    endpoints = [
        {"identifier": "credentials", "url": "/ocpi/2.2.1/credentials"},
        {"identifier": "locations", "role": "SENDER", "url": "https://p.example/loc"},
        {"identifier": "locations", "role": "SENDER", "url": "https://p.example/loc2"},
        {"identifier": "parking", "role": "SENDER", "url": "https://p.example/park"},
    ]
    status, detail, fix = J.judge_absolute_urls(endpoints)
    assert status == "fail" and "credentials" in detail and fix and "credentials" in fix
    assert J.judge_unique_modules(endpoints)[0] == "warn"
    assert J.judge_known_modules(endpoints, "2.2.1")[:1] == ("warn",)
    custom = [{"identifier": "acme_parking", "url": "https://p.example/x"}]
    assert J.judge_known_modules(custom, "2.3.0")[0] == "pass"
    assert J.judge_known_modules(custom, "2.2.1")[0] == "warn"


@pytest.mark.parametrize(
    ("headers", "objects", "status", "named"),
    [
        ({"x-total-count": "3", "x-limit": "1", "link": '<u?offset=1>; rel="next"'}, [{}], "pass", ""),
        ({"x-total-count": "1", "x-limit": "1"}, [{}], "pass", ""),
        ({"x-total-count": "0", "x-limit": "1"}, [{}], "fail", "X-Total-Count 0"),
        ({"x-total-count": "5", "x-limit": "1"}, [{}], "fail", "no Link"),
        ({"x-limit": "1"}, [], "fail", "X-Total-Count missing"),
        ({"x-total-count": "1", "x-limit": "1", "link": '<u>; rel="next"'}, [{}], "fail", "Link to a next page"),
        ({"x-total-count": "9", "x-limit": "50", "link": '<u>; rel="next"'}, [{}], "fail", "X-Limit 50"),
    ],
)  # fmt: skip
def test_pagination_headers_against_the_body(
    headers: dict[str, str], objects: list[object], status: str, named: str
) -> None:
    verdict, detail, fix = J.judge_pagination(headers, objects, 1, "locations")
    assert verdict == status
    if named:
        assert named in detail and fix and named in fix


def test_objects_required_fields_per_version() -> None:
    location = {"id": "L1", "type": "ON_STREET", "address": "a", "city": "c", "country": "NLD",
                "coordinates": {}, "last_updated": "2026-01-01T00:00:00Z"}  # fmt: skip
    assert J.judge_objects([location], "locations", "2.1.1")[0] == "pass"
    status, detail, fix = J.judge_objects([location], "locations", "2.2.1")
    assert status == "fail" and "country_code" in detail and fix and "time_zone" in fix
    broken = {**location, "last_updated": "soon"}
    assert "last_updated" in J.judge_objects([broken], "locations", "2.1.1")[1]


def test_roles_fit_and_our_role_towards_the_partner() -> None:
    assert roles_towards(["CPO"], ("CPO", "EMSP")) == ("EMSP",)
    assert roles_towards(["EMSP"], ("CPO",)) == ("CPO",)
    assert roles_towards([""], ("EMSP",)) == ("EMSP",)  # 2.1.1: the partner's role is unknown
    assert "page.locations" in applicable_ids(("EMSP",))
    assert "page.locations" not in applicable_ids(("CPO",)) and "page.tokens" in applicable_ids(
        ("CPO",)
    )
    cpo_offer = [
        {"identifier": m, "role": "SENDER", "url": "https://x/" + m}
        for m in ("locations", "sessions", "cdrs", "tariffs")
    ] + [{"identifier": "tokens", "role": "RECEIVER", "url": "https://x/tokens"}]
    assert J.judge_roles_fit(cpo_offer, "2.2.1", ("EMSP",), ["CPO"])[0] == "pass"
    status, detail, fix = J.judge_roles_fit(cpo_offer[:-1], "2.2.1", ("EMSP",), ["CPO"])
    assert status == "warn" and "tokens" in detail and fix and "tokens as RECEIVER" in fix
    flat = [{"identifier": "locations", "url": "https://x/l"}]
    status, detail, _fix = J.judge_roles_fit(flat, "2.1.1", ("EMSP",), ["EMSP"])
    assert status == "fail" and "our own role" in detail
