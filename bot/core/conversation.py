"""One incoming message, start to finish: who is it, in which language, which files, which handler.

Runs inside the inbox worker's transaction: the replies are written to the outbox
in the same transaction that marks the inbox row done, so a crash either loses
nothing or repeats nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from bot.core.context import Context, Joined
from bot.core.messages import Attachment, Incoming, Reply
from bot.core.router import Router
from bot.files.store import FileRejected
from bot.i18n import N_, Translator, pick_locale
from bot.queues.outbox import REPLY_PRIORITY, enqueue
from db.base import utcnow
from db.models import DialogState, MessengerAccount, Organization, Person
from db.statements import insert_or_ignore

if TYPE_CHECKING:
    from bot.queues.outbox import Job
    from bot.runtime import Runtime

FileRejectedHandler = Callable[[Context, FileRejected], Awaitable[None]]

APOLOGY = N_("Sorry, something went wrong on our side. Please try again in a minute.")


class Conversation:
    def __init__(self, runtime: Runtime, router: Router, on_file_rejected: FileRejectedHandler) -> None:
        self.runtime = runtime
        self.router = router
        self.on_file_rejected = on_file_rejected

    async def handle(
        self, session: AsyncSession, incoming: Incoming, handed: list[Job] | None = None
    ) -> list[Reply]:
        """Handles one message; its replies go to the outbox in the caller's transaction.

        With `handed`, replies the sender of this process can take are written already claimed
        by it and added there as jobs, to be handed over once the caller has committed.
        """
        if incoming.blocked is not None:
            await self._note_blocked(session, incoming)
            return []
        account, person, org, dialog = await self._load(session, incoming)
        ctx = self._context(session, incoming, account, person, org, dialog)
        step_before = (dialog.dialog, dialog.step) if dialog is not None else None
        try:
            if ctx.person is not None:  # a stranger's files are not kept: they lead to joining only
                ctx.incoming = await self._take_files(ctx)
        except FileRejected as exc:
            await self.on_file_rejected(ctx, exc)
        else:
            await self.router.dispatch(ctx)
        step_after = (ctx.dialog.dialog, ctx.dialog.step) if ctx.dialog is not None else None
        if step_before is not None and step_before == step_after and not any(_offers(r) for r in ctx.replies):
            for reply in ctx.replies:
                reply.same_step = True
        sender = self.runtime.sender
        claim = sender.reply_claim(account) if handed is not None and sender is not None else None
        for reply in ctx.replies:
            if reply.edit_source and incoming.source_message_id:
                reply.source_message_id = incoming.source_message_id  # the sender edits that message
            row_id = await enqueue(
                session, reply, account_id=account.id, kind="reply", priority=REPLY_PRIORITY, claimed_by=claim
            )
            if claim is not None and sender is not None and handed is not None and row_id is not None:
                locale = await self._delivery_locale(session, account, ctx.person)
                handed.append(sender.reply_job(row_id, account, reply, locale))
        return ctx.replies

    async def _note_blocked(self, session: AsyncSession, incoming: Incoming) -> None:
        """A block is known at once, so notices take the person's other channels without a failed try."""
        account = await session.scalar(
            select(MessengerAccount).where(
                MessengerAccount.channel == incoming.channel,
                MessengerAccount.external_id == incoming.external_user_id,
            )
        )
        if account is not None:  # a stranger who blocks leaves nothing to keep
            account.unreachable_at = utcnow() if incoming.blocked else None

    async def apologize(self, session: AsyncSession, incoming: Incoming) -> None:
        account = await self.account_for(session, incoming)
        ctx = await self.context(session, incoming, account)
        await enqueue(
            session, Reply(ctx._(APOLOGY)), account_id=account.id, kind="reply", priority=REPLY_PRIORITY
        )

    async def account_for(self, session: AsyncSession, incoming: Incoming) -> MessengerAccount:
        """The sender's account, created on first contact; remembers when they last wrote."""
        account = await session.scalar(
            select(MessengerAccount).where(
                MessengerAccount.channel == incoming.channel,
                MessengerAccount.external_id == incoming.external_user_id,
            )
        )
        if account is None:
            account = await self._create_account(session, incoming)
        _touch(account, incoming)
        return account

    async def _load(
        self, session: AsyncSession, incoming: Incoming
    ) -> tuple[MessengerAccount, Person | None, Organization | None, DialogState | None]:
        """The account, its person with roles, their organization and the dialog, in one query."""
        found = (
            (
                await session.execute(
                    select(MessengerAccount, Person, Organization, DialogState)
                    .outerjoin(Person, Person.id == MessengerAccount.person_id)
                    .outerjoin(Organization, Organization.id == Person.organization_id)
                    .outerjoin(DialogState, DialogState.account_id == MessengerAccount.id)
                    .where(
                        MessengerAccount.channel == incoming.channel,
                        MessengerAccount.external_id == incoming.external_user_id,
                    )
                    .options(joinedload(Person.roles))
                )
            )
            .unique()
            .first()
        )
        if found is None:
            account = await self._create_account(session, incoming)
            _touch(account, incoming)
            return account, None, None, None
        account, person, org, dialog = found
        _touch(account, incoming)
        return account, person, org, dialog

    async def _delivery_locale(
        self, session: AsyncSession, account: MessengerAccount, person: Person | None
    ) -> str:
        """The language the sender would find for this account: its person's (who may have just joined)."""
        if account.person_id is not None and (person is None or person.id != account.person_id):
            person = await session.get(Person, account.person_id)
        return (person.locale if person else None) or self.runtime.settings.default_locale

    async def _create_account(self, session: AsyncSession, incoming: Incoming) -> MessengerAccount:
        # Two first messages of one person may race on PostgreSQL: insert-or-ignore, then read.
        await session.execute(
            insert_or_ignore(session, MessengerAccount, ["channel", "external_id"]).values(
                channel=incoming.channel,
                external_id=incoming.external_user_id,
                chat_id=incoming.chat_id,
                created_at=utcnow(),
            )
        )
        account = await session.scalar(
            select(MessengerAccount).where(
                MessengerAccount.channel == incoming.channel,
                MessengerAccount.external_id == incoming.external_user_id,
            )
        )
        assert account is not None
        return account

    async def context(self, session: AsyncSession, incoming: Incoming, account: MessengerAccount) -> Context:
        person = None
        org = None
        if account.person_id is not None:
            person = await session.scalar(
                select(Person).options(selectinload(Person.roles)).where(Person.id == account.person_id)
            )
        if person is not None:
            org = await session.get(Organization, person.organization_id)
        dialog = await session.scalar(select(DialogState).where(DialogState.account_id == account.id))
        return self._context(session, incoming, account, person, org, dialog)

    def _context(
        self,
        session: AsyncSession,
        incoming: Incoming,
        account: MessengerAccount,
        person: Person | None,
        org: Organization | None,
        dialog: DialogState | None,
    ) -> Context:
        roles = frozenset(r.role for r in person.roles) if person else frozenset()
        role = person.active_role if person and person.active_role in roles else None
        if role is None and roles:
            role = sorted(roles, key=_role_order)[0]
        default = (org.default_locale if org else None) or self.runtime.settings.default_locale
        locale = (person.locale if person else None) or pick_locale(account.language_code, default)
        zone = org.timezone if org else self.runtime.settings.timezone
        t = Translator(locale, zone)
        if person is not None and org is not None:
            return Joined(self.runtime, session, incoming, account, person, org, roles, role, t, dialog)
        return Context(self.runtime, session, incoming, account, person, org, roles, role, t, dialog)

    async def _take_files(self, ctx: Context) -> Incoming:
        """Brings every attachment into the file store; a refused one stops the message."""
        incoming = ctx.incoming
        if not incoming.attachments or all(a.file_name_id for a in incoming.attachments):
            return incoming
        fetcher = self.runtime.file_fetchers.get(incoming.channel)
        taken: list[Attachment] = []
        for att in incoming.attachments:
            if att.file_name_id is not None:
                taken.append(att)
                continue
            if fetcher is None:
                raise FileRejected("bad_type", att.filename or att.kind)
            name = att.filename or default_file_name(att)
            limit = fetcher.max_bytes(att)
            if att.size is not None and att.size > limit:
                raise FileRejected("too_big", name, att.size, limit)  # refused before downloading
            data = await fetcher.fetch(att)
            saved = await self.runtime.files.save(
                ctx.session, data, name, att.kind, ctx.person.id if ctx.person else None, max_bytes=limit
            )
            taken.append(
                dataclasses.replace(
                    att,
                    stored_file_id=saved.stored_file_id,
                    file_name_id=saved.id,
                    filename=saved.name,
                    size=len(data),
                )
            )
        return dataclasses.replace(incoming, attachments=tuple(taken))


def _offers(reply: Reply) -> bool:
    """Whether a reply offers something to press (a link alone is not a choice)."""
    return reply.quiz is not None or any(not b.url for row in reply.buttons for b in row)


def _touch(account: MessengerAccount, incoming: Incoming) -> None:
    """What the latest message says about its account: where to answer, when they last wrote."""
    account.chat_id = incoming.chat_id
    account.last_inbound_at = utcnow()
    account.unreachable_at = None  # they wrote to us: reachable again
    # The messenger's language is a first guess only: a language chosen here (lang:…) is not undone by
    # the app's settings on the next message.
    if incoming.language_code and not account.language_code:
        account.language_code = incoming.language_code
    if incoming.display_name:
        account.display_name = incoming.display_name
    if incoming.username:
        account.username = incoming.username


def default_file_name(att: Attachment) -> str:
    ext = {"photo": "jpg", "voice": "ogg", "audio": "mp3", "video": "mp4", "video_note": "mp4"}.get(
        att.kind, "bin"
    )
    return f"{att.kind}.{ext}"


_ROLE_ORDER = ["head", "deputy", "methodist", "admin", "teacher", "tutor", "parent", "student"]


def _role_order(role: object) -> int:
    return _ROLE_ORDER.index(str(role)) if str(role) in _ROLE_ORDER else 99
