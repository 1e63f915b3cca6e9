"""Linking on Telegram end to end (the real aiogram Bot against the Bot API stand-in): a joined teacher
gets a link code from «My messengers» by pressing buttons, and a second Telegram account that sends it
becomes the same person's, with both listed; on both databases."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import func, select

from db.models import MessengerAccount, Person, Role
from tests.channels.telegram_app import TelegramUstaz, telegram_account, telegram_ustaz
from tests.stand_ins.telegram_api import BotAPIStandIn, ChatMessage, TgUser

TEACHER = "Сергей Викторович Ким"


async def press(tg: TelegramUstaz, user: TgUser, on: ChatMessage, label: str, expect: str) -> ChatMessage:
    return await tg.say(tg.updates.callback(user, on.button(label)["callback_data"], on), expect)


async def test_a_code_from_telegram_links_a_second_account_to_the_same_person(
    engine: object, database_url: str, tmp_path: Path, api: BotAPIStandIn
) -> None:
    async with telegram_ustaz(database_url, tmp_path, api, "polling") as tg:
        phone = TgUser(9101, "Сергей", username="kim_phone", language_code="ru")
        menu = await tg.join(phone, TEACHER, Role.teacher)
        listed = await press(tg, phone, menu, "Мои мессенджеры", "Ваши мессенджеры")
        assert "Telegram @kim_phone — вы пишете из него" in listed.text
        assert not [label for label in listed.button_labels if "Отвязать" in label]  # the only one
        shown = await press(tg, phone, listed, "Привязать другой мессенджер", "Ваш код привязки")
        found = re.search(r"([A-Z0-9]{5}-[A-Z0-9]{5})", shown.text)
        assert found is not None

        laptop = TgUser(9102, "Сергей", username="kim_laptop", language_code="ru")
        linked = await tg.say(tg.updates.text(laptop, found.group(1)), "теперь привязан к вам")
        assert TEACHER in linked.text
        first, second = await telegram_account(tg.runtime, 9101), await telegram_account(tg.runtime, 9102)
        assert first is not None and second is not None and first.person_id == second.person_id
        async with tg.runtime.sessions() as session:
            assert (
                await session.scalar(
                    select(func.count()).select_from(Person).where(Person.full_name == TEACHER)
                )
                == 1
            )
            accounts = await session.scalar(
                select(func.count())
                .select_from(MessengerAccount)
                .where(MessengerAccount.person_id == first.person_id)
            )
        assert accounts == 2

        again = await tg.say(tg.updates.command(laptop, "menu"), "Главное меню")
        both = await press(tg, laptop, again, "Мои мессенджеры", "Ваши мессенджеры")
        assert "Telegram @kim_phone" in both.text and "Telegram @kim_laptop — вы пишете из него" in both.text
        assert any("Отвязать Telegram @kim_phone" in label for label in both.button_labels)
