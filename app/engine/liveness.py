"""The liveness loop's rules: the spec's "still alive" GET of a partner's versions endpoint.

OCPI 2.3.0 (hub client info, "Still alive check") advises a GET of the versions endpoint,
which has no side effects, to see that a partner is still there. While the app runs, each
registered partner (never the sandbox) is probed once per interval; never more than one
request in flight per partner; nothing is sent while offline. The outcome lives in memory
(a probe every 15 minutes must not flood the runs table); a failure shows as a finding.

`LivenessScheduler` is Qt-free and owns its tasks; the GUI only ticks it from a QTimer.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.core.diagnosis import OnboardingError
from app.engine.health import FAILING, Finding

if TYPE_CHECKING:  # the GUI's liveness loop loads no HTTP server stack
    import asyncio  # (nor asyncio before its window shows: loaded with the first probe)

    from app.engine.context import EngineContext

# Documentation addresses (RFC 5737 / RFC 3849): a UDP connect to them sends no packet.
_OFF_MACHINE = (("AF_INET", ("192.0.2.1", 9)), ("AF_INET6", ("2001:db8::1", 9)))


def machine_online() -> bool:
    """False only when no interface has a route off this machine (cable out, Wi-Fi off).

    A UDP socket's connect asks the kernel for a route and sends nothing, so this is
    instant and silent; Qt's QNetworkInformation would pull QtNetwork into the package.
    (socket loads here, with the first tick: the window shows its list before.)"""
    import socket

    for family, address in _OFF_MACHINE:
        try:
            with socket.socket(getattr(socket, family), socket.SOCK_DGRAM) as probe:
                probe.connect(address)
            return True
        except OSError:
            continue
    return False


DEFAULT_MINUTES = 15


@dataclass(frozen=True)
class Alive:
    """The last probe of one partner."""

    at: float
    ok: bool
    message: str = ""


async def still_alive(engine: EngineContext, partner_id: int) -> Alive:
    """One GET of the partner's versions endpoint with the token we present; no run, no
    vault write (the request is not kept: it carries nothing but the versions list)."""
    # The HTTP stack loads with the first probe, not with the scheduler: the main window
    # builds the scheduler before its partners list is drawn (issue 13).
    from app.core.handshake import Request
    from app.core.http import OcpiHttp, make_client
    from app.core.judging import Response as MachineResponse
    from app.core.judging import judge_in_context
    from app.core.runner import EncodingChoice, send_with_encoding
    from app.core.transcript import Transcript

    partner = engine.vault.partner(partner_id)
    _cred_id, token = engine.outbound_token(partner)
    transcript = Transcript("liveness")
    transcript.add_secret(token)
    client = make_client(engine.http_settings)
    try:
        http = OcpiHttp(client, transcript, engine.http_settings)
        request = Request("liveness", "GET", partner.versions_url, token.role, None, None)
        encoding = EncodingChoice(partner.token_encoding or "auto")
        result = await send_with_encoding(http, request, token, encoding)
        judge_in_context(MachineResponse(result.status, result.body, result.content_type), "check")
        return Alive(time.time(), True)
    except OnboardingError as exc:
        return Alive(time.time(), False, exc.diagnosis.message)
    finally:
        await client.aclose()


def not_alive(alive: Alive) -> Finding:
    return Finding(
        "liveness.failed",
        FAILING,
        f"The partner's versions endpoint did not answer the still-alive check: {alive.message}",
        "Run Check connection; if it keeps failing, ask the partner whether their platform is up.",
        "not answering",
    )


# Probes running at once. Each probe's first step (read the partner and its token from the
# vault, build a client) runs synchronously on the UI thread; starting 2,000 at once ran
# them all in one pass of the event loop, which froze the window for seconds (issue 13).
# Due partners wait in a queue, not as tasks: creating 2,000 waiting tasks (and running
# each one's first step) was itself a 40-70 ms pass of the loop.
MAX_PARALLEL = 4


class LivenessScheduler:
    """Probes due partners; at most one request in flight per partner, MAX_PARALLEL in all."""

    def __init__(
        self,
        probe: Callable[[int], Coroutine[Any, Any, Alive]] | None = None,
        minutes: float = DEFAULT_MINUTES,
        on_result: Callable[[int, Alive], None] | None = None,
    ) -> None:
        self.probe = probe
        self.minutes = minutes
        self.on_result = on_result
        self.online = True
        self.results: dict[int, Alive] = {}
        self.in_flight: dict[int, asyncio.Task[Alive]] = {}  # probes running now
        self.queued: deque[int] = deque()  # due, waiting for one of the places
        self.started = 0  # probes started (for tests and the status line)
        self.max_parallel = MAX_PARALLEL

    @property
    def enabled(self) -> bool:
        return self.minutes > 0 and self.probe is not None

    def due(self, partner_ids: Iterable[int], now: float | None = None) -> list[int]:
        now = time.time() if now is None else now
        out = []
        waiting = set(self.queued)
        for pid in dict.fromkeys(partner_ids):  # a partner listed twice: one probe
            if pid in self.in_flight or pid in waiting:
                continue  # never a second request to the same partner
            last = self.results.get(pid)
            if last is None or now - last.at >= self.minutes * 60:
                out.append(pid)
        return out

    def tick(self, partner_ids: Iterable[int]) -> list[int]:
        """Queue a probe for each due partner (none while offline or disabled); returns them.

        At most MAX_PARALLEL run at once; each one that ends starts the next in the queue.
        """
        if not self.enabled or not self.online:
            return []
        due = self.due(partner_ids)
        self.queued.extend(due)
        self._start_queued()
        return due

    @property
    def busy(self) -> bool:
        """Probes are running or waiting."""
        return bool(self.in_flight or self.queued)

    def _start_queued(self) -> None:
        import asyncio

        while self.queued and len(self.in_flight) < self.max_parallel:
            pid = self.queued.popleft()
            assert self.probe is not None
            task: asyncio.Task[Alive] = asyncio.ensure_future(self.probe(pid))
            self.in_flight[pid] = task
            self.started += 1
            task.add_done_callback(self._callback(pid))

    def _callback(self, pid: int) -> Callable[[asyncio.Task[Alive]], None]:
        return lambda task: self._done(pid, task)

    def _done(self, pid: int, task: asyncio.Task[Alive]) -> None:
        self.in_flight.pop(pid, None)
        if task.cancelled():  # cancel() emptied the queue; anything queued since still runs
            self._start_queued()
            return
        exc = task.exception()
        alive = (
            task.result()
            if exc is None
            else Alive(time.time(), False, exc.diagnosis.message)
            if isinstance(exc, OnboardingError)
            else Alive(time.time(), False, type(exc).__name__)
        )
        self.results[pid] = alive
        self._start_queued()  # before the result is reported: the queue never stalls
        if self.on_result is not None:
            self.on_result(pid, alive)

    def finding(self, partner_id: int) -> Finding | None:
        alive = self.results.get(partner_id)
        return not_alive(alive) if alive is not None and not alive.ok else None

    def cancel(self) -> list[asyncio.Task[Alive]]:
        """Nothing more starts; the running probes are cancelled (returned, to await)."""
        self.queued.clear()
        tasks = list(self.in_flight.values())
        for task in tasks:
            task.cancel()
        return tasks

    async def stop(self) -> None:
        import asyncio

        tasks = self.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self.in_flight.clear()
