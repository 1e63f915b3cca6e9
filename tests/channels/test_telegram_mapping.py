"""Telegram updates become neutral messages, and neutral replies become what a person sees in Telegram."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.types import Update

from bot.channels.telegram.incoming import to_arrived
from bot.channels.telegram.limits import RateLimiter, TelegramLimits
from bot.channels.telegram.outgoing import FileToSend, TelegramOut, Unreachable
from bot.channels.telegram.render import split_text, utf16_len
from bot.core.messages import Button, OutFile, Quiz, Reply
from tests.stand_ins.telegram_api import BotAPIStandIn, TgUser, Updates

U = Updates()
ALMA = TgUser(501, "Алма", "Сейіт", "alma", "kk")


def arrived(update: dict):
    return to_arrived(Update.model_validate(update))


def test_deep_link_start_is_a_command_with_the_invite_code() -> None:
    a = arrived(U.command(ALMA, "start", "K7Q2ZP"))
    assert a.incoming.command == "start" and a.incoming.command_args == "K7Q2ZP"
    assert a.incoming.external_user_id == "501" and a.incoming.chat_id == "501"
    assert a.incoming.language_code == "kk" and a.incoming.display_name == "Алма Сейіт"
    assert a.chat_key == "telegram:501"


def test_button_press_carries_payload_and_the_pressed_message() -> None:
    from tests.stand_ins.telegram_api import ChatMessage

    a = arrived(U.callback(ALMA, "menu:grades", ChatMessage(77, 501, "Мәзір", "Мәзір")))
    assert a.incoming.button == "menu:grades" and a.incoming.source_message_id == "77"
    assert a.callback_query_id


def test_files_become_attachments_with_the_largest_photo() -> None:
    api = BotAPIStandIn()
    small = api.add_file(b"s" * 10, "a.jpg")
    big = api.add_file(b"b" * 1000, "a.jpg")
    a = arrived(U.photo(ALMA, [small, big], caption="Үй тапсырмасы"))
    (att,) = a.incoming.attachments
    assert (att.kind, att.remote_ref, att.size) == ("photo", big.file_id, 1000)
    assert a.incoming.text == "Үй тапсырмасы" and a.incoming.command is None

    doc = api.add_file(b"%PDF", "essay.pdf", "application/pdf")
    (att,) = arrived(U.document(ALMA, doc)).incoming.attachments
    assert (att.kind, att.filename, att.mime) == ("document", "essay.pdf", "application/pdf")
    for kind in ("voice", "audio", "video", "video_note"):
        (att,) = arrived(U.media(ALMA, kind, api.add_file(b"x", "v.ogg", "audio/ogg"))).incoming.attachments
        assert att.kind == kind


def test_quiz_answer_and_ignored_updates() -> None:
    a = arrived(U.poll_answer(ALMA, "5000000001", [2]))
    assert a.incoming.quiz_answer.quiz_id == "5000000001" and a.incoming.quiz_answer.option_ids == (2,)
    assert arrived({"update_id": 9, "edited_message": U.text(ALMA, "x")["message"]}) is None


def test_split_text_stays_under_the_limit_and_loses_nothing() -> None:
    text = ("Тапсырма 😀 " * 700).strip() + "\n\n" + "ә" * 5000
    parts = split_text(text)
    assert all(utf16_len(p) <= 4096 for p in parts) and len(parts) == 4
    assert "".join(parts).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")


class MemoryFiles:
    def __init__(self) -> None:
        self.remote: dict[int, str] = {}
        self.reads = 0

    async def describe(self, file_name_id: int) -> FileToSend:
        return FileToSend(
            file_name_id, file_name_id, f"file{file_name_id}.pdf", "document", self.remote.get(file_name_id)
        )

    async def read(self, stored_file_id: int) -> bytes:
        self.reads += 1
        return b"%PDF-1.4 " + str(stored_file_id).encode()

    async def remember(self, stored_file_id: int, remote_id: str) -> None:
        self.remote[stored_file_id] = remote_id


@pytest.fixture
def out(bot: Bot) -> TelegramOut:
    return TelegramOut(bot, RateLimiter(TelegramLimits()), MemoryFiles(), backoff=0.01)


async def test_typed_text_is_escaped_and_buttons_ride_on_the_message(
    api: BotAPIStandIn, out: TelegramOut
) -> None:
    reply = Reply("Сұрақ: <b>2 & 3</b>?", buttons=[[Button("Иә", "yes"), Button("Жоқ", "no")]])
    await out.deliver("501", reply)
    shown = api.last_message(501)
    assert shown.text == "Сұрақ: <b>2 & 3</b>?"
    assert shown.button_labels == ["Иә", "Жоқ"] and shown.button("Жоқ")["callback_data"] == "no"


async def test_long_text_is_split_and_keyboard_is_on_the_last_part(
    api: BotAPIStandIn, out: TelegramOut
) -> None:
    await out.deliver("502", Reply("абв " * 2000, buttons=[[Button("OK", "ok")]]))
    msgs = api.messages(502)
    assert len(msgs) == 2 and [bool(m.buttons) for m in msgs] == [False, True]


async def test_pressed_message_is_edited(api: BotAPIStandIn, out: TelegramOut) -> None:
    first = await out.deliver("503", Reply("Мәзір", buttons=[[Button("Бағалар", "grades")]]))
    done = await out.deliver(
        "503", Reply("Бағалар: A", edit_source=True), source_message_id=first.message_ids[0]
    )
    assert done.edited and len(api.messages(503)) == 1 and api.last_message(503).text == "Бағалар: A"
    # Editing to the same text is not an error a person should see.
    again = await out.deliver(
        "503", Reply("Бағалар: A", edit_source=True), source_message_id=first.message_ids[0]
    )
    assert again.edited


async def test_file_is_uploaded_once_then_sent_by_file_id(api: BotAPIStandIn, out: TelegramOut) -> None:
    await out.deliver("504", Reply("Тапсырма", files=[OutFile(7, caption="Нұсқа 1")]))
    await out.deliver("505", Reply("", files=[OutFile(7)]))
    docs = api.calls_of("sendDocument")
    assert [bool(c.files) for c in docs] == [True, False]
    assert out.files.reads == 1
    assert (
        api.last_message(504).text == "Нұсқа 1"
        and api.last_message(505).file_id == api.last_message(504).file_id
    )


async def test_quiz_is_a_telegram_quiz_poll(api: BotAPIStandIn, out: TelegramOut) -> None:
    done = await out.deliver(
        "506", Reply(quiz=Quiz("2 + 2 = ?", ("3", "4", "5"), correct_option=1, ref="a1:q1"))
    )
    poll = api.last_message(506).poll
    assert poll["type"] == "quiz" and [o["text"] for o in poll["options"]] == ["3", "4", "5"]
    assert done.poll_id == poll["id"] and poll["correct_option_ids"] == [1]
    assert api.calls_of("sendPoll")[0].params["is_anonymous"] is False


async def test_server_errors_are_retried_and_blocked_person_is_unreachable(
    api: BotAPIStandIn, out: TelegramOut
) -> None:
    api.fail_next("sendMessage", 502, "Bad Gateway", times=2)
    await out.deliver("507", Reply("Сәлем"))
    assert len(api.messages(507)) == 1 and len(api.calls_of("sendMessage")) == 3
    api.block(508)
    with pytest.raises(Unreachable):
        await out.deliver("508", Reply("Сәлем"))


def test_a_press_whose_message_this_aiogram_refuses_is_still_a_press_on_that_message() -> None:
    from bot.channels.telegram.intake import arrive

    menu = {"message_id": 77, "date": 1_700_000_000, "chat": ALMA.private_chat(), "text": "Мәзір",
            "entities": "not a list"}  # fmt: skip
    update = U.callback(ALMA, "menu:grades", menu)
    with pytest.raises(ValueError):
        Update.model_validate(update)
    a = arrive(None, update)  # type: ignore[arg-type]
    assert a is not None and a.incoming is not None
    assert (a.incoming.button, a.incoming.source_message_id) == ("menu:grades", "77")
    assert a.callback_query_id == update["callback_query"]["id"]
