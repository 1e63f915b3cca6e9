"""The Bot API stand-in answers aiogram's real Bot as Telegram would."""

from __future__ import annotations

import asyncio

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup

from tests.stand_ins.telegram_api import TOKEN, BotAPIStandIn, Limits, TgUser, Updates


async def test_get_me_and_send_message_with_buttons(api: BotAPIStandIn, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.username == "ustaz_test_bot"
    kb = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Баға", callback_data="m:grades")]])
    msg = await bot.send_message(42, "<b>Сәлем</b> &lt;x&gt;", parse_mode="HTML", reply_markup=kb)
    assert msg.message_id
    shown = api.last_message(42)
    assert shown.text == "Сәлем <x>"
    assert shown.button("Баға")["callback_data"] == "m:grades"


async def test_unescaped_html_is_refused(api: BotAPIStandIn, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="parse entities"):
        await bot.send_message(42, "a <script> b", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="too long"):
        await bot.send_message(42, "x" * 4097)


async def test_upload_then_resend_by_file_id(api: BotAPIStandIn, bot: Bot) -> None:
    msg = await bot.send_document(
        7, BufferedInputFile(b"%PDF-1.4 hello", filename="a.pdf"), caption="Тапсырма"
    )
    file_id = msg.document.file_id
    again = await bot.send_document(8, file_id)
    assert again.document.file_id == file_id
    assert [c.files != {} for c in api.calls_of("sendDocument")] == [True, False]
    f = await bot.get_file(file_id)
    data = await bot.download_file(f.file_path)
    assert data.read() == b"%PDF-1.4 hello"


async def test_quiz_poll(api: BotAPIStandIn, bot: Bot) -> None:
    msg = await bot.send_poll(
        9, "2+2?", options=["3", "4"], type="quiz", correct_option_id=1, is_anonymous=False
    )
    assert msg.poll.type == "quiz" and api.polls[msg.poll.id]["correct_option_ids"] == [1]


async def test_flood_limits_answer_429(api: BotAPIStandIn, bot: Bot) -> None:
    for _ in range(3):
        await bot.send_message(5, "ok")
    with pytest.raises(TelegramRetryAfter) as err:
        await bot.send_message(5, "too fast")
    assert err.value.retry_after >= 1
    api.block(6)
    with pytest.raises(TelegramForbiddenError):
        await bot.send_message(6, "hi")


async def test_global_limit() -> None:
    async with BotAPIStandIn(limits=Limits(global_per_sec=30)) as api:
        b = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(api.base_url)))
        results = await asyncio.gather(
            *(b.send_message(1000 + i, "x") for i in range(31)), return_exceptions=True
        )
        assert sum(isinstance(r, TelegramRetryAfter) for r in results) == 1
        await b.session.close()


async def test_get_updates_long_poll_and_offset(api: BotAPIStandIn, bot: Bot) -> None:
    u = Updates()
    user = TgUser(77)
    waiter = asyncio.create_task(bot.get_updates(timeout=5))
    await api.wait_for(lambda: len(api.calls_of("getUpdates")) == 1)
    api.push_update(u.command(user, "start", "ABC123"))
    got = await waiter
    assert got[0].message.text == "/start ABC123"
    again = await bot.get_updates(timeout=0)
    assert [x.update_id for x in again] == [got[0].update_id]  # not confirmed yet
    assert await bot.get_updates(offset=got[0].update_id + 1, timeout=0) == []
    assert api.confirmed_offset == got[0].update_id + 1
