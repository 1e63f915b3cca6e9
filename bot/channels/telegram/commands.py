"""The commands Telegram lists in class group chats (/link, /unlink, /join), in Kazakh and Russian.

Registered once at start-up (setMyCommands, scope all group chats): a teacher who types "/" in the
class's group sees what Ustaz understands there, in the language of their Telegram app.
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeAllGroupChats

from bot.i18n import LOCALES, N_, Translator

GROUP_COMMANDS = (
    ("link", N_("Link this chat to a group of the school with a code from Ustaz")),
    ("unlink", N_("Stop Ustaz posting in this chat")),
    ("join", N_("Get your own notices from Ustaz privately")),
)


def group_commands(locale: str) -> list[BotCommand]:
    t = Translator(locale)
    return [BotCommand(command=name, description=t.gettext(text)) for name, text in GROUP_COMMANDS]


async def register(bot: Bot, default_locale: str) -> None:
    """For each app language, and for any other one (the organization's default language)."""
    scope = BotCommandScopeAllGroupChats()
    await bot.set_my_commands(group_commands(default_locale), scope=scope)
    for locale in LOCALES:
        await bot.set_my_commands(group_commands(locale), scope=scope, language_code=locale)
