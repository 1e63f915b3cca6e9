"""Group commit: many small writes that arrive together go to the database in one transaction.

Each caller awaits its own item; while one transaction runs (in a task of its own), the next
items gather, so under load a transaction carries as many items as arrived during the previous
one, and an item alone is written at once (no timer, no added latency). A batch that fails is
written again one item at a time, so one bad item fails only its own caller.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class GroupCommit(Generic[T]):
    def __init__(self, write: Callable[[list[T]], Awaitable[None]]) -> None:
        self.write = write
        self._pending: list[tuple[T, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None
        self._writing: list[tuple[T, asyncio.Future[None]]] = []  # the batch being written

    async def add(self, item: T) -> None:
        """Returns once the item is committed; raises what the write raised."""
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((item, fut))
        if self._writer is None:
            self._start_writer()
        await fut

    def _start_writer(self) -> None:
        # A task of its own writes the batches: a caller whose item is committed goes on with its work
        # at once, instead of staying to write the items that arrived after it.
        self._writer = asyncio.create_task(self._write_all())
        self._writer.add_done_callback(self._written)

    def _written(self, writer: asyncio.Task[None]) -> None:
        self._writer = None
        if writer.cancelled() or writer.exception() is not None:
            # Cancelled (the process stops) or failed outside a write: no caller waits for ever.
            waiting, self._pending = self._writing + self._pending, []
            for _, fut in waiting:
                if writer.cancelled():
                    fut.cancel()
                else:
                    _settle(fut, writer.exception())
        elif self._pending:  # arrived after the writer's last look
            self._start_writer()

    async def _write_all(self) -> None:
        while self._pending:
            batch = self._writing = self._pending
            self._pending = []
            try:
                await self.write([item for item, _ in batch])
            except Exception as exc:
                if len(batch) == 1:
                    _settle(batch[0][1], exc)
                    continue
                # One bad item must not fail the others: each goes again alone.
                for item, fut in batch:
                    try:
                        await self.write([item])
                    except Exception as alone:
                        _settle(fut, alone)
                    else:
                        _settle(fut, None)
            else:
                for _, fut in batch:
                    _settle(fut, None)
        self._writing = []


def _settle(fut: asyncio.Future[None], exc: BaseException | None) -> None:
    if fut.done():
        return
    if exc is None:
        fut.set_result(None)
    else:
        fut.set_exception(exc)
