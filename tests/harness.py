"""Talking to Ustaz in tests as a person would, through the real inbox, core, outbox and web chat
(bot/screens/driver.py, shared with `ustaz screens`).

chat = await harness.seat_for("Айдана Серікқызы Бекова")
replies = await harness.say(chat, "/menu")
replies = await harness.press(chat, replies[-1], "Timetable")   # by the button's shown label
"""

from __future__ import annotations

from pathlib import Path

from bot.app import build_runtime
from bot.config import Settings
from bot.runtime import Runtime
from bot.screens.driver import Driver, Seat, labels, local_settings, texts

Harness = Driver
__all__ = ["JPEG", "Harness", "Seat", "labels", "make_runtime", "settings_for", "texts"]
# The smallest JPEG a photo step accepts (a student's ID photo in the proctoring tests).
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"


def settings_for(database_url: str, tmp_path: Path, **overrides: object) -> Settings:
    return local_settings(database_url, tmp_path / "files", **overrides)


def make_runtime(settings: Settings) -> Runtime:
    return build_runtime(settings)
