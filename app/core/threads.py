"""Work on a plain thread of its own, awaited without blocking the event loop.

Not the loop's executor: qasync's starts ten threads on first use. Used to import large
modules and build TLS contexts beside the window's loop (issue 13): the loop keeps turning
between the work's switches of the GIL.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable


def start_thread(work: Callable[[], object], name: str) -> concurrent.futures.Future[None]:
    """Start `work` on a daemon thread; the future holds its end (or what it raised)."""
    done: concurrent.futures.Future[None] = concurrent.futures.Future()

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # handed to every waiter
            done.set_exception(exc)
        else:
            done.set_result(None)

    threading.Thread(target=run, name=name, daemon=True).start()
    return done


async def on_thread(work: Callable[[], object], name: str) -> None:
    """Run `work` on a thread of its own and wait for it; a cancelled waiter leaves the
    work to finish (shielded)."""
    await asyncio.shield(asyncio.wrap_future(start_thread(work, name)))
