"""Ustaz with its WhatsApp channel on, against the Twilio stand-in, driven as a phone would.

Webhooks are posted to the bot's real web server, signed for the public URL as Twilio
signs them (the server listens on 127.0.0.1:<ephemeral>, the public URL is a proxy's);
the inbox and the outbox are then drained, and what Twilio was asked to send is read
from the stand-in.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.app import build_web
from bot.runtime import Runtime
from db.models import Channel
from tests.harness import Harness, make_runtime, settings_for
from tests.stand_ins.twilio_api import SentMessage, TwilioStandIn

PUBLIC_URL = "https://ustaz.example.kz"
TEMPLATES = {"reminder": {"kk": "HX" + "a" * 32, "ru": "HX" + "b" * 32}}
_phones = itertools.count(1)


@pytest.fixture
async def twilio() -> AsyncIterator[TwilioStandIn]:
    async with TwilioStandIn() as stand_in:
        yield stand_in


@dataclass
class WhatsApp:
    runtime: Runtime
    twilio: TwilioStandIn
    url: str  # where the bot's server really listens

    async def settle(self) -> None:
        """Handles everything in the inbox and delivers everything due in the outbox."""
        await Harness(self.runtime).settle()

    async def post(self, path: str, form: dict[str, str], signature: str | bool | None = True) -> int:
        status, _ = await self.twilio.post_webhook(
            self.url + path, form, signed_url=PUBLIC_URL + path, signature=signature
        )
        return status

    def phone(self, number: str | None = None, name: str = "Айгерім") -> Phone:
        return Phone(self, number or f"+7701{next(_phones):07d}", name)


@dataclass
class Phone:
    wa: WhatsApp
    number: str
    profile_name: str
    seen: int = 0
    last_sids: list[str] = field(default_factory=list)

    async def send(
        self,
        text: str = "",
        *,
        media: Sequence[tuple[bytes, str]] = (),
        button: tuple[str, str] | None = None,
        message_sid: str | None = None,
        settle: bool = True,
    ) -> list[SentMessage]:
        """Writes to Ustaz as this person; returns what Ustaz sent back to this phone."""
        urls = [(self.wa.twilio.add_media(content, ctype), ctype) for content, ctype in media]
        form = self.wa.twilio.inbound_form(
            self.number,
            text,
            profile_name=self.profile_name,
            media=urls,
            button=button,
            message_sid=message_sid,
        )
        self.last_sids.append(form["MessageSid"])
        status = await self.wa.post("/whatsapp/inbound", form)
        assert status == 200, status
        if settle:
            await self.wa.settle()
        return self.received()

    def received(self) -> list[SentMessage]:
        mine = [m for m in self.wa.twilio.sent if m.to == f"whatsapp:{self.number}"]
        new, self.seen = mine[self.seen :], len(mine)
        return new


def text_of(messages: Sequence[SentMessage]) -> str:
    return "\n".join(m.body or "" for m in messages)


@pytest.fixture
async def wa(
    twilio: TwilioStandIn, engine: Any, database_url: str, tmp_path: Path
) -> AsyncIterator[WhatsApp]:
    settings = settings_for(
        database_url,
        tmp_path,
        public_url=PUBLIC_URL,
        webchat="off",
        twilio_account_sid=twilio.account_sid,
        twilio_auth_token=twilio.auth_token,
        twilio_whatsapp_from=twilio.sender,
        twilio_api_url=twilio.base_url,
        twilio_templates=TEMPLATES,
    )
    runtime = make_runtime(settings)
    app = build_web(runtime)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    sender = runtime.channel_senders[Channel.whatsapp]
    sender.retry_base_seconds = 0  # type: ignore[attr-defined]  # a retry is due at once: no waiting in tests
    try:
        yield WhatsApp(runtime, twilio, f"http://127.0.0.1:{port}")
    finally:
        await runner.cleanup()
        await runtime.engine.dispose()
