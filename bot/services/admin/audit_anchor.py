"""The audit chain's head, kept outside the database, so that deleting the newest records shows.

Whoever can edit the database can delete the newest audit records (or all of them) and the chain
that is left is intact. So the head (the newest record's id and hash) is appended, with the time,
to an anchor log in the files store, and told to the heads of the organizations through the
outbox: `ustaz audit anchor` does it at once, the tick once a day when the chain has grown.
`ustaz audit verify` then finds every anchored record still in the chain with the same hash.

    2026-12-02T23:00:00+00:00 125 9f86d081884c7d65...
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.deps import Deps
from bot.core.messages import Reply
from bot.i18n import Translator
from db.base import utcnow
from db.models import AuditRecord, Person, PersonRole, Role

log = logging.getLogger(__name__)

ANCHOR_LOG = Path("anchors") / "audit.log"  # under the files store's root
EVERY = dt.timedelta(hours=23)  # the tick runs hourly; a day's anchor is enough


@dataclass(frozen=True)
class Anchor:
    at: dt.datetime
    seq: int  # the anchored record's id
    hash: str

    def line(self) -> str:
        return f"{self.at.isoformat()} {self.seq} {self.hash}\n"


@dataclass(frozen=True)
class AnchorFinding:
    anchor: Anchor
    last_id: int  # the newest record of the chain as it is (0: none)
    truncated: bool  # True: the anchored record is gone; False: it is there with another hash

    def explain(self, t: Translator) -> str:
        on = t.datetime(self.anchor.at, year=True)
        if not self.truncated:
            text = t.gettext("Record {seq} is not the one anchored on {date}: the audit trail was rewritten.")
            return text.format(seq=self.anchor.seq, date=on)
        if self.last_id == 0:
            text = t.gettext(
                "The audit trail is empty but was anchored at record {seq} on {date}: records were deleted."
            )
            return text.format(seq=self.anchor.seq, date=on)
        text = t.gettext(
            "The audit trail ends at record {last} but was anchored at record {seq} on {date}: "
            "records were deleted."
        )
        return text.format(last=self.last_id, seq=self.anchor.seq, date=on)


def log_path(files_root: Path) -> Path:
    return Path(files_root) / ANCHOR_LOG


def read(files_root: Path) -> list[Anchor]:
    """The anchors written so far, oldest first; a line that does not parse is logged and skipped."""
    path = log_path(files_root)
    if not path.exists():
        return []
    return list(_parse(path.read_text(encoding="utf-8").splitlines()))


def _parse(lines: Iterable[str]) -> Iterator[Anchor]:
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            at, seq, digest = line.split()
            yield Anchor(dt.datetime.fromisoformat(at), int(seq), digest)
        except ValueError:
            log.warning("audit anchor log, line %d does not parse: %r", n, line)


async def head(session: AsyncSession) -> Anchor | None:
    """The chain's newest record as an anchor taken now; None for an empty chain."""
    row = (
        await session.execute(
            select(AuditRecord.id, AuditRecord.hash).order_by(AuditRecord.id.desc()).limit(1)
        )
    ).first()
    return Anchor(utcnow(), row.id, row.hash) if row else None


def write(files_root: Path, anchor: Anchor) -> Path:
    """Appends the anchor to the log (created private), and makes it durable before returning."""
    path = log_path(files_root)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, anchor.line().encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    return path


def check(anchors: Iterable[Anchor], last_id: int, seen: dict[int, str], broken: bool) -> list[AnchorFinding]:
    """seen: the hash of each anchored record the intact part of the chain holds."""
    found = []
    beyond = [a for a in anchors if a.seq > last_id]
    if beyond and not broken:  # on a broken chain the break is the finding: beyond it nothing is known
        found.append(AnchorFinding(max(beyond, key=lambda a: a.seq), last_id, truncated=True))
    found += [
        AnchorFinding(a, last_id, truncated=False)
        for a in anchors
        if a.seq <= last_id and seen.get(a.seq) != a.hash
    ]
    return found


async def tell_heads(session: AsyncSession, anchor: Anchor) -> int:
    """The anchor to every head, in their language, through the outbox (once per anchored record)."""
    from bot.services.messaging.notify import notify

    heads = await session.scalars(
        select(PersonRole.person_id)
        .join(Person, Person.id == PersonRole.person_id)
        .where(PersonRole.role == Role.head)
    )

    def build(t: Translator) -> Reply:
        text = t.gettext(
            "The audit trail's anchor for {date}: record {seq}, {hash}. Keep this message: "
            "it lets a check show records deleted from the database."
        )
        return Reply(text.format(date=t.date(anchor.at), seq=anchor.seq, hash=anchor.hash))

    return await notify(session, heads, build, kind="report", dedupe_prefix=f"audit-anchor:{anchor.seq}")


async def anchor_tick(deps: Deps) -> None:
    """Hourly: anchors the head once a day when the chain has grown since the last anchor."""
    anchors = read(deps.files.root)
    async with deps.sessions() as session, session.begin():
        now = await head(session)
        if now is None:
            return
        last = anchors[-1] if anchors else None
        if last is not None and (last.seq == now.seq or now.at - last.at < EVERY):
            return
        write(deps.files.root, now)
        await tell_heads(session, now)
    deps.wake_sender()
