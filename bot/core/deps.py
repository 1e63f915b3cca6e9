"""What handlers may use besides their message and their session: settings, files, links, channel facts.

A handler reaches it as `ctx.deps`. The running machinery (the inbox worker, the outbox sender,
the channels' senders and file fetchers, the scheduler, Redis) is not here: only the app's wiring,
the queues and the channels know it (bot/runtime.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.files.links import LinkSigner
from bot.files.store import FileStore


@dataclass(frozen=True)
class Deps:
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    files: FileStore
    links: LinkSigner
    # Facts the channels learn while running, e.g. the Telegram bot's username (for deep links).
    facts: Mapping[str, str]
    # Messages were queued outside a reply (invites sent now): the sender goes at once, not on its next round.
    wake_sender: Callable[[], None]

    @property
    def telegram_username(self) -> str | None:
        """The Telegram bot's username for deep links: as Telegram told it at start, else the setting."""
        return self.facts.get("telegram_username") or self.settings.telegram_bot_username
