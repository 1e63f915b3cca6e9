"""What a handler gets: the incoming message, who sent it, their language, where to answer, and what it
may use besides (`deps`: settings, files, links, the channels' facts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.core.deps import Deps
from bot.core.messages import Button, Incoming, OutFile, Quiz, Reply
from bot.i18n import Translator, pick_locale
from db.models import DialogState, MessengerAccount, Organization, Person, Role

SHOWN = "_shown"  # dialog data: the buttons the current step showed


@dataclass
class Context:
    deps: Deps
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
        if buttons and self.dialog is not None:
            # The step's choices, to show again under an answer that is not one of them (ask_again).
            shown = [[[b.label, b.payload, b.url] for b in row] for row in buttons]
            if self.dialog.data.get(SHOWN) != shown:  # the same buttons again: no row update to flush
                self.dialog.data = {**self.dialog.data, SHOWN: shown}
        return reply

    def ask_again(self, text: str) -> Reply:
        """Answers a step's wrong input with `text` and the buttons the step last showed."""
        shown = self.dialog.data.get(SHOWN, []) if self.dialog is not None else []
        buttons = [[Button(label, payload, url) for label, payload, url in row] for row in shown]
        return self.reply(text, buttons=buttons)

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


def make_context(
    deps: Deps,
    session: AsyncSession,
    incoming: Incoming,
    account: MessengerAccount,
    person: Person | None,
    org: Organization | None,
    dialog: DialogState | None,
    roles: frozenset[Role] | None = None,
) -> Context:
    """The context of a message from what is known of its sender: their role and language chosen here.

    `roles`: the person's, when the caller has them already (else read from `person.roles`)."""
    if roles is None:
        roles = frozenset(r.role for r in person.roles) if person else frozenset()
    role = person.active_role if person and person.active_role in roles else None
    if role is None and roles:
        role = sorted(roles, key=_role_order)[0]
    default = (org.default_locale if org else None) or deps.settings.default_locale
    locale = (person.locale if person else None) or pick_locale(account.language_code, default)
    zone = org.timezone if org else deps.settings.timezone
    t = Translator(locale, zone)
    if person is not None and org is not None:
        return Joined(deps, session, incoming, account, person, org, roles, role, t, dialog)
    return Context(deps, session, incoming, account, person, org, roles, role, t, dialog)


async def load_context(
    deps: Deps, session: AsyncSession, incoming: Incoming, account: MessengerAccount
) -> Context:
    """The context of a message from its account: the person, their organization and dialog read anew."""
    person = None
    org = None
    if account.person_id is not None:
        person = await session.scalar(
            select(Person).options(selectinload(Person.roles)).where(Person.id == account.person_id)
        )
    if person is not None:
        org = await session.get(Organization, person.organization_id)
    dialog = await session.scalar(select(DialogState).where(DialogState.account_id == account.id))
    return make_context(deps, session, incoming, account, person, org, dialog)


async def fresh_context(ctx: Context) -> Context:
    """The same message's context read again, after joining or a new language: the new person, role and
    language. What was replied so far stays, and what the new context replies follows it."""
    fresh = await load_context(ctx.deps, ctx.session, ctx.incoming, ctx.account)
    fresh.replies = ctx.replies
    return fresh


_ROLE_ORDER = ["head", "deputy", "methodist", "admin", "teacher", "tutor", "parent", "student"]


def _role_order(role: object) -> int:
    return _ROLE_ORDER.index(str(role)) if str(role) in _ROLE_ORDER else 99
