"""Prometheus metrics at GET /metrics (prometheus-client's text format).

Counters are kept as things happen (each outbox result, each Telegram 429); the queue gauges are
read from the database at each scrape, so they are true for every process sharing it: depth and
age of the oldest waiting item of the inbox, of the outbox per channel, and of due reminders;
the handling time of updates done in the last five minutes; each loop's health; and the channels'
own counters (Telegram updates read leniently or given up, the event loop's longest stall).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import InboxStatus, InboxUpdate, OutboxMessage, OutboxStatus, Reminder, ReminderStatus

REGISTRY = CollectorRegistry()
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

OUTBOX_RESULTS = Counter(
    "ustaz_outbox_results", "Outbox deliveries by result (Sent, RetryLater, Failed...) and message kind",
    ["result", "kind"], registry=REGISTRY,
)  # fmt: skip
TELEGRAM_429 = Counter("ustaz_telegram_rate_limited", "Telegram's 429 answers", registry=REGISTRY)
WAITING = Gauge("ustaz_queue_waiting", "Items waiting in a queue", ["queue", "channel"], registry=REGISTRY)
OLDEST = Gauge(
    "ustaz_queue_oldest_seconds", "Age of the oldest waiting item of a queue", ["queue", "channel"],
    registry=REGISTRY,
)  # fmt: skip
HANDLING = Gauge(
    "ustaz_update_handling_seconds", "From arrival to handled, updates done in the last 5 minutes",
    ["quantile"], registry=REGISTRY,
)  # fmt: skip
LOOP_UP = Gauge("ustaz_loop_up", "1 when the loop runs and makes progress", ["loop"], registry=REGISTRY)
COUNTS = Gauge("ustaz_counter", "The channels' own counters", ["group", "name"], registry=REGISTRY)

RECENT = dt.timedelta(minutes=5)


def _age(now: dt.datetime, oldest: dt.datetime | None) -> float:
    return max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0


async def read_queues(session: AsyncSession) -> None:
    now = utcnow()
    WAITING.clear()
    OLDEST.clear()
    inbox = (
        await session.execute(
            select(func.count(), func.min(InboxUpdate.received_at)).where(
                InboxUpdate.status.in_((InboxStatus.new, InboxStatus.processing))
            )
        )
    ).one()
    WAITING.labels("inbox", "").set(inbox[0])
    OLDEST.labels("inbox", "").set(_age(now, inbox[1]))
    outbox = await session.execute(
        select(OutboxMessage.channel, func.count(), func.min(OutboxMessage.not_before))
        .where(OutboxMessage.status.in_((OutboxStatus.pending, OutboxStatus.sending)))
        .group_by(OutboxMessage.channel)
    )
    for channel, count, oldest in outbox:
        label = channel.value if channel is not None else "unrouted"
        WAITING.labels("outbox", label).set(count)
        OLDEST.labels("outbox", label).set(_age(now, oldest))
    due = (
        await session.execute(
            select(func.count(), func.min(Reminder.due_at)).where(
                Reminder.status == ReminderStatus.planned, Reminder.due_at <= now
            )
        )
    ).one()
    WAITING.labels("reminders", "").set(due[0])
    OLDEST.labels("reminders", "").set(_age(now, due[1]))
    handled = (
        await session.execute(
            select(InboxUpdate.received_at, InboxUpdate.processed_at).where(
                InboxUpdate.status == InboxStatus.done, InboxUpdate.processed_at >= now - RECENT
            )
        )
    ).all()
    times = sorted(max(0.0, (done - got).total_seconds()) for got, done in handled if done is not None)
    for quantile in (0.5, 0.99):
        HANDLING.labels(str(quantile)).set(
            times[min(len(times) - 1, int(quantile * len(times)))] if times else 0
        )


def read_health(loops: Mapping[str, str], counters: dict[str, Mapping[str, int]]) -> None:
    LOOP_UP.clear()
    for name, state in loops.items():
        LOOP_UP.labels(name).set(1 if state == "ok" else 0)
    for group, counts in counters.items():
        for name, value in counts.items():
            COUNTS.labels(group, name).set(value)


def render() -> bytes:
    return generate_latest(REGISTRY)
