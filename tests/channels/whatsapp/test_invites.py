"""Invites of the roster sent to the people's phones through the outbox: business-initiated, so they wait
for a WhatsApp template of the kind "invite" and go as one; the person then joins by sending the code."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from sqlalchemy import select

from bot.cli import staff as staff_cli
from bot.files.tables import xlsx
from bot.services.admin.demo import ORG_NAME, ensure_demo
from db.models import Invite, MessengerAccount, OutboxMessage, OutboxStatus, Person
from tests.channels.whatsapp.conftest import TEMPLATES, WhatsApp, text_of
from tests.harness import Harness, settings_for, texts
from tests.staff.helpers import start_import

HEAD = "Ерлан Маратұлы Жұмабаев"
INVITE_TEMPLATES = {**TEMPLATES, "invite": {"kk": "HX" + "d" * 32, "ru": "HX" + "e" * 32}}


def roster(rows: list[list[str]]) -> bytes:
    return xlsx([("R", ["role", "full name", "group", "language", "phone"], rows)])


async def invite_rows(wa: WhatsApp) -> list[OutboxMessage]:
    async with wa.runtime.sessions() as session:
        return list(
            (await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "invite"))).all()
        )


async def code_of(wa: WhatsApp, full_name: str) -> str:
    async with wa.runtime.sessions() as session:
        code = await session.scalar(
            select(Invite.code)
            .join(Person, Person.id == Invite.person_id)
            .where(Person.full_name == full_name)
        )
    assert code is not None
    return code


async def test_invites_wait_for_a_template_then_go_as_one_and_the_code_joins(wa: WhatsApp) -> None:
    await ensure_demo(wa.runtime)
    harness = Harness(wa.runtime)
    head = await harness.seat_for(HEAD)
    await start_import(harness, head, "roster")
    imported = await harness.say(
        head,
        files=[
            (
                "roster.xlsx",
                roster(
                    [
                        ["student", "Нұрлан Асқарұлы Сейтқали", "ПО-21", "kk", "+7 701 555 12 34"],
                        ["student", "Ирина Павловна Смирнова", "ИС-22", "ru", "87015551235"],
                        ["student", "Борис Ильич Телефонов", "ИС-22", "ru", ""],
                    ]
                ),
            )
        ],
    )
    replies = await harness.press(head, imported[-1], "Шақыруларды жіберу")
    shown = texts(replies)
    assert "2 шақыру WhatsApp-қа жіберілді." in shown and "адамның телефон нөмірі жоқ" in shown
    assert "«invite» үлгісі бапталмаған" in shown
    kk_phone, ru_phone = wa.phone("+77015551234"), wa.phone("+77015551235")
    rows = await invite_rows(wa)
    assert [r.status for r in rows] == [OutboxStatus.waiting_template] * 2  # waiting, never dropped
    assert kk_phone.received() == [] and ru_phone.received() == []
    async with wa.runtime.sessions() as session:
        accounts = (
            await session.scalars(
                select(MessengerAccount).where(MessengerAccount.id.in_([r.account_id for r in rows]))
            )
        ).all()
    assert sorted((a.external_id, a.person_id, a.language_code) for a in accounts) == [
        ("+77015551234", None, "kk"),
        ("+77015551235", None, "ru"),
    ]

    # Pressed again: nothing is sent twice.
    replies = await harness.press(head, imported[-1], "Шақыруларды жіберу")
    assert "0 шақыру WhatsApp-қа жіберілді." in texts(replies) and "2 шақыру бұрын жіберілген" in texts(
        replies
    )
    assert len(await invite_rows(wa)) == 2

    # One of them writes first: the window opens and their invite goes as an ordinary message, in Kazakh.
    answer = text_of(await kk_phone.send("Сәлеметсіз бе"))
    kk_code = await code_of(wa, "Нұрлан Асқарұлы Сейтқали")
    assert f"Нұрлан Асқарұлы Сейтқали, {ORG_NAME} сізді өзінің оқу көмекшісі Ustaz-ға шақырады" in answer
    # No Telegram bot is known to this server: no link to someone else's bot, the code alone.
    assert f"осында жіберіңіз: {kk_code}" in answer and "t.me" not in answer and "Telegram" not in answer

    # The template is approved and set: the other waiting invite goes as one, in its person's language
    # (the unclaimed account speaks Russian, though the organization's default is Kazakh).
    wa.runtime.settings.twilio_templates = INVITE_TEMPLATES
    (tick,) = [t for t in wa.runtime.ticks if t.name == "whatsapp-templates"]
    assert await tick.run(wa.runtime) == 1
    await wa.settle()
    (ru_sent,) = ru_phone.received()
    assert kk_phone.received() == []
    code = await code_of(wa, "Ирина Павловна Смирнова")
    assert ru_sent.content_sid == INVITE_TEMPLATES["invite"]["ru"] and ru_sent.body is None
    assert json.loads(ru_sent.get("ContentVariables") or "") == {
        "1": "Ирина Павловна Смирнова",
        "2": ORG_NAME,
        "3": code,
        "4": f"отправьте код {code} в этот чат Ustaz организации «{ORG_NAME}»",
    }
    assert [r.status for r in await invite_rows(wa)] == [OutboxStatus.sent] * 2

    # The person answers with the code from that phone and joins.
    answer = await ru_phone.send(code)
    assert "Ирина" in text_of(answer)
    async with wa.runtime.sessions() as session:
        bound = await session.scalar(
            select(Person.full_name)
            .join(MessengerAccount, MessengerAccount.person_id == Person.id)
            .where(MessengerAccount.external_id == "+77015551235")
        )
    assert bound == "Ирина Павловна Смирнова"


async def test_the_cli_sends_the_invites_it_imports(
    wa: WhatsApp,
    database_url: str,
    tmp_path: Path,
    capsys,  # type: ignore[no-untyped-def]
) -> None:
    await ensure_demo(wa.runtime)
    wa.runtime.settings.twilio_templates = INVITE_TEMPLATES
    file = tmp_path / "roster.xlsx"
    # A parent needs a child: the file names one of the demo's students.
    file.write_bytes(
        xlsx(
            [
                (
                    "R",
                    ["role", "full name", "language", "phone", "child"],
                    [
                        [
                            "parent",
                            "Айгерім Болатқызы Серікова",
                            "kk",
                            "+77015559999",
                            "Айдана Серікқызы Бекова",
                        ]
                    ],
                )
            ]
        )
    )
    args = argparse.Namespace(file=file, invites=None, org=None, lang="ru", send=True)

    # Without WhatsApp the CLI says so and imports nothing.
    offline = settings_for(database_url, tmp_path)
    assert await staff_cli.cmd_roster(offline, args) == 2
    assert "для --send нужен WhatsApp" in capsys.readouterr().err  # in --lang, as every line of the run

    assert await staff_cli.cmd_roster(wa.runtime.settings, args) == 0
    assert "Приглашения в очереди на WhatsApp: 1" in capsys.readouterr().out
    await wa.settle()
    (sent,) = wa.phone("+77015559999").received()
    assert sent.content_sid == INVITE_TEMPLATES["invite"]["kk"]
    variables = json.loads(sent.get("ContentVariables") or "")
    assert variables["3"] == await code_of(wa, "Айгерім Болатқызы Серікова")
