"""Every button has a route, so a dead button fails CI.

(a) every action of the catalogue (bot/actions) has a route in the whole tree;
(b) every payload the screens of each role build, walked from the main menu of the demo school,
    parses to an action with a route, or is a dialog button shown while a dialog waits;
(c) no Button in bot/ or handlers/ is given a literal or f-string payload: buttons come from actions;
and a tampered payload gets the stale-button answer, not an error retried three times.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest
from sqlalchemy import select

import bot.actions
from bot.core.actions import Action, ActionError, registry
from bot.core.messages import Button
from bot.core.router import DIALOG_BUTTON
from bot.runtime import Runtime
from bot.screens.walk import WALKERS, walk
from db.models import DialogState, InboxStatus, InboxUpdate, Person, PersonRole, Role
from handlers import build_router
from tests.harness import Harness, Seat, texts

ROOT = Path(__file__).resolve().parents[2]


def catalogue() -> list[type[Action]]:
    return [
        cls
        for module in bot.actions.AUDIENCES
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, Action) and cls.__module__ == module.__name__
    ]


def test_every_action_has_a_route() -> None:
    routes = build_router().buttons
    actions = catalogue()
    assert len(actions) > 70
    missing = [cls.__name__ for cls in actions if cls.prefix not in routes]
    assert missing == []
    assert all(routes[cls.prefix].action is cls for cls in actions)


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ("trq:abc", "not a number"),
        ("trq:1:2:3", "arguments"),
        ("tbx:3:pdf", "not a ExportFormat"),
        ("tatt:+1", "not a number"),
        ("nosuch:1", "no such action"),
        ("sap:", "empty"),
    ],
)
def test_a_payload_that_does_not_fit_is_refused(payload: str, problem: str) -> None:
    with pytest.raises(ActionError, match=problem):
        registry.parse(payload)


def test_actions_pack_to_the_payloads_people_already_have() -> None:
    from bot.actions.parent import ChildTimetable
    from bot.actions.student import Span, Topics
    from bot.actions.teacher import Attendance, ExportFormat, GradebookExport, GradeQueue

    assert GradeQueue().pack() == "trq" and GradeQueue(12).pack() == "trq:12"
    assert GradebookExport(3, ExportFormat.csv).pack() == "tbx:3:csv"
    assert ChildTimetable(5, Span.week).pack() == "ktt:5:week"
    assert Topics(None, 7).pack() == "top::7" and Topics.parse("top::7") == Topics(None, 7)
    assert Attendance.parse("tatt:4:9") == Attendance(4, 9)
    with pytest.raises(ValueError, match="64 bytes"):
        from bot.actions.common import Notifications

        Notifications("x" * 70).pack()


def test_an_action_packed_once_packs_the_same_and_stays_equal_to_a_fresh_one() -> None:
    """A packed action keeps its payload (menus pack the same actions on every screen): the payload,
    equality, hash and repr are those of a fresh instance, and a changed copy packs anew."""
    import dataclasses

    from bot.actions.teacher import GradeQueue

    shown = GradeQueue(12)
    assert shown.pack() == "trq:12" and shown.pack() == "trq:12"
    assert (
        shown == GradeQueue(12)
        and hash(shown) == hash(GradeQueue(12))
        and repr(shown) == "GradeQueue(assignment_id=12)"
    )
    assert dataclasses.replace(shown, assignment_id=13).pack() == "trq:13"
    assert registry.parse(shown.pack()) == shown


def test_a_prefix_is_taken_once() -> None:
    with pytest.raises(TypeError, match="taken"):

        class Twin(Action, prefix="trq"):
            pass


def test_no_button_is_given_a_literal_payload() -> None:
    found = []
    for path in [*ROOT.joinpath("bot").rglob("*.py"), *ROOT.joinpath("handlers").rglob("*.py")]:
        if path == ROOT / "bot" / "core" / "actions.py":
            continue  # link_button: a link's payload is never sent back
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if name != "Button":
                continue
            payload = (
                node.args[1]
                if len(node.args) > 1
                else next((k.value for k in node.keywords if k.arg == "payload"), None)
            )
            if isinstance(payload, ast.Constant | ast.JoinedStr | ast.BinOp):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []


async def test_a_tampered_payload_gets_the_stale_answer_once(demo: Runtime, harness: Harness) -> None:
    teacher = await harness.seat_for("Сергей Викторович Ким")
    for payload in ("trq:abc", "trq:1:2:3", "tbx:1:pdf", "sok:1"):
        replies = await harness.say(teacher, button=payload)
        shown = texts(replies)
        assert "больше не действует" in shown or "недоступно" in shown, (payload, shown)
        assert "ошибка" not in shown
    async with demo.sessions() as session:
        rows = (await session.scalars(select(InboxUpdate))).all()
    assert rows and all(r.status == InboxStatus.done and r.attempts == 1 for r in rows)


# -- (b) a walk through every role's screens -------------------------------------------------------


async def _in_dialog(runtime: Runtime, seat: Seat) -> bool:
    async with runtime.sessions() as session:
        found = await session.scalar(select(DialogState.id).where(DialogState.account_id == seat.account_id))
    return found is not None


async def _walk(runtime: Runtime, harness: Harness, seat: Seat, depth: int = 2) -> None:
    """Presses every button of the main menu, then the buttons of what each shows (a few per kind)."""
    async for step in walk(harness, seat, depth):
        dialog_buttons = [
            b.payload for r in step.replies for row in r.buttons for b in row if b.payload.startswith("dlg:")
        ]
        if dialog_buttons and step.payload is not None:
            assert await _in_dialog(runtime, seat), (step.payload, dialog_buttons)


async def test_every_button_a_screen_shows_reaches_a_route(
    demo: Runtime, harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[str] = []
    check = Button.__post_init__

    def record(self: Button) -> None:
        check(self)
        if self.url is None:
            built.append(self.payload)

    monkeypatch.setattr(Button, "__post_init__", record)

    async with demo.sessions() as session, session.begin():
        head = await session.scalar(select(Person.id).where(Person.full_name == "Ерлан Маратұлы Жұмабаев"))
        assert head is not None
        session.add_all([PersonRole(person_id=head, role=r) for r in (Role.deputy, Role.admin)])
    for name, role in WALKERS:
        async with demo.sessions() as session:
            person = await session.scalar(select(Person.id).where(Person.full_name == name))
        await _walk(demo, harness, await harness.seat(person, role))

    routes = build_router().buttons
    kinds = {p.partition(":")[0] for p in built}
    assert len(kinds) > 40, sorted(kinds)  # the walk went far enough to mean something
    dead = []
    for payload in set(built):
        if payload.startswith(DIALOG_BUTTON + ":"):
            continue  # checked during the walk: shown only while a dialog waits
        try:
            action = registry.parse(payload)
        except ActionError:
            dead.append(payload)
            continue
        if action.prefix not in routes:
            dead.append(payload)
    assert dead == []
