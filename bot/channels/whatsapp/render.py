"""The core's neutral Reply → the WhatsApp messages Twilio is asked to send.

WhatsApp has no inline keyboard outside templates, so buttons become numbered
choices (the person answers with the number or the label), a quiz becomes
numbered options, a text longer than Twilio's 1600 characters is split, and
each file goes as its own message with a MediaUrl (one media per message).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.core.messages import OutFile, Reply

MAX_BODY = 1600  # Twilio refuses longer bodies (error 21617)
MAX_CAPTION = 1024  # WhatsApp's limit for a file's caption


@dataclass(frozen=True, slots=True)
class WhatsAppMessage:
    body: str = ""
    media_url: str | None = None


@dataclass(slots=True)
class Rendered:
    messages: list[WhatsAppMessage] = field(default_factory=list)
    # What "1", "2"... mean from now on (empty: nothing is offered any more).
    choices: list[dict[str, Any]] = field(default_factory=list)


def split_text(text: str, limit: int = MAX_BODY) -> list[str]:
    """Pieces of at most `limit` characters, cut at a paragraph, a line, a space, in that order."""
    text = text.strip()
    pieces: list[str] = []
    while len(text) > limit:
        window = text[:limit]
        for sep in ("\n\n", "\n", " "):
            cut = window.rfind(sep)
            if cut >= limit // 2:  # a break late enough not to leave tiny pieces
                break
        else:
            cut = limit  # one unbroken run: cut it
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        pieces.append(text)
    return pieces


def choices_of(reply: Reply) -> tuple[list[dict[str, Any]], list[str]]:
    """Numbered choices for the payload buttons and the quiz, and plain lines for link buttons."""
    choices: list[dict[str, Any]] = []
    links: list[str] = []
    for row in reply.buttons:
        for button in row:
            if button.url:
                links.append(f"{button.label}: {button.url}")
            else:
                choices.append({"n": len(choices) + 1, "label": button.label, "payload": button.payload})
    if reply.quiz:
        base = len(choices)
        for i, option in enumerate(reply.quiz.options):
            choices.append({"n": base + i + 1, "label": option, "quiz": reply.quiz.ref, "option": i})
    return choices, links


def render(
    reply: Reply,
    file_url: Callable[[OutFile], str],
    hint: str = "",
    as_link: Callable[[OutFile], bool] = lambda f: False,
) -> Rendered:
    """`file_url` gives the public link of a file; `hint` is the translated "answer with a number" line;
    a file `as_link` says is too big for WhatsApp goes as a link in the text instead of as media."""
    choices, links = choices_of(reply)
    links += [f"📎 {file_url(f)}" for f in reply.files if as_link(f)]
    reply = dataclasses.replace(reply, files=[f for f in reply.files if not as_link(f)])
    text = reply.text.strip()
    links = [line for line in links if line.rsplit(": ", 1)[-1] not in text]  # a link already in the text
    if reply.quiz:
        text = "\n\n".join(t for t in (text, reply.quiz.question.strip()) if t)
    menu = "\n".join(f"{c['n']}. {c['label']}" for c in choices)
    if menu and hint:
        menu += "\n\n" + hint
    extra = "\n".join(links)

    messages: list[WhatsAppMessage] = []
    # Files are shown before the choices, so that the question is the last thing on screen.
    tail = "\n\n".join(p for p in (extra, menu) if p)
    if reply.files:
        messages += [WhatsAppMessage(body=p) for p in split_text("\n\n".join(p for p in (text, extra) if p))]
        for f in reply.files:
            messages.append(WhatsAppMessage(body=(f.caption or "")[:MAX_CAPTION], media_url=file_url(f)))
        if menu:
            messages += [WhatsAppMessage(body=p) for p in split_text(menu)]
    else:
        messages += [WhatsAppMessage(body=p) for p in split_text("\n\n".join(p for p in (text, tail) if p))]
    return Rendered(messages=messages, choices=choices)
