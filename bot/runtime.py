"""The running machinery of one Ustaz process: the database, the queues' workers, the channels'
senders and file fetchers, the periodic ticks, Redis.

Only the app's wiring (bot/app.py), the queues, the channels and the ticks know it. Handlers see
`deps` alone (bot/core/deps.py): settings, sessions, files, links and the channels' facts.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.core.conversation import FileFetcher
from bot.core.deps import Deps
from bot.files.links import LinkSigner
from bot.files.store import FileStore
from bot.queues.inbox import InboxWorker
from bot.queues.outbox import ChannelSender, OutboxSender
from bot.queues.replies import InboxConversation
from db.models import Channel

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["FileFetcher", "PeriodicTick", "Runtime", "Tick"]

# A periodic tick sees what handlers see; the scheduler runs it (bot/scheduler.py).
Tick = Callable[[Deps], Awaitable[object]]


@dataclass(frozen=True)
class PeriodicTick:
    name: str
    seconds: float
    run: Tick


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    files: FileStore
    links: LinkSigner
    conversation: InboxConversation = field(init=False)
    inbox_worker: InboxWorker | None = None
    sender: OutboxSender | None = None
    channel_senders: dict[Channel, ChannelSender] = field(default_factory=dict)
    file_fetchers: dict[Channel, FileFetcher] = field(default_factory=dict)
    ticks: list[PeriodicTick] = field(default_factory=list)
    # Facts channels share with handlers, e.g. the Telegram bot's username for deep links.
    facts: dict[str, str] = field(default_factory=dict)
    redis: Redis | None = None  # USTAZ_REDIS_URL: state shared by the processes (the rate limits)
    deps: Deps = field(init=False)  # what handlers see of all this
    _write_turn: asyncio.Lock = field(default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        self.deps = Deps(self.settings, self.sessions, self.files, self.links, self.facts, self.wake_sender)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def writing(self) -> contextlib.AbstractAsyncContextManager[object]:
        """Wraps the queues' write transactions. SQLite has one writer: waiting for it here, in turn,
        costs nothing, while waiting inside SQLite means its busy handler's sleeps of 1-100 ms."""
        return self._write_turn if self.is_sqlite else contextlib.nullcontext()

    def wake_sender(self) -> None:
        if self.sender is not None:
            self.sender.wake()

    def add_tick(self, name: str, seconds: float, run: Tick) -> None:
        self.ticks.append(PeriodicTick(name, seconds, run))
