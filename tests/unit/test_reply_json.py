"""A reply's JSON (the outbox row's payload) holds every field, and reads back as the same reply."""

from __future__ import annotations

import dataclasses

from bot.core.messages import Button, OutFile, Quiz, Reply


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
