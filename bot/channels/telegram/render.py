"""Pure pieces of rendering a neutral Reply for Telegram: escaping, splitting, keyboards."""

from __future__ import annotations

import html
from typing import Any

from aiogram.types import InlineKeyboardMarkup

from bot.core.messages import Button

# An inline keyboard as the Bot API's JSON: sent as it is by the lean calls, and validated into
# aiogram's InlineKeyboardMarkup by pydantic where an aiogram method carries it (files, polls).
Markup = dict[str, Any]

MAX_TEXT = 4096  # Telegram counts UTF-16 code units after entities are parsed
MAX_CAPTION = 1024
MAX_POLL_QUESTION = 300
MAX_POLL_OPTION = 100
MAX_POLL_OPTIONS = 10
MAX_CALLBACK_BYTES = 64


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def escape(text: str) -> str:
    """Reply texts are plain: everything is escaped, so nothing a person typed can become markup."""
    return html.escape(text, quote=False)


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut a long text into parts under the limit, at a paragraph, a line or a word where one is near."""
    parts: list[str] = []
    rest = text
    while utf16_len(rest) > limit:
        cut = _fit(rest, limit)
        window = rest[:cut]
        for sep in ("\n\n", "\n", " "):
            at = window.rfind(sep)
            if at > cut // 2:  # only when it keeps the part reasonably full
                cut = at
                break
        head, rest = rest[:cut].rstrip(), rest[cut:].lstrip("\n ")
        if head:
            parts.append(head)
    if rest.strip() or not parts:
        parts.append(rest)
    return parts


def _fit(text: str, limit: int) -> int:
    """The longest prefix (in code points) whose UTF-16 length is within the limit."""
    units = 0
    for i, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > limit:
            return i
    return len(text)


def clip(text: str, limit: int) -> str:
    return text if utf16_len(text) <= limit else text[: _fit(text, limit - 1)] + "…"


def keyboard(rows: list[list[Button]]) -> Markup | None:
    if not rows:
        return None
    out = []
    for row in rows:
        buttons: list[dict[str, str]] = []
        for b in row:
            if b.url:
                buttons.append({"text": clip(b.label, 64), "url": b.url})
            else:
                if len(b.payload.encode()) > MAX_CALLBACK_BYTES:  # Button refuses it already; belt and braces
                    raise ValueError(f"button payload over {MAX_CALLBACK_BYTES} bytes")
                buttons.append({"text": clip(b.label, 64), "callback_data": b.payload})
        if buttons:
            out.append(buttons)
    return {"inline_keyboard": out} if out else None


def aiogram_markup(markup: Markup | None) -> InlineKeyboardMarkup | None:
    """The keyboard as aiogram's model, for the calls that still go through aiogram (files, polls)."""
    return InlineKeyboardMarkup.model_validate(markup) if markup else None
