"""What a handler gets: the incoming message, who sent it, their language, and where to answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import Button, Incoming, OutFile, Quiz, Reply
from bot.i18n import Translator
from db.models import DialogState, MessengerAccount, Organization, Person, Role

if TYPE_CHECKING:
    from bot.runtime import Runtime


@dataclass
class Context:
    runtime: Runtime
    session: AsyncSession
    incoming: Incoming
    account: MessengerAccount
    person: Person | None
    org: Organization | None
    roles: frozenset[Role]
    role: Role | None
    t: Translator
    dialog: DialogState | None = None
    args: list[str] = field(default_factory=list)  # a button payload's arguments
    replies: list[Reply] = field(default_factory=list)

    # -- language -------------------------------------------------------------
    def _(self, message: str, **values: Any) -> str:
        text = self.t.gettext(message)
        return text.format(**values) if values else text

    def n_(self, singular: str, plural: str, n: int, **values: Any) -> str:
        return self.t.ngettext(singular, plural, n).format(n=n, **values)

    @property
    def locale(self) -> str:
        return self.t.locale

    # -- answering ------------------------------------------------------------
    def reply(
        self,
        text: str = "",
        buttons: list[list[Button]] | None = None,
        files: list[OutFile] | None = None,
        quiz: Quiz | None = None,
        edit: bool = False,
    ) -> Reply:
        reply = Reply(text=text, buttons=buttons or [], files=files or [], quiz=quiz, edit_source=edit)
        self.replies.append(reply)
        return reply

    # -- multi-step dialogs: the state is a database row ------------------------
    @property
    def data(self) -> dict[str, Any]:
        return dict(self.dialog.data) if self.dialog else {}

    async def start_dialog(self, name: str, step: str = "start", **data: Any) -> None:
        if self.dialog is None:
            self.dialog = DialogState(account_id=self.account.id, dialog=name, step=step, data=data)
            self.session.add(self.dialog)
        else:
            self.dialog.dialog, self.dialog.step, self.dialog.data = name, step, data
        await self.session.flush()

    async def goto(self, step: str, **data: Any) -> None:
        """Moves the dialog to `step`, merging `data` into what it remembers."""
        assert self.dialog is not None, "goto() outside a dialog"
        self.dialog.step = step
        self.dialog.data = {**self.dialog.data, **data}  # a new dict, so the JSON column is marked dirty
        await self.session.flush()

    async def remember(self, **data: Any) -> None:
        assert self.dialog is not None, "remember() outside a dialog"
        self.dialog.data = {**self.dialog.data, **data}
        await self.session.flush()

    async def end_dialog(self) -> None:
        if self.dialog is not None:
            await self.session.delete(self.dialog)
            await self.session.flush()
            self.dialog = None

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))


@dataclass
class Joined(Context):
    """The context of someone who has joined: the router hands it to every route and dialog step,
    so a handler never checks for a missing person or organization."""

    person: Person
    org: Organization
