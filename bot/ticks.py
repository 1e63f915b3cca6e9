"""The periodic work, listed in one place: reminders, digests, reports, overdue tests, WhatsApp templates."""

from __future__ import annotations

from bot.runtime import Runtime


def register(runtime: Runtime) -> None:
    """Each feature that needs a periodic tick adds it here."""
    from bot.services.admin.audit_anchor import anchor_tick
    from bot.services.admin.reports import weekly_tick
    from bot.services.coursework import quizzes
    from bot.services.messaging import digest, reminders

    runtime.add_tick("reminders-plan", 300, reminders.plan_tick)
    runtime.add_tick("reminders", 30, reminders.queue_tick)
    runtime.add_tick("parents-missed", 600, digest.missed_tick)
    runtime.add_tick("parents-digest", 900, digest.digest_tick)
    runtime.add_tick("weekly-report", 3600, weekly_tick)
    runtime.add_tick("tests-overdue", 60, quizzes.overdue_tick)
    runtime.add_tick("audit-anchor", 3600, anchor_tick)  # anchors once a day when the chain grew
    if runtime.settings.whatsapp_enabled:
        from bot.channels.whatsapp.store import release_templated

        runtime.add_tick("whatsapp-templates", 600, release_templated)
