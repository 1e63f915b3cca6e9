"""Group commit: items that arrive together share a write, each caller hears of its own item only,
and a caller goes on as soon as its item is written, whatever arrives after it."""

from __future__ import annotations

import asyncio

from bot.queues.group_commit import GroupCommit, ItemFailed


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


async def test_a_write_that_names_its_failed_item_fails_only_that_one_and_writes_the_rest_together() -> None:
    attempts: list[list[str]] = []
    first_written = asyncio.Event()

    async def write(items: list[str]) -> None:
        attempts.append(items)
        if items == ["first"]:
            await first_written.wait()  # the others arrive meanwhile: they go as one batch next
        for index, item in enumerate(items):
            if item.startswith("slow"):  # one that ran out of time: it must not be tried again
                raise ItemFailed(index, TimeoutError(item))

    commits = GroupCommit(write)
    first = asyncio.create_task(commits.add("first"))
    while not attempts:
        await asyncio.sleep(0)
    rest = [asyncio.create_task(commits.add(x)) for x in ("a", "slow", "b", "slow2")]
    await asyncio.sleep(0)
    first_written.set()
    results = await asyncio.gather(first, *rest, return_exceptions=True)
    assert results[0] is None and results[1] is None and results[3] is None
    assert isinstance(results[2], TimeoutError) and str(results[2]) == "slow"
    assert isinstance(results[4], TimeoutError) and str(results[4]) == "slow2"
    assert attempts == [["first"], ["a", "slow", "b", "slow2"], ["a", "b", "slow2"], ["a", "b"]]


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


def in_turn() -> tuple[asyncio.Lock, list[list[str]], GroupCommit[str]]:
    """A write turn (SQLite's one writer), what the writer wrote on its own, and the group commit."""
    turn = asyncio.Lock()
    alone: list[list[str]] = []

    async def write(items: list[str]) -> None:
        alone.append(items)

    return turn, alone, GroupCommit(write, turn=lambda: turn)


async def test_a_transaction_in_the_turn_carries_the_waiting_items_and_settles_them_by_its_commit() -> None:
    turn, alone, commits = in_turn()
    carried_in: list[str] = []

    async def write_in(items: list[str]) -> None:  # into the transaction that holds the turn
        carried_in.extend(items)

    async with turn:  # a handling transaction, in SQLite's write turn
        waiting = [asyncio.create_task(commits.add(x)) for x in ("a", "b")]
        await asyncio.sleep(0)  # both wait for the turn, the writer too
        carried = await commits.carry(write_in)
        assert carried is not None and carried_in == ["a", "b"]
        assert not any(task.done() for task in waiting), "not committed yet: nobody is told"
    carried.committed()
    await asyncio.gather(*waiting)
    assert alone == [], "the writer found nothing left to write"


async def test_items_a_transaction_failed_to_commit_are_written_alone_and_never_carried_again() -> None:
    turn, alone, commits = in_turn()

    async def write_in(items: list[str]) -> None:
        pass

    async with turn:
        waiting = asyncio.create_task(commits.add("a"))
        await asyncio.sleep(0)
        carried = await commits.carry(write_in)
        assert carried is not None
        carried.failed()  # the transaction rolled back
        assert await commits.carry(write_in) is None, "a returned item is the writer's alone"
    await waiting
    assert alone == [["a"]]


async def test_items_that_could_not_be_written_into_a_transaction_go_back_to_the_writer() -> None:
    turn, alone, commits = in_turn()

    async def write_in(items: list[str]) -> None:
        raise ValueError("refused")

    async with turn:
        waiting = asyncio.create_task(commits.add("a"))
        await asyncio.sleep(0)
        assert await commits.carry(write_in) is None
    await waiting
    assert alone == [["a"]]
