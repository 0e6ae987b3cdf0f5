"""Every answer our endpoint sends, for every version, read by strict models someone else
wrote: `ocpi-types` (generated from the OCPI spec, pinned in the dev extra), plus the
spec's own JSON examples as the key schema where that package has no model (2.1.1
versions and details).

Two real engines on loopback, two vault files: one invites (our endpoint is the
credentials Receiver: it answers the POST and the PUT), the other registers (our endpoint
serves the partner's discovery with TOKEN_B). Every call the partner made to the
receiving engine is captured raw from its endpoint; then a plain httpx client adds the
error answers (401, 404, 405).
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.callback.server import CallRecord
from app.core.tokens import Secret
from app.engine import Identity
from app.vault import Vault
from tests.conftest import TEST_PASSPHRASE
from tests.engine.conftest import started_engine
from tests.support.aio import run

ocpi_types = pytest.importorskip("ocpi_types", reason="dev extra ocpi-types not installed")
from ocpi_types import v2_2_1, v2_3_0  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "ocpi-examples"
RECEIVER = Identity("NL", "RCV", ("CPO",), "Receiver BV", website="https://receiver.example")
SENDER = Identity("BE", "SND", ("EMSP",), "Sender NV", website="https://sender.example")
MODELS: dict[str, Any] = {"2.2.1": v2_2_1, "2.3.0": v2_3_0}


def _example(version: str, name: str) -> Any:
    folder = "2.3.0" if version == "2.1.1" else version  # 2.1.1 has no examples folder
    return json.loads((EXAMPLES / folder / name).read_text("utf-8"))


def check_envelope(body: bytes) -> dict[str, Any]:
    """The transport_and_format example's envelope: every key, with its JSON type."""
    envelope = json.loads(body)
    example = _example("2.3.0", "transport_and_format_version_info_example.json")
    for key in ("status_code", "status_message", "timestamp"):
        assert key in envelope, f"{key} missing from {sorted(envelope)}"
        assert type(envelope[key]) is type(example[key]), key
    assert 1000 <= envelope["status_code"] <= 9999
    assert envelope["timestamp"].endswith("Z")
    datetime.fromisoformat(envelope["timestamp"].replace("Z", "+00:00"))
    assert len(envelope["timestamp"]) <= 25  # OCPI DateTime is string(25)
    return envelope


def check_versions(data: Any) -> None:
    example = _example("2.3.0", "versions_info_example.json")
    assert isinstance(data, list) and data
    for entry in data:
        assert set(entry) == set(example[0])
        v2_3_0.Version.from_dict(entry)  # 2.3.0 made version numbers open: its model is widest


def check_details(data: dict[str, Any], version: str) -> None:
    example = _example(version, "version_details_example.json")
    assert set(data) == set(example)
    assert data["version"] == version
    for endpoint in data["endpoints"]:
        if version == "2.1.1":  # no role in 2.1.1 (version_information_endpoint.md)
            assert set(endpoint) == {"identifier", "url"}
        else:
            assert set(endpoint) == set(example["endpoints"][0])
    if version in MODELS:
        MODELS[version].VersionDetails.from_dict(data)


def check_credentials(data: dict[str, Any], version: str, website: str) -> None:
    if version == "2.1.1":  # flat: token, url, business_details, party_id, country_code
        assert set(data) == {"token", "url", "business_details", "party_id", "country_code"}
        assert data["business_details"]["website"] == website
        return
    example = _example(version, "credentials_example3.json")  # the one with every field
    assert set(example) <= set(data)
    for role in data["roles"]:
        assert set(role) == set(example["roles"][0])
        assert role["business_details"]["website"] == website
    MODELS[version].Credentials.from_dict(data)


def check_answer(call: CallRecord, version: str, website: str) -> str:
    envelope = check_envelope(call.response_body)
    data = envelope.get("data")
    if call.kind == "versions":
        check_versions(data)
    elif call.kind == "details":
        check_details(data, version)
    elif call.kind == "credentials" and call.method in ("GET", "POST", "PUT"):
        check_credentials(data, version, website)
    return f"{call.method} {call.kind} {call.status}"


@pytest.mark.parametrize("version", ["2.1.1", "2.2.1", "2.3.0"])
def test_every_answer_of_our_endpoint_passes_strict_models(tmp_path: Path, version: str) -> None:
    async def scenario() -> None:
        with (
            Vault.open(tmp_path / "r.db", passphrase=TEST_PASSPHRASE, use_keyring=False) as rv,
            Vault.open(tmp_path / "s.db", passphrase=TEST_PASSPHRASE, use_keyring=False) as sv,
        ):
            async with (
                started_engine(rv, RECEIVER) as receiver,
                started_engine(sv, SENDER) as sender,
            ):
                invitation = await receiver.invite()
                result = await sender.register(
                    invitation.versions_url, invitation.token_a, ocpi_version=version
                )
                assert result.status == "registered", result.diagnosis
                assert (await sender.rotate("NL-RCV")).status == "rotated"
                assert (await receiver.check("BE-SND")).status == "ok"
                assert receiver.server is not None and sender.server is not None
                seen = [
                    check_answer(call, version, RECEIVER.website or "")
                    for call in receiver.server.calls
                ]
                seen += [
                    check_answer(call, version, SENDER.website or "")
                    for call in sender.server.calls
                ]
                for expected in (
                    "GET versions 200",
                    "GET details 200",
                    "POST credentials 200",
                    "PUT credentials 200",
                ):
                    assert expected in seen, seen
                # error answers carry the full envelope too
                base = receiver.server.base_url
                token = Secret(invitation.token_a.reveal())
                async with httpx.AsyncClient(timeout=5) as client:
                    answers = [
                        await client.get(f"{base}/ocpi/versions"),  # no token: 401
                        await client.get(f"{base}/ocpi/nothing-here"),  # 404
                        await client.post(  # the spent TOKEN_A: 401
                            f"{base}/ocpi/{version}/credentials",
                            headers={
                                "Authorization": "Token "
                                + base64.b64encode(token.reveal().encode()).decode()
                            },
                            json={},
                        ),
                    ]
                assert [a.status_code for a in answers] == [401, 404, 401]
                for answer in answers:
                    envelope = check_envelope(answer.content)
                    assert envelope["status_code"] == 2000
                    assert envelope["status_message"]

    run(scenario(), timeout=90)


def test_a_strict_model_refuses_what_we_used_to_send() -> None:
    """The check has teeth: an envelope without status_message, or credentials without
    business_details, are refused by the strict models and by the key check."""
    with pytest.raises(AssertionError):
        check_envelope(b'{"status_code": 1000, "timestamp": "2026-01-01T00:00:00Z"}')
    bad = {"token": "abc", "url": "https://x.example/versions", "roles": [{"role": "CPO"}]}
    with pytest.raises((AssertionError, AttributeError, TypeError, ValueError)):
        v2_3_0.Credentials.from_dict(bad)
