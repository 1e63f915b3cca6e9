"""One incoming message, start to finish: who is it, in which language, which files, which handler.

It runs inside the inbox worker's transaction and returns what was replied; the inbox writes
the replies to the outbox in that same transaction (bot/queues/replies.py), so a crash either
loses nothing or repeats nothing. Nothing here knows the queues or a messenger.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Context, load_context, make_context
from bot.core.deps import Deps
from bot.core.group_chat import group_context
from bot.core.messages import Attachment, Button, Incoming, Reply
from bot.core.router import Router
from bot.files.store import FileReason, FileRejected
from bot.i18n import N_
from db import direct
from db.base import utcnow
from db.direct import DirectStatement, Entities
from db.models import Channel, DialogState, MessengerAccount, Organization, Person, PersonRole, Role
from db.statements import ignoring_insert, sorted_join

# A refused file: the context, why, and the buttons of the dialog in progress (to show them again).
FileRejectedHandler = Callable[[Context, FileRejected, list[list[Button]]], Awaitable[None]]

# How old `last_inbound_at` may grow before a message writes it again (exact on WhatsApp).
INBOUND_STALE = dt.timedelta(minutes=1)

APOLOGY = N_("Sorry, something went wrong on our side. Please try again in a minute.")


class FileFetcher(Protocol):
    """A channel's way to bring a person's file in: the limit first, then the bytes."""

    def max_bytes(self, att: Attachment) -> int: ...

    async def fetch(self, att: Attachment) -> bytes: ...


@dataclasses.dataclass(frozen=True)
class Handled:
    """What handling one message leaves to be sent: the replies, the account they answer and its person."""

    account: MessengerAccount
    person: Person | None
    replies: list[Reply]


class Conversation:
    def __init__(
        self,
        deps: Deps,
        router: Router,
        on_file_rejected: FileRejectedHandler,
        fetchers: Mapping[Channel, FileFetcher],
    ) -> None:
        self.deps = deps
        self.router = router
        self.on_file_rejected = on_file_rejected
        self.fetchers = fetchers  # the channels' own, registered as they start

    async def handle(self, session: AsyncSession, incoming: Incoming) -> Handled | None:
        """Handles one message in the caller's transaction; None when there is nothing to answer."""
        if incoming.group:
            return await self._group(session, incoming)
        if incoming.blocked is not None:
            await self._note_blocked(session, incoming)
            return None
        account, person, org, dialog, roles = await self._load(session, incoming)
        ctx = make_context(self.deps, session, incoming, account, person, org, dialog, roles)
        step_before = (dialog.dialog, dialog.step) if dialog is not None else None
        try:
            if ctx.person is not None:  # a stranger's files are not kept: they lead to joining only
                ctx.incoming = await self._take_files(ctx)
        except FileRejected as exc:
            await self.on_file_rejected(ctx, exc, self.router.buttons_again(ctx))
        else:
            await self.router.dispatch(ctx)
        step_after = (ctx.dialog.dialog, ctx.dialog.step) if ctx.dialog is not None else None
        if step_before is not None and step_before == step_after and not any(_offers(r) for r in ctx.replies):
            for reply in ctx.replies:
                reply.same_step = True
        for reply in ctx.replies:
            if reply.edit_source and incoming.source_message_id:
                reply.source_message_id = incoming.source_message_id  # the sender edits that message
        return Handled(account, ctx.person, ctx.replies)

    async def _group(self, session: AsyncSession, incoming: Incoming) -> Handled | None:
        """A command in a group chat, or the bot added to or removed from one: answered in the group."""
        ctx = await group_context(self.deps, session, incoming)
        if self.router.group_chat is not None:
            await self.router.group_chat(ctx)
        return Handled(ctx.chat, None, ctx.replies)

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

    async def apology(self, session: AsyncSession, incoming: Incoming) -> Handled:
        """The answer to a message whose handling failed for good: sorry, in the sender's language."""
        if incoming.group:  # in the group, not in the sender's private chat
            group = await group_context(self.deps, session, incoming)
            return Handled(group.chat, None, [Reply(group._(APOLOGY))])
        account = await self.account_for(session, incoming)
        ctx = await self.context(session, incoming, account)
        return Handled(account, ctx.person, [Reply(ctx._(APOLOGY))])

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
    ) -> tuple[MessengerAccount, Person | None, Organization | None, DialogState | None, frozenset[Role]]:
        """The account, its person, their organization, dialog and roles, in one statement built once."""
        found = await direct.execute(
            session, _LOAD, {"channel": incoming.channel, "external_id": incoming.external_user_id}
        )
        if not found:
            account = await self._create_account(session, incoming)
            _touch(account, incoming)
            return account, None, None, None, frozenset()
        [row] = found
        account, person, org, dialog = _SENDER.objects(session, row)
        _touch(account, incoming)
        return account, person, org, dialog, _roles(row[-1])

    async def _create_account(self, session: AsyncSession, incoming: Incoming) -> MessengerAccount:
        # Two first messages of one person may race on PostgreSQL: insert-or-ignore, then read.
        await session.execute(
            ignoring_insert(session, MessengerAccount, ["channel", "external_id"]),
            {
                "channel": incoming.channel,
                "external_id": incoming.external_user_id,
                "chat_id": incoming.chat_id,
                "created_at": utcnow(),
            },
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
        return await load_context(self.deps, session, incoming, account)

    async def _take_files(self, ctx: Context) -> Incoming:
        """Brings every attachment into the file store; a refused one stops the message."""
        incoming = ctx.incoming
        if not incoming.attachments or all(a.file_name_id for a in incoming.attachments):
            return incoming
        fetcher = self.fetchers.get(incoming.channel)
        taken: list[Attachment] = []
        for att in incoming.attachments:
            if att.file_name_id is not None:
                taken.append(att)
                continue
            if fetcher is None:
                raise FileRejected(FileReason.bad_type, att.filename or att.kind)
            name = att.filename or default_file_name(att)
            limit = fetcher.max_bytes(att)
            if att.size is not None and att.size > limit:
                raise FileRejected(FileReason.too_big, name, att.size, limit)  # refused before downloading
            data = await fetcher.fetch(att)
            saved = await self.deps.files.save(
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


# The sender's account, person, organization and dialog, with the person's roles as one text column
# (no eager-loaded collection to de-duplicate): built once, and read directly on SQLite, the objects made
# from the row (db/direct.py) rather than by the ORM's loading. `person.roles` is left unloaded, as the
# ORM's loading left it; the context has the roles.
_SENDER = Entities(MessengerAccount, Person, Organization, DialogState)
_LOAD = DirectStatement(
    select(
        *_SENDER.columns,
        select(sorted_join(PersonRole.role))
        .where(PersonRole.person_id == Person.id)
        .correlate(Person)
        .scalar_subquery()
        .label("roles"),
    )
    .outerjoin(Person, Person.id == MessengerAccount.person_id)
    .outerjoin(Organization, Organization.id == Person.organization_id)
    .outerjoin(DialogState, DialogState.account_id == MessengerAccount.id)
    .where(
        MessengerAccount.channel == bindparam("channel"),
        MessengerAccount.external_id == bindparam("external_id"),
    )
)


def _roles(joined: str | None) -> frozenset[Role]:
    return frozenset(Role(r) for r in joined.split(",")) if joined else frozenset()


def _offers(reply: Reply) -> bool:
    """Whether a reply offers something to press (a link alone is not a choice)."""
    return reply.quiz is not None or any(not b.url for row in reply.buttons for b in row)


def _touch(account: MessengerAccount, incoming: Incoming) -> None:
    """What the latest message says about its account: where to answer, when they last wrote.

    Each attribute is set only when it changes: an account left unmodified costs no flush (at every
    later statement of the transaction and at its commit)."""
    if account.chat_id != incoming.chat_id:
        account.chat_id = incoming.chat_id
    now = utcnow()
    last = account.last_inbound_at
    # Written when it is stale only (a row update saved on nearly every message); WhatsApp's 24-hour
    # window is counted from it, so there it stays exact.
    if last is None or incoming.channel == Channel.whatsapp or now - last >= INBOUND_STALE:
        account.last_inbound_at = now
    if account.unreachable_at is not None:
        account.unreachable_at = None  # they wrote to us: reachable again
    # The messenger's language is a first guess only: a language chosen here (lang:…) is not undone by
    # the app's settings on the next message.
    if incoming.language_code and not account.language_code:
        account.language_code = incoming.language_code
    if incoming.display_name and account.display_name != incoming.display_name:
        account.display_name = incoming.display_name
    if incoming.username and account.username != incoming.username:
        account.username = incoming.username


def default_file_name(att: Attachment) -> str:
    ext = {"photo": "jpg", "voice": "ogg", "audio": "mp3", "video": "mp4", "video_note": "mp4"}.get(
        att.kind, "bin"
    )
    return f"{att.kind}.{ext}"
