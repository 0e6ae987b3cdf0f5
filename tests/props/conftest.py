"""Hypothesis profiles for the property tests, and an example counter.

Regular suite: 200 examples per target (fast). The big run, at least 10,000 per target:

    .venv/bin/pytest tests/props --hypothesis-profile=thorough
    OCPI_PROPS_EXAMPLES=10000 .venv/bin/pytest tests/props     (same, any count)

The profile is registered here, so the first form needs tests/props on the command line
(pytest loads this file before configuring hypothesis only when it is an initial conftest).
At the end of a run the terminal summary lists the examples each target really ran.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

COMMON = {
    "deadline": None,  # loopback HTTP and pydantic warm-up vary; bounded by pytest-timeout
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
    "print_blob": True,
}
settings.register_profile("ocpi-default", max_examples=200, **COMMON)  # type: ignore[arg-type]
settings.register_profile("thorough", max_examples=10_000, **COMMON)  # type: ignore[arg-type]
_env = os.environ.get("OCPI_PROPS_EXAMPLES")
if _env:
    settings.register_profile("ocpi-env", max_examples=int(_env), **COMMON)  # type: ignore[arg-type]
    settings.load_profile("ocpi-env")
elif settings._current_profile in (None, "default", "ci"):  # type: ignore[attr-defined]
    # "ci" is what hypothesis picks by itself when CI is set; ours suppresses the same checks
    settings.load_profile("ocpi-default")

EXAMPLES: Counter[str] = Counter()
SECONDS: Counter[str] = Counter()


@pytest.fixture
def count_example(request: pytest.FixtureRequest) -> Iterator[callable]:  # type: ignore[valid-type]
    """Call once per hypothesis example; the summary reports the totals per target."""
    name = request.node.name
    started = time.perf_counter()

    def tick() -> None:
        EXAMPLES[name] += 1

    yield tick
    SECONDS[name] += time.perf_counter() - started


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not EXAMPLES:
        return
    terminalreporter.section("property examples run")
    for name, count in sorted(EXAMPLES.items()):
        terminalreporter.write_line(f"{count:>8}  {SECONDS[name]:7.1f} s  {name}")
    terminalreporter.write_line(
        f"{sum(EXAMPLES.values()):>8}  {sum(SECONDS.values()):7.1f} s  total"
    )
