"""docs/reliability.md lists every scenario of the matrix (the table cannot drift)."""

from __future__ import annotations

from pathlib import Path

from tests.hostile.test_manage_hostile import SCENARIOS as AFTER_REGISTRATION
from tests.hostile.test_matrix import SCENARIOS

DOC = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"


def test_every_scenario_is_in_the_reliability_doc() -> None:
    text = DOC.read_text("utf-8")
    ids = [s.id for s in SCENARIOS] + [s[0] for s in AFTER_REGISTRATION]
    missing = [i for i in ids if f"`{i}`" not in text]
    assert not missing, f"add to docs/reliability.md: {missing}"
    assert len(set(ids)) == len(ids)
