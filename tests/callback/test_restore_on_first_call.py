"""Registered partners' tokens come back with the first call, not at the engine's start.

Restoring them decrypts every registered partner's tokens, which loads the vault's cipher
(`cryptography`, ~8 MiB resident; issue 13, memory). The engine leaves that to the first
inbound call (before it is answered, the import on a thread of its own) or the first
operation that needs the book. Not timed: a fresh interpreter opens a real vault with two
registered partners (one registered with us, one we registered with), starts a real engine,
reports whether the cipher library is loaded, then calls our endpoint over loopback
(urllib, so the probe loads no HTTP client) with each partner's token, with a token we
present to a partner (the B/C confusion), and with an unknown one.
"""

from __future__ import annotations

import json
from pathlib import Path

from app.core.tokens import Secret, TokenRole
from app.vault import Direction, Vault
from tests.support.probe import probe, reported, without_passphrase
from tests.support.vaults import registered

PASSPHRASE = "restore on first call"
# test tokens (never a real partner's): what each partner presents to us, what we present
THEIR_C = "c-they-registered-with-us-0001"  # TOKEN_C we issued as Receiver
THEIR_B = "b-we-registered-with-them-0002"  # TOKEN_B we issued as Sender
OUR_B = "b-we-present-to-them-0003"  # the partner's TOKEN_B (we call them with it)
OUR_C = "c-we-present-to-them-0004"  # the TOKEN_C they gave us

PROBE = """
import asyncio, base64, json, sys, threading, urllib.error, urllib.request
from pathlib import Path

from app.engine import Engine, Identity
from app.vault import Vault

seen_threads = []


class Watch:
    def find_spec(self, name, path=None, target=None):
        if name == "cryptography":
            seen_threads.append(threading.current_thread().name)
        return None


sys.meta_path.insert(0, Watch())


def call(url, token):
    header = "Token " + base64.b64encode(token.encode()).decode()
    req = urllib.request.Request(url, headers={"Authorization": header})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read()).get("status_code")
    except urllib.error.HTTPError as err:
        return err.code, None


async def main(path, tokens):
    vault = Vault.open(Path(path), passphrase=sys.argv[3], use_keyring=False)
    engine = Engine(vault, Identity("DE", "ONB", ("EMSP",), "Onboard Test GmbH"))
    await engine.start()
    out = {"cipher_at_start": "cryptography" in sys.modules}
    try:
        url = engine.our_versions_url
        out["calls"] = []
        for token in tokens:
            status = await asyncio.to_thread(call, url, token)
            record = engine.server.calls[-1]
            diagnoses = [d.code for d in record.diagnoses]
            out["calls"].append([*status, record.peer, record.token, diagnoses])
        out["cipher_after"] = "cryptography" in sys.modules
        out["imported_on"] = seen_threads
    finally:
        await engine.aclose()
        vault.close()
    print("RESULT=" + json.dumps(out))


asyncio.run(main(sys.argv[1], json.loads(sys.argv[2])))
"""


def _vault(path: Path) -> dict[str, str]:
    """Two registered partners with their active tokens; fingerprints by token value."""
    stored = {}
    with Vault.open(path, passphrase=PASSPHRASE, use_keyring=False) as vault:
        for pid, role, inbound, outbound in (
            ("RCV", "receiver", Secret(THEIR_C, TokenRole.C), Secret(OUR_B, TokenRole.B)),
            ("SND", "sender", Secret(THEIR_B, TokenRole.B), Secret(OUR_C, TokenRole.C)),
        ):
            tokens = ((inbound, Direction.INBOUND), (outbound, Direction.OUTBOUND))
            stored.update(registered(vault, pid, *tokens, our_role=role))
    return {value: cred.fingerprint for value, cred in stored.items()}


def test_a_registered_partner_calling_right_after_start_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "vault.db"
    fingerprints = _vault(path)
    tokens = [THEIR_C, THEIR_B, OUR_B, "not-a-token-we-know"]
    proc = probe(PROBE, str(path), json.dumps(tokens), PASSPHRASE, env=without_passphrase())
    out = reported(proc)
    assert out["cipher_at_start"] is False  # the engine started without decrypting
    accepted_c, accepted_b, confused, unknown = out["calls"]
    # each partner's inbound token is accepted from the first call on, as that partner
    assert accepted_c[:2] == [200, 1000] and accepted_c[3] == fingerprints[THEIR_C]
    assert accepted_b[:2] == [200, 1000] and accepted_b[3] == fingerprints[THEIR_B]
    assert accepted_c[2] != accepted_b[2] and accepted_c[2].startswith("partner:")
    # a token we present to a partner, sent to us: refused and named (B used as C)
    assert confused[:3] == [401, None, None]
    assert confused[3] == fingerprints[OUR_B] and "token.b_used_as_c" in confused[4]
    assert unknown[:4] == [401, None, None, "unknown"]
    assert "token.unknown_inbound" in unknown[4]
    # the cipher loaded for the first call, on a thread of its own (not the loop's)
    assert out["cipher_after"] is True
    assert out["imported_on"] == ["import app.vault.crypto"]
    # no token value in what the probe printed or logged
    for value in (THEIR_C, THEIR_B, OUR_B, OUR_C):
        assert value not in proc.stdout and value not in proc.stderr
