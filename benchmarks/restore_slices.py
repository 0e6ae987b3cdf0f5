"""Thread CPU of our endpoint's restore of N registered partners: in one piece (the token
book's pending load, what the first call in or operation runs) against ahead in slices
(`EngineContext.restore_ahead`, what the window runs once its start has settled),
alternated. Each ahead turn of the loop is timed by a task that wakes between the slices.

    .venv/bin/python benchmarks/restore_slices.py [--partners 2000] [--slice 0] [--runs 3]

--slice N restores N partners a turn; 0 (the default) sizes each slice as the app does
(`TurnBudget`: ~4 ms of wall time a turn on this machine).

The heap is frozen first, as the app settles its own (app/gui/heap.py); a full collection
that lands in a turn is named, since the app holds those only during a liveness sweep.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.core.tokens import Secret, TokenRole, generate_token
from app.engine import Engine, Identity
from app.vault import Direction, PartnerRecord, TokenState, Vault

US = Identity("DE", "BEN", ("CPO",), "Benchmark")
full_passes: list[int] = []


def fill(vault: Vault, count: int) -> None:
    """`count` registered partners, each with the TOKEN_B we issued and the TOKEN_C it gave us."""
    with vault.transaction():
        for i in range(count):
            rec = vault.save_partner(
                PartnerRecord(
                    id=None,
                    country_code=("DE", "NL", "FR")[i % 3],
                    party_id=f"R{i:04X}"[-3:] + str(i // 4096),
                    business_name=f"Charging Company {i}",
                    roles=[{"role": "CPO"}],
                    versions_url="http://127.0.0.1:9/ocpi/versions",
                    ocpi_version="2.2.1",
                    our_role="sender",
                    status="registered",
                )
            )
            assert rec.id is not None
            for role, direction in (
                (TokenRole.B, Direction.INBOUND),
                (TokenRole.C, Direction.OUTBOUND),
            ):
                vault.add_token(
                    rec.id, role, direction, Secret(generate_token()), TokenState.ACTIVE
                )


async def one_piece(vault: Vault) -> float:
    engine = Engine(vault, US)
    await engine.start()
    import app.vault.crypto  # noqa: F401  (the first call imports it on a thread first)

    started = time.thread_time()
    engine.tokens.ready()
    took = (time.thread_time() - started) * 1000
    await engine.aclose()
    return took


async def ahead(vault: Vault, size: int | None) -> tuple[list[float], int]:
    """Each turn's thread CPU while `restore_ahead` runs, and its slice count."""
    engine = Engine(vault, US)
    await engine.start()
    import app.vault.crypto  # noqa: F401

    turns: list[float] = []
    done = False

    async def watch() -> None:
        last = time.thread_time()
        while not done:
            await asyncio.sleep(0)
            now = time.thread_time()
            turns.append((now - last) * 1000)
            last = now

    watcher = asyncio.ensure_future(watch())
    await asyncio.sleep(0)
    slices = await engine.restore_ahead(size)
    done = True
    await watcher
    if engine.tokens.pending:
        raise RuntimeError("the restore ahead did not finish")
    await engine.aclose()
    return turns, slices


def on_gc(phase: str, info: dict[str, Any]) -> None:
    if phase == "start" and info["generation"] == 2:
        full_passes.append(1)


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="ocpi-onboard-bench-") as tmp:
        vault = Vault.open(Path(tmp) / "vault.db", passphrase="benchmark slices", use_keyring=False)
        fill(vault, args.partners)
        gc.collect()
        gc.freeze()
        gc.callbacks.append(on_gc)
        for _ in range(args.runs):
            piece = await one_piece(vault)
            full_passes.clear()
            turns, slices = await ahead(vault, args.slice or None)
            print(
                f"{args.partners} partners: one piece {piece:.1f} ms | ahead {slices} slices of"
                f" {args.slice or 'adaptive size'}: worst turn {max(turns):.1f} ms, all turns {sum(turns):.1f} ms"
                f" (thread CPU){'; a full GC pass in a turn' if full_passes else ''}"
            )
            print("    turns: " + " ".join(f"{t:.1f}" for t in turns))
        vault.close()


def run() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=2000)
    parser.add_argument("--slice", type=int, default=0, help="partners a turn; 0: as the app")
    parser.add_argument("--runs", type=int, default=3)
    asyncio.run(main(parser.parse_args()))
    return 0


if __name__ == "__main__":
    sys.exit(run())
