"""Ustaz running with its Telegram channel against the Bot API stand-in, for the end-to-end tests."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.app import Running, build_runtime, running
from bot.channels.telegram import WEBHOOK_PATH
from bot.runtime import Runtime
from bot.services.admin.demo import ensure_demo
from bot.services.people import invites
from db.models import Channel, MessengerAccount, OutboxMessage, OutboxStatus, Person, Role
from tests.harness import settings_for
from tests.stand_ins.telegram_api import TOKEN, BotAPIStandIn, ChatMessage, TgUser, Updates

PUBLIC_URL = "https://ustaz.example.kz"
SECRET = "test-secret_123"


@dataclass
class TelegramUstaz:
    api: BotAPIStandIn
    runtime: Runtime
    live: Running
    mode: str
    updates: Updates

    async def send(self, update: dict[str, Any]) -> int:
        """Hands an update over as Telegram would in this mode; the webhook's HTTP status, or 200."""
        if self.mode == "webhook":
            return await self.api.deliver_webhook(update)
        self.api.push_update(update)
        return 200

    async def say(self, update: dict[str, Any], expect: str, chat: int | None = None) -> ChatMessage:
        """Sends an update and waits for a message containing `expect` in the person's chat."""
        chat_id = chat if chat is not None else _chat_of(update)
        seen = len(self.api.messages(chat_id))
        status = await self.send(update)
        assert status == 200, status

        def arrived() -> bool:
            return any(expect in m.text for m in self.api.messages(chat_id)[seen:]) or any(
                expect in m.text and m.edits for m in self.api.messages(chat_id)
            )

        try:
            await self.api.wait_for(arrived, timeout=15)
        except TimeoutError:
            shown = [m.text for m in self.api.messages(chat_id)]
            raise AssertionError(f"no message with {expect!r} in chat {chat_id}; it shows {shown}") from None
        return next(m for m in reversed(self.api.messages(chat_id)) if expect in m.text)

    async def join(self, user: TgUser, full_name: str, role: Role) -> ChatMessage:
        code = await invite_code(self.runtime, full_name, role)
        return await self.say(self.updates.command(user, "start", code), full_name)


def _chat_of(update: dict[str, Any]) -> int:
    for key in ("message", "callback_query"):
        if key in update:
            body = update[key]
            return (
                int((body.get("message") or body)["chat"]["id"])
                if key == "message"
                else int(body["from"]["id"])
            )
    return int(update["poll_answer"]["user"]["id"])


async def invite_code(runtime: Runtime, full_name: str, role: Role) -> str:
    async with runtime.sessions() as session, session.begin():
        person = await session.scalar(select(Person).where(Person.full_name == full_name))
        assert person is not None
        return (await invites.create_invite(session, person, role)).code


async def telegram_account(runtime: Runtime, user_id: int) -> MessengerAccount | None:
    async with runtime.sessions() as session:
        return await session.scalar(
            select(MessengerAccount).where(
                MessengerAccount.channel == Channel.telegram, MessengerAccount.external_id == str(user_id)
            )
        )


@contextlib.asynccontextmanager
async def telegram_ustaz(
    database_url: str, tmp_path: Path, api: BotAPIStandIn, mode: str, demo: bool = True, **overrides: object
) -> AsyncIterator[TelegramUstaz]:
    overrides.setdefault("webchat", "off")
    overrides.setdefault("telegram_local_server", False)  # the stand-in plays the cloud Bot API: 20 MB
    settings = settings_for(
        database_url,
        tmp_path,
        telegram_token=TOKEN,
        telegram_api_url=api.base_url,
        telegram_mode=mode,
        public_url=PUBLIC_URL if mode == "webhook" else None,
        telegram_webhook_secret=SECRET if mode == "webhook" else None,
        **overrides,
    )
    runtime = build_runtime(settings)
    if demo:
        await ensure_demo(runtime)
    try:
        async with running(runtime, port=0) as live:
            if mode == "webhook":
                # Registered at the public URL; the test plays the reverse proxy in front of the real port.
                await api.wait_for(lambda: bool(api.webhook.get("url")))
                assert (
                    api.webhook["url"] == PUBLIC_URL + WEBHOOK_PATH and api.webhook["secret_token"] == SECRET
                )
                api.webhook["url"] = live.url + WEBHOOK_PATH
            else:
                await api.wait_for(lambda: len(api.calls_of("getUpdates")) >= 1)
            yield TelegramUstaz(api, runtime, live, mode, Updates(first_update_id=700_000))
    finally:
        await runtime.engine.dispose()


async def outbox_idle(runtime: Runtime) -> None:
    """Waits until nothing in the outbox is pending or being sent."""

    async def idle() -> bool | None:
        async with runtime.sessions() as session:
            n = await session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status.in_([OutboxStatus.pending, OutboxStatus.sending]))
            )
        return True if not n else None

    await until(idle)


async def until(probe: Callable[[], Awaitable[Any]], timeout: float = 30.0) -> Any:
    """Re-checks a database condition until it gives something other than None.

    The bot writes from its own connections, so there is no event to wait on: this polls, with a deadline.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if value is not None:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)
