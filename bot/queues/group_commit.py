"""Group commit: many small writes that arrive together go to the database in one transaction.

Each caller awaits its own item; while one transaction runs (in a task of its own), the next
items gather, so under load a transaction carries as many items as arrived during the previous
one, and an item alone is written at once (no timer, no added latency). A batch that fails is
written again one item at a time, so one bad item fails only its own caller; a write that knows
which item failed it says so (`ItemFailed`), and the others are written again together without it.

With a write turn (SQLite's one writer), the writer takes its batch only once it has the turn,
and a transaction that already holds the turn may carry the waiting items with its own work
(`carry`): one commit instead of two.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Generic, TypeVar

T = TypeVar("T")
Waiting = list[tuple[T, asyncio.Future[None]]]
log = logging.getLogger(__name__)


class ItemFailed(Exception):
    """Raised by a batch's write that knows which item failed it (by position): that item's caller gets
    `cause`, and the others are written again together, without it (not one by one: an item that
    failed by taking too long must not hold up the rest a second time)."""

    def __init__(self, index: int, cause: Exception) -> None:
        super().__init__(index, cause)
        self.index = index
        self.cause = cause


def _no_turn() -> AbstractAsyncContextManager[object]:
    return contextlib.nullcontext()


class GroupCommit(Generic[T]):
    def __init__(
        self,
        write: Callable[[list[T]], Awaitable[None]],
        turn: Callable[[], AbstractAsyncContextManager[object]] = _no_turn,
    ) -> None:
        self.write = write
        self.turn = turn
        self._pending: Waiting[T] = []
        # Items a carrying transaction failed to commit: written by the writer only, never carried
        # again (if they were the cause, they must not fail another transaction).
        self._returned: Waiting[T] = []
        self._writer: asyncio.Task[None] | None = None
        self._writing: Waiting[T] = []  # the batch being written

    async def add(self, item: T) -> None:
        """Returns once the item is committed; raises what the write raised."""
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((item, fut))
        if self._writer is None:
            self._start_writer()
        await fut

    async def carry(self, write_in: Callable[[list[T]], Awaitable[None]]) -> Carried[T] | None:
        """The waiting items, written by `write_in` into the caller's transaction, which holds the
        turn and is about to commit. The caller tells the result to the returned Carried after its
        commit. None when nothing waits, or when writing them failed (they go back to the writer and
        the caller's own work is not disturbed: a statement that fails leaves its transaction as it was)."""
        if not self._pending:
            return None
        batch, self._pending = self._pending, []
        try:
            await write_in([item for item, _ in batch])
        except Exception:
            log.warning(
                "%d items could not go with another transaction: written alone", len(batch), exc_info=True
            )
            self._give_back(batch)
            return None
        except BaseException:  # cancelled: the items are still waiting to be written
            self._give_back(batch)
            raise
        return Carried(self, batch)

    def _give_back(self, batch: Waiting[T]) -> None:
        self._returned.extend(batch)
        if self._writer is None:
            self._start_writer()

    def _start_writer(self) -> None:
        # A task of its own writes the batches: a caller whose item is committed goes on with its work
        # at once, instead of staying to write the items that arrived after it.
        self._writer = asyncio.create_task(self._write_all())
        self._writer.add_done_callback(self._written)

    def _written(self, writer: asyncio.Task[None]) -> None:
        self._writer = None
        if writer.cancelled() or writer.exception() is not None:
            # Cancelled (the process stops) or failed outside a write: no caller waits for ever.
            waiting = self._writing + self._returned + self._pending
            self._returned, self._pending = [], []
            for _, fut in waiting:
                if writer.cancelled():
                    fut.cancel()
                else:
                    _settle(fut, writer.exception())
        elif self._pending or self._returned:  # arrived after the writer's last look
            self._start_writer()

    async def _write_all(self) -> None:
        while self._pending or self._returned:
            async with self.turn():
                # Taken with the turn in hand: what a transaction carried meanwhile is not here.
                batch = self._writing = self._returned + self._pending
                self._returned, self._pending = [], []
                if batch:
                    await self._write_batch(batch)
        self._writing = []

    async def _write_batch(self, batch: Waiting[T]) -> None:
        try:
            await self.write([item for item, _ in batch])
        except ItemFailed as failed:
            _settle(batch[failed.index][1], failed.cause)
            rest = batch[: failed.index] + batch[failed.index + 1 :]
            if rest:
                await self._write_batch(rest)  # at most one level per item: each level has one less
            return
        except Exception as exc:
            if len(batch) == 1:
                _settle(batch[0][1], exc)
                return
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


class Carried(Generic[T]):
    """Items written into another transaction: settled by that transaction's outcome."""

    def __init__(self, commits: GroupCommit[T], batch: Waiting[T]) -> None:
        self._commits = commits
        self._batch = batch

    def committed(self) -> None:
        for _, fut in self._batch:
            _settle(fut, None)

    def failed(self) -> None:
        """Not committed: the writer writes them on their own."""
        self._commits._give_back(self._batch)


def _settle(fut: asyncio.Future[None], exc: BaseException | None) -> None:
    if fut.done():
        return
    if exc is None:
        fut.set_result(None)
    else:
        fut.set_exception(exc)
