"""The inbox's side of a conversation: the core answers a message, the inbox writes the replies.

The replies go to the outbox in the transaction that marks the inbox row done, so a crash
either loses nothing or repeats nothing. Replies this process's sender can take are written
already claimed by it and collected as jobs, handed to it once that transaction has committed.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.core.conversation import Conversation, Handled
from bot.core.messages import Incoming, Reply
from bot.core.router import Router
from bot.queues.outbox import REPLY_PRIORITY, Job, OutboxSender, enqueue
from db.models import MessengerAccount, Person


class Host(Protocol):
    """What writing replies needs of the running process (bot/runtime.py has it)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def sender(self) -> OutboxSender | None: ...


class InboxConversation:
    """The core's conversation as the inbox worker runs it: handled, then written to the outbox."""

    def __init__(self, host: Host, conversation: Conversation) -> None:
        self.host = host
        self.conversation = conversation

    @property
    def router(self) -> Router:
        return self.conversation.router

    async def handle(
        self, session: AsyncSession, incoming: Incoming, handed: list[Job] | None = None
    ) -> list[Reply]:
        """Handles one message; its replies go to the outbox in the caller's transaction.

        With `handed`, replies the sender of this process can take are written already claimed
        by it and added there as jobs, to be handed over once the caller has committed.
        """
        handled = await self.conversation.handle(session, incoming)
        if handled is None:
            return []
        await self.write(session, handled, handed)
        return handled.replies

    async def apologize(self, session: AsyncSession, incoming: Incoming) -> None:
        await self.write(session, await self.conversation.apology(session, incoming))

    async def write(self, session: AsyncSession, handled: Handled, handed: list[Job] | None = None) -> None:
        """The replies into the outbox, each a row of kind "reply" to the account it answers."""
        account, sender = handled.account, self.host.sender
        claim = sender.reply_claim(account) if handed is not None and sender is not None else None
        for reply in handled.replies:
            row_id = await enqueue(
                session, reply, account_id=account.id, kind="reply", priority=REPLY_PRIORITY, claimed_by=claim
            )
            if claim is not None and sender is not None and handed is not None and row_id is not None:
                locale = await self._delivery_locale(session, account, handled.person)
                handed.append(sender.reply_job(row_id, account, reply, locale))

    async def _delivery_locale(
        self, session: AsyncSession, account: MessengerAccount, person: Person | None
    ) -> str:
        """The language the sender would find for this account: its person's (who may have just joined)."""
        if account.person_id is not None and (person is None or person.id != account.person_id):
            person = await session.get(Person, account.person_id)
        return (person.locale if person else None) or self.host.settings.default_locale
