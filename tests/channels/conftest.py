"""Fixtures of the channel tests: the Bot API stand-in and aiogram's real Bot pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from tests.stand_ins.telegram_api import TOKEN, BotAPIStandIn


@pytest.fixture
async def api() -> AsyncIterator[BotAPIStandIn]:
    async with BotAPIStandIn() as stand_in:
        yield stand_in


@pytest.fixture
async def bot(api: BotAPIStandIn) -> AsyncIterator[Bot]:
    b = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(api.base_url)))
    yield b
    await b.session.close()
