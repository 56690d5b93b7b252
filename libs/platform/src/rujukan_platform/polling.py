"""How often a loop that looks for work in the database looks again (the outbox relay, the
notifications dispatcher).

A loop that found work looks again at once or after ``base``; each look that finds nothing
doubles the wait, up to ``most``; a ``wake`` (a commit in this process that left work) ends
the wait at once. Busy, it looks as often as before; quiet, a fraction as often: with nothing
to do, the platform's processes spent half a core looking (``bench/pipeline_throughput.py``,
phase q). The price: after a quiet spell, work written by another process waits up to
``most`` to be seen.
"""

from __future__ import annotations

import asyncio


class IdlePoll:
    def __init__(self, base: float, most: float | None = None) -> None:
        self.base = base
        self.most = max(base, most if most is not None else base)
        #: the wait before the next look
        self.interval = base
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Work was left for the loop: its wait ends now (or its next one does not begin)."""
        self._wake.set()

    def found(self, work: bool) -> None:
        """After a look: back to ``base`` when it found work, else twice the wait (to ``most``)."""
        self.interval = self.base if work else min(self.interval * 2, self.most)

    async def wait(self, seconds: float | None = None) -> bool:
        """Until woken or ``seconds`` (``interval`` when not given); whether it was woken. A
        wake that came while the loop was looking is kept, so it is never lost."""
        try:
            await asyncio.wait_for(self._wake.wait(), self.interval if seconds is None else seconds)
        except TimeoutError:
            return False
        self._wake.clear()
        return True

    def settle(self) -> None:
        """The next look will see the work of every wake so far: they need no look of their
        own (wakes after this call still end the next wait)."""
        self._wake.clear()
