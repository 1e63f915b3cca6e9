"""Messages Ustaz starts on its own, each in its recipient's language, through the outbox."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import Reply
from bot.i18n import Translator
from bot.queues.outbox import enqueue
from db.models import Organization, Person

ReplyBuilder = Callable[[Translator], Reply | None]


async def notify(
    session: AsyncSession,
    person_ids: Iterable[int],
    build: ReplyBuilder,
    *,
    kind: str,
    not_before: dt.datetime | None = None,
    dedupe_prefix: str | None = None,
    template_vars: dict[str, Any] | None = None,
) -> int:
    """Queues one message per person, built in that person's language and zone.

    `build` gets a Translator and returns the Reply (or None to skip that person);
    it is called once per language and zone, not once per person. With
    `dedupe_prefix`, a second call for the same person and prefix queues nothing.
    Returns how many messages were queued.
    """
    ids = sorted(set(person_ids))
    if not ids:
        return 0
    rows = (
        await session.execute(
            select(Person.id, Person.locale, Organization.default_locale, Organization.timezone)
            .join(Organization, Organization.id == Person.organization_id)
            .where(Person.id.in_(ids))
        )
    ).all()
    built: dict[tuple[str, str], Reply | None] = {}
    queued = 0
    for person_id, locale, org_locale, zone in rows:
        key = (locale or org_locale, zone)
        if key not in built:
            built[key] = build(Translator(*key))
        reply = built[key]
        if reply is None:
            continue
        dedupe_key = f"{dedupe_prefix}:{person_id}" if dedupe_prefix else None
        if (
            await enqueue(
                session,
                reply,
                person_id=person_id,
                kind=kind,
                not_before=not_before,
                dedupe_key=dedupe_key,
                template_vars=template_vars,
            )
            is not None
            or dedupe_key is None
        ):
            queued += 1
    return queued
