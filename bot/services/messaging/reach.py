"""Who a notice will really reach: the count every screen reports («sent to 9 of 10 students»), and by
name those it will not, with what to do about them.

A person is reached through any account not marked unreachable: Telegram and the web chat always;
WhatsApp inside its 24-hour window, or outside it when the organization has an approved template for
the notice's kind. Someone with no account (never joined) or only unreachable ones cannot be reached:
invite them again. Someone reachable only on WhatsApp outside the window and without a template waits
for one (or for their next message).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator
from db.base import utcnow
from db.models import Channel, MessengerAccount, Person

WHATSAPP_WINDOW = dt.timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class Reach:
    reached: int
    total: int
    unreachable: list[str] = field(default_factory=list)  # names: no channel at all
    waiting_template: list[str] = field(default_factory=list)  # names: WhatsApp, no template

    def __add__(self, other: Reach) -> Reach:
        return Reach(
            self.reached + other.reached,
            self.total + other.total,
            self.unreachable + other.unreachable,
            self.waiting_template + other.waiting_template,
        )


async def reach(
    session: AsyncSession,
    person_ids: Iterable[int],
    kind: str,
    templates: Mapping[str, object],
    now: dt.datetime | None = None,
) -> Reach:
    """How many of `person_ids` a notice of `kind` will reach, and who it will not."""
    ids = sorted(set(person_ids))
    if not ids:
        return Reach(0, 0)
    now = now or utcnow()
    has_template = kind in templates
    state: dict[int, str] = dict.fromkeys(ids, "none")  # none < template < ok
    rows = await session.execute(
        select(MessengerAccount.person_id, MessengerAccount.channel, MessengerAccount.last_inbound_at).where(
            MessengerAccount.person_id.in_(ids), MessengerAccount.unreachable_at.is_(None)
        )
    )
    for person_id, channel, last_inbound in rows.all():
        if (
            channel != Channel.whatsapp
            or has_template
            or (last_inbound and now - last_inbound < WHATSAPP_WINDOW)
        ):
            state[person_id] = "ok"
        elif state[person_id] == "none":
            state[person_id] = "template"
    missing = [i for i in ids if state[i] != "ok"]
    names = dict(
        (await session.execute(select(Person.id, Person.full_name).where(Person.id.in_(missing))))
        .tuples()
        .all()
    )
    return Reach(
        reached=sum(1 for s in state.values() if s == "ok"),
        total=len(ids),
        unreachable=sorted(names[i] for i in missing if state[i] == "none"),
        waiting_template=sorted(names[i] for i in missing if state[i] == "template"),
    )


def not_reached_text(t: Translator, found: Reach) -> str:
    """The lines a screen adds under its count: who will not get it, and how to reach them."""
    lines = []
    if found.unreachable:
        lines.append(
            t.gettext(
                "No way to reach: {names}. They have not joined or have blocked Ustaz: invite them again."
            ).format(names=", ".join(found.unreachable))
        )
    if found.waiting_template:
        lines.append(
            t.gettext(
                "Waiting for a WhatsApp template: {names}. They get it when they next write, or once the "
                "organization configures an approved template for this notice."
            ).format(names=", ".join(found.waiting_template))
        )
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class GroupReach:
    students: Reach
    parents: Reach

    @property
    def everyone(self) -> Reach:
        return self.students + self.parents


async def group_reach(
    session: AsyncSession,
    student_ids: Iterable[int],
    student_kind: str,
    parent_kind: str,
    templates: Mapping[str, object],
) -> GroupReach:
    """What a notice to these students and their parents reaches; who switched it off is not counted."""
    from bot.services.messaging.notices import parents_of, switched_off

    students = sorted(set(student_ids))
    off = await switched_off(session, students, student_kind)
    parent_ids = sorted({p for ps in (await parents_of(session, students)).values() for p in ps})
    parents_off = await switched_off(session, parent_ids, parent_kind)
    return GroupReach(
        await reach(session, [s for s in students if s not in off], student_kind, templates),
        await reach(session, [p for p in parent_ids if p not in parents_off], parent_kind, templates),
    )
