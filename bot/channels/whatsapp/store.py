"""What the WhatsApp channel keeps in the database: offered choices, message parts, statuses, daily starts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, delete, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.whatsapp.media import limit_for
from db.base import utcnow
from db.models import (
    Channel,
    DialogState,
    FileName,
    MessengerAccount,
    OutboxMessage,
    OutboxStatus,
    StoredFile,
    WhatsAppBusinessStart,
    WhatsAppChoices,
    WhatsAppPart,
)
from db.session import is_postgres
from db.statements import dialect_insert, insert_or_ignore

if TYPE_CHECKING:
    from bot.core.deps import Deps

WINDOW = dt.timedelta(hours=24)
OUTSIDE_WINDOW = "63016"  # WhatsApp's word that the 24-hour window is closed: only a template may go
# The part number of a template sent after WhatsApp refused the free-form parts (63016 in a
# status callback): a part of its own, so that the refused ones can neither block nor hide it.
TEMPLATE_PART = 1000
CAP_LOCK_KEY = 0x75737A04  # the advisory lock that serializes the daily cap's count

# How far a message has got; a callback never moves a status back down this scale.
# A proof of delivery outranks a failure report that arrived after it.
RANK = {
    "accepted": 0, "queued": 0, "sending": 0,
    "sent": 1,
    "failed": 2, "undelivered": 2,
    "delivered": 3,
    "read": 4,
}  # fmt: skip
OUTBOX_STATUS = {
    "sent": OutboxStatus.sent,
    "failed": OutboxStatus.failed,
    "undelivered": OutboxStatus.undelivered,
    "delivered": OutboxStatus.delivered,
    "read": OutboxStatus.read,
}
_OUTBOX_RANK = {OutboxStatus.sent: 1, OutboxStatus.failed: 2, OutboxStatus.undelivered: 2,
                OutboxStatus.delivered: 3, OutboxStatus.read: 4}  # fmt: skip


# A part refused for the closed window was replaced by a template: it neither blocks nor shows.
_not_outside_window = or_(WhatsAppPart.error_code.is_(None), WhatsAppPart.error_code != OUTSIDE_WINDOW)


# -- numbered choices --------------------------------------------------------------------------


async def choices_for_phone(session: AsyncSession, phone: str) -> list[dict[str, Any]]:
    row = await session.scalar(
        select(WhatsAppChoices.choices)
        .join(MessengerAccount, MessengerAccount.id == WhatsAppChoices.account_id)
        .where(MessengerAccount.channel == Channel.whatsapp, MessengerAccount.external_id == phone)
    )
    return list(row or [])


async def in_dialog(session: AsyncSession, account_id: int) -> bool:
    """Whether the person is in the middle of a dialog (its step waits for their answer)."""
    return (
        await session.scalar(select(DialogState.id).where(DialogState.account_id == account_id)) is not None
    )


async def remember_choices(session: AsyncSession, account_id: int, choices: list[dict[str, Any]]) -> None:
    """What "1", "2"... mean for this account from now on; none offered clears the old ones."""
    if not choices:
        await session.execute(delete(WhatsAppChoices).where(WhatsAppChoices.account_id == account_id))
        return
    stmt = dialect_insert(session, WhatsAppChoices).values(
        account_id=account_id, choices=choices, offered_at=utcnow()
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["account_id"],
            set_={"choices": stmt.excluded.choices, "offered_at": stmt.excluded.offered_at},
        )
    )


async def too_big_to_attach(session: AsyncSession, ids: list[int]) -> set[int]:
    """The files WhatsApp would refuse as media (16 MB, images 5 MB): they go as links instead."""
    if not ids:
        return set()
    rows = await session.execute(
        select(FileName.id, StoredFile.size, StoredFile.mime)
        .join(StoredFile, StoredFile.id == FileName.stored_file_id)
        .where(FileName.id.in_(ids))
    )
    return {file_id for file_id, size, mime in rows.all() if size > limit_for(mime)}


async def file_names(session: AsyncSession, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    found = await session.execute(select(FileName.id, FileName.name).where(FileName.id.in_(ids)))
    return dict(found.tuples().all())


# -- parts of an outbox row --------------------------------------------------------------------


async def sent_parts(session: AsyncSession, outbox_id: int) -> dict[int, str]:
    """Parts of this row Twilio already accepted: part number → MessageSid.

    A part WhatsApp then refused for the closed window does not count: it may go again.
    """
    rows = await session.execute(
        select(WhatsAppPart.part, WhatsAppPart.sid).where(
            WhatsAppPart.outbox_id == outbox_id,
            WhatsAppPart.sid.is_not(None),
            _not_outside_window,
        )
    )
    return {part: sid for part, sid in rows}


async def record_part(session: AsyncSession, outbox_id: int, part: int, sid: str) -> None:
    # A status callback may have come first and made the row: keep its status. A part sent
    # again (refused for the window before) starts over.
    stmt = dialect_insert(session, WhatsAppPart).values(
        outbox_id=outbox_id, part=part, sid=sid, status="queued", updated_at=utcnow()
    )
    same = WhatsAppPart.sid == stmt.excluded.sid
    fresh = {
        "sid": sid,
        "status": case((same, WhatsAppPart.status), else_="queued"),
        "error_code": case((same, WhatsAppPart.error_code), else_=None),
    }
    await session.execute(stmt.on_conflict_do_update(index_elements=["outbox_id", "part"], set_=fresh))


async def window_closed(session: AsyncSession, outbox_id: int, last_inbound_at: dt.datetime | None) -> bool:
    """WhatsApp refused a part of this row for the closed window since the person last wrote."""
    refused = select(WhatsAppPart.id).where(
        WhatsAppPart.outbox_id == outbox_id, WhatsAppPart.error_code == OUTSIDE_WINDOW
    )
    if last_inbound_at is not None:
        refused = refused.where(WhatsAppPart.updated_at > last_inbound_at)
    return bool(await session.scalar(select(refused.exists())))


async def record_unsent(
    session: AsyncSession, outbox_id: int, parts: Iterable[int], error_code: str | None
) -> None:
    """Parts given up on: failed, with no sid (they were never accepted)."""
    for part in parts:
        stmt = insert_or_ignore(session, WhatsAppPart, ["outbox_id", "part"]).values(
            outbox_id=outbox_id,
            part=part,
            sid=None,
            status="failed",
            error_code=error_code,
            updated_at=utcnow(),
        )
        await session.execute(stmt)


async def record_status(
    session: AsyncSession,
    *,
    sid: str,
    status: str,
    error_code: str | None,
    outbox_id: int | None,
    part: int | None,
) -> bool:
    """Applies one status callback; False when it names no message of ours."""
    status = status.lower()
    if status not in RANK:
        return False
    if outbox_id is None or part is None:
        found = (await session.execute(select(WhatsAppPart.outbox_id, WhatsAppPart.part).where(
            WhatsAppPart.sid == sid))).first()  # fmt: skip
        if found is None:
            return False
        outbox_id, part = found
    if await session.get(OutboxMessage, outbox_id) is None:
        return False
    stmt = insert_or_ignore(session, WhatsAppPart, ["outbox_id", "part"]).values(
        outbox_id=outbox_id, part=part, sid=sid, status=status, error_code=error_code, updated_at=utcnow()
    )
    await session.execute(stmt)
    row = await session.scalar(
        select(WhatsAppPart)
        .where(WhatsAppPart.outbox_id == outbox_id, WhatsAppPart.part == part)
        .with_for_update()
    )
    assert row is not None
    if RANK[status] > RANK.get(row.status, 0):
        row.status, row.updated_at = status, utcnow()
        if error_code:
            row.error_code = error_code
    await session.flush()
    if error_code == OUTSIDE_WINDOW and RANK[status] == RANK["failed"]:
        await _requeue_for_template(session, outbox_id)
    await _roll_up(session, outbox_id)
    return True


async def _requeue_for_template(session: AsyncSession, outbox_id: int) -> None:
    """Accepted, then refused for the closed window: the row goes again, as a template (see the sender)."""
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == outbox_id,
            OutboxMessage.status.in_([OutboxStatus.sent, OutboxStatus.failed, OutboxStatus.undelivered]),
        )
        .values(
            status=OutboxStatus.pending,
            not_before=utcnow(),
            error_code=OUTSIDE_WINDOW,
            error="WhatsApp: outside the 24-hour window",
        )
        .execution_options(synchronize_session=False)
    )


async def _roll_up(session: AsyncSession, outbox_id: int) -> None:
    """The row shows its least advanced part (a failed part shows), and only moves forward."""
    parts = (
        await session.scalars(
            select(WhatsAppPart).where(WhatsAppPart.outbox_id == outbox_id, _not_outside_window)
        )
    ).all()
    if not parts:
        return
    # A part Twilio accepted and has not reported on yet counts as sent.
    worst = min(parts, key=lambda p: max(RANK.get(p.status, 0), 1))
    target = OUTBOX_STATUS.get(worst.status, OutboxStatus.sent)
    row = await session.get(OutboxMessage, outbox_id, with_for_update=True)
    assert row is not None
    current = _OUTBOX_RANK.get(row.status)
    if current is None:  # still pending or being sent: the sender records "sent" itself
        return
    if _OUTBOX_RANK[target] > current:
        row.status, row.status_at = target, utcnow()
        if worst.error_code:
            row.error_code = worst.error_code


# -- the 24-hour window and the daily cap ------------------------------------------------------


def in_window(last_inbound_at: dt.datetime | None, now: dt.datetime, margin: dt.timedelta) -> bool:
    """Whether a free-form message may still go: the person wrote within 24 hours (less a margin)."""
    return last_inbound_at is not None and now - last_inbound_at < WINDOW - margin


async def start_allowed(
    session: AsyncSession, account_id: int, cap: int, now: dt.datetime
) -> dt.datetime | None:
    """None when a template may go to this account now; else when the daily cap has room again.

    The cap counts unique people Ustaz started a conversation with in the last 24 hours
    (the sender's WhatsApp messaging tier); someone already counted costs nothing more.
    """
    since = now - WINDOW
    recent = WhatsAppBusinessStart.started_at > since
    already = await session.scalar(
        select(WhatsAppBusinessStart.id)
        .where(recent, WhatsAppBusinessStart.account_id == account_id)
        .limit(1)
    )
    if already is not None:
        return None
    count = await session.scalar(
        select(func.count(func.distinct(WhatsAppBusinessStart.account_id))).where(recent)
    )
    if (count or 0) < cap:
        return None
    oldest = await session.scalar(select(func.min(WhatsAppBusinessStart.started_at)).where(recent))
    return (oldest or now) + WINDOW


async def reserve_start(
    session: AsyncSession, account_id: int, outbox_id: int, cap: int, now: dt.datetime
) -> dt.datetime | None:
    """Counts this conversation against the daily cap before it is sent; see `start_allowed`.

    Senders working in parallel (and other processes, on PostgreSQL) take the check
    and the count one at a time, so the cap is never overrun.
    """
    if is_postgres(session):
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CAP_LOCK_KEY})
    room_at = await start_allowed(session, account_id, cap, now)
    if room_at is None:
        session.add(WhatsAppBusinessStart(account_id=account_id, outbox_id=outbox_id, started_at=now))
    return room_at


async def cancel_start(session: AsyncSession, outbox_id: int) -> None:
    """Twilio refused the template: the conversation did not start."""
    await session.execute(delete(WhatsAppBusinessStart).where(WhatsAppBusinessStart.outbox_id == outbox_id))


async def requeue_waiting(
    session: AsyncSession,
    *,
    account_id: int | None = None,
    person_id: int | None = None,
    kinds: list[str] | None = None,
) -> int:
    """Puts messages that waited for a template back in line (the person wrote, or a template was set)."""
    stmt = update(OutboxMessage).where(OutboxMessage.status == OutboxStatus.waiting_template)
    if account_id is not None or person_id is not None:
        who = []
        if account_id is not None:
            who.append(OutboxMessage.account_id == account_id)
        if person_id is not None:
            who.append(OutboxMessage.person_id == person_id)
        stmt = stmt.where(or_(*who))
    if kinds is not None:
        stmt = stmt.where(OutboxMessage.kind.in_(kinds))
    result = await session.execute(
        stmt.values(status=OutboxStatus.pending, not_before=utcnow(), error=None).execution_options(
            synchronize_session=False
        )
    )
    return result.rowcount or 0  # type: ignore[attr-defined]


async def release_templated(deps: Deps) -> int:
    """The periodic tick: messages that waited for a template go again once their kind has one."""
    kinds = list(deps.settings.twilio_templates)
    if not kinds:
        return 0
    async with deps.sessions() as session, session.begin():
        released = await requeue_waiting(session, kinds=kinds)
    if released:
        deps.wake_sender()
    return released
