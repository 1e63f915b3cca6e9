"""Routes a neutral message to its handler: commands, buttons and multi-step dialogs.

Permission checks live here, in one place: a route names the roles it serves and a
person without one of them is refused before the handler runs.

A button's payload is a typed action (bot/core/actions.py): a route registers the action's
class and its handler gets the parsed action; a payload that names no route or does not parse
(tampered, an older format) gets the stale-button answer. While a dialog is active, text, files
and `dlg:<value>` buttons go to its current step (the value in ctx.args); a command or another
button leaves the dialog.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.core.actions import Action, ActionError
from bot.core.context import Context, Joined
from bot.core.group_chat import GroupHandler
from bot.core.menus import HELP_WORDS, MENU_WORDS, menus, normalized
from bot.core.messages import Button
from db.models import Role

log = logging.getLogger(__name__)

Handler = Callable[[Joined], Awaitable[None]]  # a route or dialog step: only joined people reach it
Hook = Callable[[Context], Awaitable[None]]  # anyone, joined or not (unknown commands, refusals...)
A = TypeVar("A", bound=Action)
ActionHandler = Callable[[Joined, A], Awaitable[None]]  # a button's route: gets the parsed action
DIALOG_BUTTON = "dlg"
KEEPS_DIALOG = frozenset({"cancel", "help"})  # commands that do not end the dialog in progress


@dataclass(frozen=True)
class Route:
    handler: Handler
    roles: frozenset[Role] | None  # None: anyone who has joined


@dataclass(frozen=True)
class ButtonRoute:
    action: type[Action]
    handler: ActionHandler[Any]
    roles: frozenset[Role] | None


def _roles(roles: Iterable[Role] | None) -> frozenset[Role] | None:
    return frozenset(roles) if roles is not None else None


class Dialog:
    """A multi-step conversation: each step handler reads the input and moves on with ctx.goto()."""

    def __init__(
        self,
        name: str,
        roles: Iterable[Role] | None = None,
        buttons_again: Callable[[Joined], list[list[Button]]] | None = None,
    ) -> None:
        self.name = name
        self.roles = _roles(roles)
        self.steps: dict[str, Handler] = {}
        # The buttons to show again under an error that interrupts the dialog (a refused file...).
        self.buttons_again = buttons_again

    def step(self, name: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.steps[name] = handler
            return handler

        return register


def dialog_button(value: str | int) -> str:
    return f"{DIALOG_BUTTON}:{value}"


_T = TypeVar("_T")


def _merge(mine: dict[str, _T], theirs: dict[str, _T]) -> None:
    clash = set(mine) & set(theirs)
    if clash:
        raise ValueError(f"routes registered twice: {sorted(clash)}")
    mine.update(theirs)


class Router:
    """One audience's routes (handlers/<audience>/__init__.py) or the whole tree (handlers.build_router).

    `roles` is the audience's guard: the roles a route or dialog registered here serves unless it
    names its own.
    """

    def __init__(self, roles: Iterable[Role] | None = None) -> None:
        self.roles = _roles(roles)
        self.commands: dict[str, Route] = {}
        self.buttons: dict[str, ButtonRoute] = {}  # by the action's prefix
        self.dialogs: dict[str, Dialog] = {}
        self.quiz_handler: Handler | None = None
        self.unjoined: Hook | None = None  # someone who has not joined yet
        self.fallback: Handler | None = None  # free text or a file outside any dialog
        self.unknown_command: Handler | None = None
        self.refused: Handler | None = None  # tells a person a button or command is not theirs
        self.stale_button: Handler | None = None
        self.group_chat: GroupHandler | None = None  # commands in a group chat, the bot added or removed

    # -- registration -----------------------------------------------------------
    def command(self, *names: str, roles: Iterable[Role] | None = None) -> Callable[[Handler], Handler]:
        served = self._served(roles)

        def register(handler: Handler) -> Handler:
            for name in names:
                self.commands[name] = Route(handler, served)
            return handler

        return register

    def action(
        self, action: type[A], roles: Iterable[Role] | None = None
    ) -> Callable[[ActionHandler[A]], ActionHandler[A]]:
        """Routes the buttons of `action`: the handler gets the context and the parsed action."""
        if action.prefix == DIALOG_BUTTON:
            raise ValueError(f"{action.__name__} takes the dialog buttons' prefix")
        served = self._served(roles)

        def register(handler: ActionHandler[A]) -> ActionHandler[A]:
            if action.prefix in self.buttons:
                raise ValueError(f"{action.__name__} has a route already")
            self.buttons[action.prefix] = ButtonRoute(action, handler, served)
            return handler

        return register

    def _served(self, roles: Iterable[Role] | None) -> frozenset[Role] | None:
        return _roles(roles) if roles is not None else self.roles

    def add_dialog(self, dialog: Dialog) -> Dialog:
        if dialog.roles is None:
            dialog.roles = self.roles
        self.dialogs[dialog.name] = dialog
        return dialog

    def include(self, other: Router) -> None:
        _merge(self.commands, other.commands)
        _merge(self.buttons, other.buttons)
        _merge(self.dialogs, other.dialogs)
        for hook in (
            "quiz_handler",
            "unjoined",
            "fallback",
            "unknown_command",
            "refused",
            "stale_button",
            "group_chat",
        ):
            if getattr(other, hook) is not None:
                setattr(self, hook, getattr(other, hook))

    # -- dispatch -----------------------------------------------------------------
    async def dispatch(self, ctx: Context) -> None:
        msg = ctx.incoming
        if not isinstance(ctx, Joined):
            if self.unjoined is not None:
                await self.unjoined(ctx)
            return

        if msg.command:
            route = self.commands.get(msg.command)
            if route is None:
                await self._call(self.unknown_command, ctx)
                return
            # /cancel ends a dialog itself; /help is read in passing, and the dialog goes on after it.
            if await self._admit(route.roles, ctx, leaves_dialog=msg.command not in KEEPS_DIALOG):
                await route.handler(ctx)
            return

        if msg.button:
            await self._press(ctx, msg.button)
            return

        if msg.quiz_answer is not None:
            await self._call(self.quiz_handler, ctx)
            return

        if ctx.dialog is not None:
            await self._step(ctx)
            return
        if not await self._typed_words(ctx):
            await self._call(self.fallback, ctx)

    async def _typed_words(self, ctx: Joined) -> bool:
        """«меню», «көмек», «расписание»: a plain text that names the main menu, help or an entry of
        the person's menu does what pressing it does (WhatsApp and the web show no lasting keyboard)."""
        text = ctx.incoming.text
        if not text or ctx.incoming.attachments or len(text) > 40:
            return False
        said = normalized(text)
        command = "menu" if said in MENU_WORDS else "help" if said in HELP_WORDS else None
        if command is not None and command in self.commands:
            route = self.commands[command]
            if await self._admit(route.roles, ctx, leaves_dialog=False):
                await route.handler(ctx)
            return True
        action = menus.typed(ctx.role, text) if ctx.role is not None else None
        if action is None:
            return False
        await self._press(ctx, action.pack())
        return True

    async def _press(self, ctx: Joined, payload: str) -> None:
        prefix = payload.partition(":")[0]
        if prefix == DIALOG_BUTTON:
            ctx.args = payload.split(":")[1:]
            if ctx.dialog is not None:
                await self._step(ctx)
            else:
                await self._call(self.stale_button, ctx)
            return
        route = self.buttons.get(prefix)
        if route is None:
            await self._call(self.stale_button, ctx)
            return
        if not self.allowed(route.roles, ctx):  # a button not theirs is refused, well-formed or not
            await self._call(self.refused, ctx)
            return
        try:
            action = route.action.parse(payload)
        except ActionError as exc:
            log.info("stale button: %s", exc)
            await self._call(self.stale_button, ctx)
            return
        if not action.keeps_dialog:
            await ctx.end_dialog()
        await route.handler(ctx, action)

    async def _admit(self, roles: frozenset[Role] | None, ctx: Joined, leaves_dialog: bool) -> bool:
        """A command's route: refuses someone it does not serve; ends the dialog unless told not to."""
        if not self.allowed(roles, ctx):
            await self._call(self.refused, ctx)
            return False
        if leaves_dialog:
            await ctx.end_dialog()
        return True

    def buttons_again(self, ctx: Context) -> list[list[Button]]:
        """What the dialog in progress shows again after an error reply; nothing outside a dialog."""
        if not isinstance(ctx, Joined) or ctx.dialog is None:
            return []
        dialog = self.dialogs.get(ctx.dialog.dialog)
        return dialog.buttons_again(ctx) if dialog is not None and dialog.buttons_again else []

    async def _step(self, ctx: Joined) -> None:
        assert ctx.dialog is not None
        dialog = self.dialogs.get(ctx.dialog.dialog)
        step = dialog.steps.get(ctx.dialog.step) if dialog else None
        if dialog is None or step is None:
            # A dialog from an older version of the code: drop it rather than trap the person.
            log.warning("dialog state %s/%s has no handler", ctx.dialog.dialog, ctx.dialog.step)
            await ctx.end_dialog()
            await self._call(self.fallback, ctx)
            return
        if not self.allowed(dialog.roles, ctx):
            await ctx.end_dialog()
            await self._call(self.refused, ctx)
            return
        await step(ctx)

    @staticmethod
    def allowed(roles: frozenset[Role] | None, ctx: Context) -> bool:
        return roles is None or bool(roles & ctx.roles)

    @staticmethod
    async def _call(handler: Handler | None, ctx: Joined) -> None:
        if handler is not None:
            await handler(ctx)
