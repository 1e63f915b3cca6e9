"""A reply's JSON (the outbox row's payload) and an incoming message's (the inbox row's) hold every
field, and read back as the same message."""

from __future__ import annotations

import dataclasses

from bot.core.messages import Attachment, Button, Incoming, OutFile, Quiz, QuizAnswer, Reply
from db.models.enums import Channel


def full_reply() -> Reply:
    return Reply(
        text="Сабақ кестесі",
        buttons=[[Button("Мәзір", "menu"), Button("Сайт", "site", "https://example.kz")]],
        files=[OutFile(7, "кесте.pdf")],
        quiz=Quiz("2 + 2?", ("3", "4"), correct_option=1, ref="a1:q2", open_seconds=60),
        edit_source=True,
        source_message_id="41",
        same_step=True,
    )


def test_to_json_is_what_asdict_gives() -> None:
    for reply in (full_reply(), Reply()):
        assert reply.to_json() == dataclasses.asdict(reply)


def test_to_json_reads_back() -> None:
    reply = full_reply()
    assert Reply.from_json(reply.to_json()) == reply


def full_incoming() -> Incoming:
    return Incoming(
        channel=Channel.telegram,
        external_user_id="9001",
        chat_id="-100",
        text="/submit Үй жұмысы",
        command="submit",
        command_args="Үй жұмысы",
        button="hw:12",
        attachments=(Attachment("photo", "file-1", "a.jpg", "image/jpeg", 1200), Attachment("document")),
        quiz_answer=QuizAnswer("poll-1", (0, 2)),
        language_code="kk",
        display_name="Айдана",
        username="aidana",
        source_message_id="41",
        blocked=False,
        group=True,
        chat_title="9А",
        moved_from="-99",
    )


def test_incoming_to_json_is_what_asdict_gives() -> None:
    for incoming in (full_incoming(), Incoming.from_web("seat", "/menu")):
        assert incoming.to_json() == dataclasses.asdict(incoming)


def test_incoming_to_json_reads_back() -> None:
    incoming = full_incoming()
    assert Incoming.from_json(incoming.to_json()) == incoming
