"""Which notices a person gets: each kind can be switched off and on again (Notifications)."""

from __future__ import annotations

from sqlalchemy import select

from bot.actions.common import Menu, Notifications
from bot.core.context import Joined
from bot.i18n import N_
from bot.services.messaging import digest, notices, reminders
from db.models import NotificationPreference, Role

KINDS = {
    Role.student: [
        (notices.NEW_ASSIGNMENT, N_("New assignments")),
        (reminders.DEADLINE_REMINDERS, N_("Deadline reminders")),
        (reminders.LESSON_REMINDERS, N_("Lesson reminders")),
        (notices.GRADE, N_("Grades")),
        (notices.ANNOUNCEMENT, N_("Announcements")),
    ],
    Role.parent: [
        (notices.PARENT_ASSIGNMENT, N_("New assignments")),
        (digest.PARENT_MISSED, N_("Missed deadlines")),
        (notices.PARENT_GRADE, N_("Grades")),
        (digest.PARENT_DIGEST, N_("Weekly digest")),
        (notices.ANNOUNCEMENT, N_("Announcements")),
        (notices.PARENT_ABSENCE, N_("Absences")),
        (notices.PARENT_TIMETABLE, N_("Timetable changes")),
    ],
}


async def notification_settings(ctx: Joined, kind: str | None) -> None:
    """The person's notice kinds; `kind`, if one of them, is switched off or on first."""
    assert ctx.role is not None
    kinds = KINDS.get(ctx.role, [])
    if kind in {k for k, _ in kinds}:
        row = await ctx.session.scalar(
            select(NotificationPreference).where(
                NotificationPreference.person_id == ctx.person.id, NotificationPreference.kind == kind
            )
        )
        if row is None:
            ctx.session.add(NotificationPreference(person_id=ctx.person.id, kind=kind, enabled=False))
        else:
            row.enabled = not row.enabled
        await ctx.session.flush()
    off_kinds = set(
        (
            await ctx.session.scalars(
                select(NotificationPreference.kind).where(
                    NotificationPreference.person_id == ctx.person.id,
                    NotificationPreference.enabled.is_(False),
                )
            )
        ).all()
    )
    rows = [
        [Notifications(kind).button(("🔕 " if kind in off_kinds else "🔔 ") + ctx._(label))]
        for kind, label in kinds
    ]
    ctx.reply(
        ctx._("Notifications: press a line to switch it off or on. 🔔 on, 🔕 off."),
        buttons=rows + [[Menu().button(ctx._("Main menu"))]],
    )
