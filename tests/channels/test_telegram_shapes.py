"""Every kind of update Telegram documents, in one batch, through the real polling and webhook paths.

ALLOWED_UPDATES lists what Ustaz asks for, yet Telegram may send other kinds (allowed_updates
set differently before): none of them may stall the queue, and each ends up where it belongs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.channels.telegram import intake
from db.models import Channel, InboxUpdate, Role
from tests.channels.telegram_app import TelegramUstaz, telegram_ustaz, until
from tests.stand_ins.telegram_api import BotAPIStandIn, Limits, TgUser

STUDENT = "Айдана Серікқызы Бекова"
STALE_KK = "Бұл батырма енді белсенді емес."


@pytest.fixture(params=["polling", "webhook"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def tg(engine, database_url: str, tmp_path: Path, mode: str) -> AsyncIterator[TelegramUstaz]:
    # Two dozen strangers are welcomed at once: the flood limits would only slow this test down.
    async with (
        BotAPIStandIn(limits=Limits(enabled=False)) as api,
        telegram_ustaz(database_url, tmp_path, api, mode) as app,
    ):
        yield app


async def test_every_update_shape_is_taken_or_passed_over_and_none_stalls_the_queue(
    tg: TelegramUstaz,
) -> None:
    u, api = tg.updates, tg.api
    student = TgUser(9201, "Айдана", language_code="kk")
    menu = await tg.join(student, STUDENT, Role.student)
    people = iter(TgUser(9300 + i, f"Оқушы{i}", language_code="kk") for i in range(100))

    def file(name: str, mime: str | None = None) -> Any:
        return api.add_file(b"content of " + name.encode(), name, mime)

    stale = u.callback(student, "no-such-button", u.inaccessible(student, menu.message_id))
    unknown_inside = u.text(next(people), "Сәлем")
    unknown_inside["message"]["future_field"] = {"kind": "new", "depth": {"x": 1}}
    unknown_inside["message"]["chat"]["future_flag"] = True
    taken: dict[str, dict[str, Any]] = {
        "text": u.text(next(people), "Сәлем"),
        "command": u.command(next(people), "help"),
        "photo": u.photo(next(people), [file("s.jpg"), file("b.jpg")], caption="Үй жұмысы"),
        "document": u.document(next(people), file("essay.pdf", "application/pdf")),
        **{kind: u.media(next(people), kind, file(f"m.{kind}", "audio/ogg")) for kind in ("voice", "audio")},
        **{
            kind: u.media(next(people), kind, file(f"m.{kind}", "video/mp4"))
            for kind in ("video", "video_note")
        },
        "button": u.callback(student, menu.button("Анықтама")["callback_data"], menu),
        "stale button": stale,
        "inline button": u.inline_callback(next(people), "menu"),
        "vote": u.poll_answer(next(people), "5000000001", [1]),
        "vote of an older server": u.poll_answer_shape(next(people), "5000000001", [0], persistent=False),
        "block": u.member_change(next(people), "member", "kicked"),
        "unknown fields inside": unknown_inside,
    }
    album = u.media_group(next(people), [file("1.jpg"), file("2.jpg"), file("3.jpg")], caption="Альбом")
    taken.update({f"album {i}": update for i, update in enumerate(album)})
    someone = next(people)
    passed_over: dict[str, dict[str, Any]] = {
        "sticker": u.sticker(someone),
        "location": u.location(someone),
        "contact": u.contact(someone),
        "new_chat_members": u.joined_group(someone, next(people)),
        "edited_message": u.edited(someone, "түзетілді"),
        "channel_post": u.channel_post("Жаңалық"),
        "edited_channel_post": u.channel_post("Жаңалық!", edited=True),
        "chat_member": u.group_member_change(someone, next(people), "left", "member"),
        "game button": u.game_callback(someone, menu),
        "poll": u.poll(),
        "anonymous vote": u.poll_answer_shape(someone, "5000000001", [2], voter_chat=True),
        "message_reaction": u.reaction(student, menu.message_id),
        "chat_join_request": u.join_request(someone),
        "business_message": u.business_message(someone, "Сәлеметсіз бе"),
        "future kind": u.future(future_update={"id": 1, "what": "Telegram added it later"}),
    }
    batch = list(taken.values()) + list(passed_over.values())
    given_up, lenient = intake.stats["given_up"], intake.stats["lenient"]

    statuses = await asyncio.gather(*(tg.send(update) for update in batch))

    assert statuses == [200] * len(batch)
    last = max(update["update_id"] for update in batch)
    latecomer = TgUser(9299, "Сергей", language_code="ru")
    await tg.say(u.text(latecomer, "Здравствуйте"), "Ustaz")  # nothing before it stalled the queue
    await api.wait_for(lambda: any(STALE_KK in m.text for m in api.messages(student.id)))
    if tg.mode == "polling":
        await api.wait_for(lambda: api.confirmed_offset > last)
    pressed = [b["callback_query"]["id"] for b in batch if "callback_query" in b]
    await api.wait_for(lambda: all(qid in api.answered_callbacks for qid in pressed))
    assert intake.stats["given_up"] == given_up, "every shape was read"
    assert intake.stats["lenient"] == lenient + 1, "strictly, but for the vote of an older server"

    rows = await until(lambda: _rows_when(tg, len(taken) + 1))  # and the latecomer's
    by_update = {int(r.external_id): r.payload for r in rows if r.external_id.isdigit()}
    assert set(by_update) - {max(by_update)} == {update["update_id"] for update in taken.values()}
    payload = {name: by_update[update["update_id"]] for name, update in taken.items()}
    assert payload["command"]["command"] == "help" and payload["text"]["text"] == "Сәлем"
    for kind in ("photo", "document", "voice", "audio", "video", "video_note"):
        assert [a["kind"] for a in payload[kind]["attachments"]] == [kind]
    assert [len(payload[f"album {i}"]["attachments"]) for i in range(3)] == [1, 1, 1]
    assert payload["album 0"]["text"] == "Альбом"
    assert payload["stale button"]["button"] == "no-such-button"
    assert payload["stale button"]["source_message_id"] is None, "a deleted message is not edited"
    assert payload["button"]["source_message_id"] == str(menu.message_id)
    assert payload["inline button"]["source_message_id"] is None
    assert payload["vote of an older server"]["quiz_answer"] == {"quiz_id": "5000000001", "option_ids": [0]}
    assert payload["block"]["blocked"] is True
    assert payload["unknown fields inside"]["text"] == "Сәлем"


async def _rows_when(tg: TelegramUstaz, count: int) -> list[InboxUpdate] | None:
    async with tg.runtime.sessions() as session:
        rows = (
            await session.scalars(select(InboxUpdate).where(InboxUpdate.channel == Channel.telegram))
        ).all()
    # The student's joining (/start, and any press before the batch) is in the inbox too.
    batch = [r for r in rows if r.external_id.isdigit() and int(r.external_id) > 700_000]
    return list(batch) if len(batch) >= count else None
