"""Group commit: items that arrive together share a write, each caller hears of its own item only,
and a caller goes on as soon as its item is written, whatever arrives after it."""

from __future__ import annotations

import asyncio

from bot.queues.group_commit import GroupCommit


async def test_items_arriving_together_share_a_write_and_a_bad_one_fails_alone() -> None:
    writes: list[list[str]] = []

    async def write(items: list[str]) -> None:
        if "bad" in items:
            raise ValueError("refused")
        writes.append(items)
        await asyncio.sleep(0)

    commits = GroupCommit(write)
    results = await asyncio.gather(*(commits.add(x) for x in ["a", "b", "bad", "c"]), return_exceptions=True)
    assert results[:2] == [None, None] and results[3] is None
    assert isinstance(results[2], ValueError)
    assert sorted(x for batch in writes for x in batch) == ["a", "b", "c"]


async def test_a_caller_goes_on_once_its_item_is_written_while_others_keep_arriving() -> None:
    release = asyncio.Event()
    written: list[str] = []

    async def write(items: list[str]) -> None:
        if "late" in items:
            await release.wait()  # a later batch that takes long
        written.extend(items)

    commits = GroupCommit(write)
    await commits.add("first")
    late = asyncio.create_task(commits.add("late"))
    await asyncio.sleep(0)
    assert written == ["first"] and not late.done()
    release.set()
    await late
    assert written == ["first", "late"]


async def test_items_waiting_when_the_writer_is_cancelled_are_cancelled_not_left_waiting() -> None:
    async def write(items: list[str]) -> None:
        await asyncio.Event().wait()  # never finishes

    commits = GroupCommit(write)
    waiting = asyncio.create_task(commits.add("x"))
    await asyncio.sleep(0)
    assert commits._writer is not None
    commits._writer.cancel()
    await asyncio.gather(waiting, return_exceptions=True)
    assert waiting.cancelled()
