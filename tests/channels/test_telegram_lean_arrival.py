"""Updates read without aiogram's models (incoming.lean_arrive) come out exactly as aiogram's way reads them,
and every other shape is left to aiogram's way."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from aiogram import Bot

from bot.channels.telegram.incoming import lean_arrive, to_arrived
from bot.channels.telegram.intake import parse
from tests.stand_ins.telegram_api import TOKEN, RemoteFile, TgUser, Updates

ASEL = TgUser(7001, "Әсел", last_name="Нұрланқызы", username="asel", language_code="kk")
IVAN = TgUser(7002, "Иван", language_code=None)
FILE = RemoteFile("f1", "u1", 2048, "essay.pdf", "application/pdf", b"%PDF", "documents/essay.pdf")
updates = Updates()


def aiogram_way(data: dict[str, Any]) -> Any:
    return to_arrived(parse(Bot(TOKEN), copy.deepcopy(data)))


PLAIN = {
    "a text": updates.text(ASEL, "Сәлем"),
    "a command with arguments": updates.command(ASEL, "start", "INV-123"),
    "a command to a named bot": updates.text(IVAN, "/Menu@ustaz_bot"),
    "a button under a message": updates.callback(
        ASEL, "m:grades", {"message_id": 41, "date": 1764700000, "chat": ASEL.private_chat(), "text": "."}
    ),
    "a button from someone without a last name": updates.callback(
        IVAN, "lang", {"message_id": 9, "date": 1764700000, "chat": IVAN.private_chat(), "text": "."}
    ),
}

OTHER = {
    "a document": updates.document(ASEL, FILE, caption="/start no"),
    "a photo": updates.photo(ASEL, [FILE]),
    "a group command": updates.group_command(ASEL, "link", "ABC"),
    "a group text": updates.group_text(ASEL, "hello"),
    "a button under an inaccessible message": updates.callback(
        ASEL, "m:grades", {"message_id": 41, "date": 0, "chat": ASEL.private_chat()}
    ),
    "a button with no message": updates.callback(ASEL, "m:grades"),
    "a member change": updates.member_change(ASEL, "member", "kicked"),
    "a poll answer": updates.poll_answer(ASEL, "p1", [0]),
    "a sticker": updates.sticker(ASEL),
    "a reply to a message": updates.message_with(ASEL, text="да", reply_to_message={"message_id": 3}),
}


@pytest.mark.parametrize("name", PLAIN)
def test_plain_updates_are_read_as_aiogram_reads_them(name: str) -> None:
    data = PLAIN[name]
    lean = lean_arrive(copy.deepcopy(data))
    assert lean is not None
    assert lean == aiogram_way(data)


@pytest.mark.parametrize("name", OTHER)
def test_other_shapes_go_the_aiogram_way(name: str) -> None:
    assert lean_arrive(copy.deepcopy(OTHER[name])) is None


def test_a_field_of_an_unexpected_type_goes_the_aiogram_way() -> None:
    data = updates.text(ASEL, "Сәлем")
    data["message"]["from"]["last_name"] = 5
    assert lean_arrive(data) is None
    data = updates.text(ASEL, "Сәлем")
    data["message"]["from"]["is_bot"] = True
    assert lean_arrive(data) is None
