"""What everyone who has joined may press: the menu, help, language, role, notifications."""

from __future__ import annotations

import enum

from bot.core.actions import Action
from db.models import Role


class Menu(Action, prefix="menu"):
    pass


class Help(Action, prefix="help"):
    keeps_dialog = True  # read in passing: the dialog goes on after it


class Cancel(Action, prefix="cancel"):
    keeps_dialog = True  # the «Cancel» button a dialog shows (cancel_row) ends it itself


class Language(Action, prefix="lang"):
    code: str | None = None  # a locale; none: the choice of languages


class SwitchRole(Action, prefix="role"):
    role: Role | None = None  # none: the choice of roles


class Notifications(Action, prefix="ntf"):
    kind: str | None = None  # a notice kind to switch off or on


class Acknowledge(Action, prefix="ack"):
    """A student or parent has read an announcement that asks for it."""

    announcement_id: int


class Consent(Action, prefix="pdc"):
    """Consent to the processing of personal data (law No. 94-V): the text, then «I agree»."""

    agree: int | None = None  # 1: agreed


class MessengerStep(enum.StrEnum):
    link = "link"  # a new link code to send from the other messenger
    notices = "notices"  # notices go first to the account
    unlink = "unlink"  # ask before unlinking the account
    unlink_yes = "unlink_yes"


class Messengers(Action, prefix="msgr"):
    """«My messengers»: the person's accounts, linking another one, where notices go, unlinking."""

    step: MessengerStep | None = None  # none: the list
    account_id: int | None = None


class CalendarLink(Action, prefix="ical"):
    """The person's private calendar link; `renew` set: a new link, the old one stops working."""

    renew: int | None = None


class ClassChats(Action, prefix="cchat"):
    """The groups whose Telegram group chat the person may link; with a group: its code and state."""

    group_id: int | None = None


class UnlinkClassChat(Action, prefix="cchatx"):
    group_id: int
