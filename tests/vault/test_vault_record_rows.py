"""A credential row read back gives the enum members, and a stored text that is no member
fails as loudly as the enum itself (the rows are mapped by dict lookups, issue 13)."""

from __future__ import annotations

import pytest

from app.core.tokens import TokenRole
from app.vault.records import (
    CREDENTIAL_COLUMNS,
    Direction,
    TokenState,
    credential_from_row,
)


def row(role: str = "C", direction: str = "outbound", state: str = "active") -> tuple[object, ...]:
    values: list[object] = [7, 3, role, direction, state, "fp", "x", "2026", None, None]
    assert len(values) == len(CREDENTIAL_COLUMNS.split(","))
    return tuple(values)


@pytest.mark.parametrize("role", list(TokenRole))
@pytest.mark.parametrize("direction", list(Direction))
@pytest.mark.parametrize("state", list(TokenState))
def test_every_stored_text_reads_back_as_its_member(
    role: TokenRole, direction: Direction, state: TokenState
) -> None:
    record = credential_from_row(row(role.value, direction.value, state.value))
    assert record.role is role and record.direction is direction and record.state is state


@pytest.mark.parametrize(
    "bad", [{"role": "D"}, {"direction": "sideways"}, {"state": "lost"}, {"state": ""}]
)
def test_a_text_that_is_no_member_is_refused(bad: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        credential_from_row(row(**bad))
