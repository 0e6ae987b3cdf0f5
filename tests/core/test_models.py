"""Models against the spec's own examples, and the 2.1.1 / 2.2.1 / 2.3.0 shapes."""

from __future__ import annotations

import pytest

from app.core.diagnosis import OnboardingError
from app.core.models import (
    Credentials,
    credentials_from_wire,
    credentials_to_wire,
    parse_version_details,
    parse_versions,
)
from tests.conftest import example


@pytest.mark.parametrize("version", ["2.2.1", "2.3.0"])
@pytest.mark.parametrize(
    "name",
    [
        "credentials_example.json",
        "credentials_example2.json",
        "credentials_example3.json",
        "credentials_example4.json",
    ],
)
def test_spec_credentials_examples_parse(version: str, name: str) -> None:
    creds = credentials_from_wire(example(version, name), version)
    assert creds.roles and all(len(r.party_id) == 3 for r in creds.roles)
    assert "token" not in repr(creds) or creds.token not in repr(creds)


@pytest.mark.parametrize("version", ["2.2.1", "2.3.0"])
def test_spec_versions_and_details_examples_parse(version: str) -> None:
    versions = parse_versions(example(version, "versions_info_example.json"))
    assert [v.version for v in versions] == ["2.1.1", "2.2.1"]
    for name in ("version_details_example.json", "version_details_example2.json"):
        details = parse_version_details(example(version, name))
        assert details.endpoint("credentials") is not None


def test_flat_211_shape_round_trip() -> None:
    flat = {
        "token": "ebf3b399-779f-4497-9b9d-ac6ad3cc44d2",
        "url": "https://example.com/ocpi/cpo/versions",
        "business_details": {"name": "Example Operator", "extra": 1},
        "party_id": "exa",
        "country_code": "nl",
        "unknown_field": True,
    }
    creds = credentials_from_wire(flat, "2.1.1")
    assert creds.roles[0].party_id == "EXA" and creds.roles[0].country_code == "NL"
    assert creds.roles[0].role is None
    wire = credentials_to_wire(creds, "2.1.1")
    assert set(wire) == {"token", "url", "business_details", "party_id", "country_code"}


def test_230_carries_hub_party_id_and_221_roles() -> None:
    creds = Credentials.model_validate(
        {
            "token": "t" * 64,
            "url": "https://hub.example.com/versions",
            "roles": [
                {
                    "role": "CPO",
                    "party_id": "ABC",
                    "country_code": "DE",
                    "business_details": {"name": "A"},
                }
            ],
            "hub_party_id": "NLHUB",
        }
    )
    assert credentials_to_wire(creds, "2.3.0")["hub_party_id"] == "NLHUB"
    assert "roles" in credentials_to_wire(creds, "2.2.1")


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"token": "x" * 65}, "token"),
        ({"token": ""}, "token"),
        ({"token": "has space"}, "token"),
        ({"url": "/relative"}, "url"),
        ({"url": "https://e.com/" + "a" * 260}, "url"),
        ({"roles": []}, "roles"),
        (
            {
                "roles": [
                    {
                        "role": "CPO",
                        "party_id": "ABCD",
                        "country_code": "NL",
                        "business_details": {"name": "x"},
                    }
                ]
            },
            "party_id",
        ),
        (
            {
                "roles": [
                    {
                        "role": "CPO",
                        "party_id": "ABC",
                        "country_code": "NLD",
                        "business_details": {"name": "x"},
                    }
                ]
            },
            "country_code",
        ),
        ({"roles": "CPO"}, "roles"),
    ],
)
def test_invalid_credentials_name_the_field_never_the_value(
    patch: dict[str, object], field: str
) -> None:
    base = example("2.2.1", "credentials_example.json") | patch
    with pytest.raises(OnboardingError) as info:
        credentials_from_wire(base, "2.2.1")
    message = info.value.diagnosis.message
    assert info.value.diagnosis.code == "ocpi.bad_data"
    assert field in message
    token = base.get("token")
    if isinstance(token, str) and len(token) > 3:
        assert token not in message


def test_versions_list_skips_unreadable_entries_and_detects_details() -> None:
    versions = parse_versions(
        [{"version": "2.2.1", "url": "https://e.com/2.2.1"}, {"version": "x"}, "junk"]
    )
    assert len(versions) == 1
    with pytest.raises(OnboardingError) as info:
        parse_versions({"version": "2.2.1", "endpoints": []})
    assert info.value.diagnosis.code == "ocpi.versions_is_details"
    with pytest.raises(OnboardingError) as info:
        parse_versions([])
    assert info.value.diagnosis.code == "ocpi.versions_empty"
