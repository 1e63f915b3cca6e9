"""The register of orders: enrolment orders, the XLSX export in chat and by CLI; the CLI's audit check."""

from __future__ import annotations

import argparse
import datetime as dt
import io
from pathlib import Path

import openpyxl
from sqlalchemy import select, text

from bot.cli import staff as staff_cli
from bot.files.tables import xlsx
from bot.runtime import Runtime
from db.models import Person, PersonRole, Role
from tests.harness import Harness, texts
from tests.staff.helpers import files_of, pdf_text, xlsx_rows

HEAD = "Ерлан Маратұлы Жұмабаев"
REGISTER, NEW_ORDER, SIGN = "Бұйрықтар тізілімі", "Жаңа бұйрық", "Қол қою"  # the head reads Kazakh


async def transfer(harness: Harness, head) -> list:  # type: ignore[no-untyped-def]
    await harness.tap(head, REGISTER, NEW_ORDER, "ауыстыру")
    replies = await harness.say(head, "Дәулет")
    replies = await harness.press(head, replies[-1], "ИС-22")
    preview = await harness.say(head, "Өз өтініші бойынша")
    return await harness.press(head, preview[-1], SIGN)


async def test_transfer_order_moves_the_student_and_is_exported(demo: Runtime, harness: Harness) -> None:
    head = await harness.seat_for(HEAD)
    replies = await transfer(harness, head)
    assert "тізілімге енгізілді" in texts(replies)
    order_text = pdf_text((await files_of(demo, replies))[0][1])
    assert "Ауыстыру туралы" in order_text and "ПО-21 тобынан ИС-22 тобына" in order_text
    async with demo.sessions() as session:
        student = await session.scalar(select(Person).where(Person.full_name == "Дәулет Қайратұлы Сейітов"))
        assert student is not None
        role = await session.scalar(
            select(PersonRole).where(PersonRole.person_id == student.id, PersonRole.role == Role.student)
        )
        group_name = await session.scalar(
            text("SELECT name FROM study_group WHERE id = :g"), {"g": role.group_id}
        )
    assert group_name == "ИС-22"

    await harness.tap(head, REGISTER, NEW_ORDER, "оқудан шығару")
    await harness.say(head, "Тоқтаров")
    preview = await harness.say(head, "Оқу ақысын төлемеген")
    replies = await harness.press(head, preview[-1], SIGN)
    assert "002/" in texts(replies)

    listing = await harness.tap(head, REGISTER)
    assert "001/" in texts(listing) and "ауыстыру" in texts(listing) and "оқудан шығару" in texts(listing)
    exported = await harness.press(head, listing[-1], "XLSX-ке экспорттау")
    rows = xlsx_rows((await files_of(demo, exported))[0][1])
    assert rows[0] == ["Нөмірі", "Күні", "Түрі", "Білім алушы", "Топ", "Негіздеме", "Қол қойған"]
    assert [r[2] for r in rows[1:]] == ["ауыстыру", "оқудан шығару"]
    assert rows[1][3] == "Дәулет Қайратұлы Сейітов" and rows[1][4] == "ИС-22"
    assert rows[1][5] == "Өз өтініші бойынша"  # the typed grounds, as typed
    # 001 item 9 (the database of orders): the date is a date cell, not text, shown dd.mm.yyyy
    book = openpyxl.load_workbook(io.BytesIO((await files_of(demo, exported))[0][1]))
    issued = book.active.cell(row=2, column=2)
    assert isinstance(issued.value, dt.datetime) and issued.number_format == "DD.MM.YYYY"

    out = demo.settings.files_dir.parent / "orders.xlsx"
    args = argparse.Namespace(out=out, year=None, org=None, lang="ru")
    assert await staff_cli.cmd_orders(demo.settings, args) == 0
    rows = xlsx_rows(out.read_bytes())
    assert rows[0][:3] == ["Номер", "Дата", "Вид"] and [r[2] for r in rows[1:]] == ["перевод", "отчисление"]


async def test_cli_roster_import_and_audit_verify(demo: Runtime, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    good = tmp_path / "roster.xlsx"
    good.write_bytes(
        xlsx([("R", ["role", "full name", "group"], [["student", "Ильяс Ерланович Омаров", "ИС-22"]])])
    )
    invites = tmp_path / "invites.csv"
    args = argparse.Namespace(file=good, invites=invites, org=None, lang="ru")
    assert await staff_cli.cmd_roster(demo.settings, args) == 0
    assert "Ильяс Ерланович Омаров" in invites.read_text(encoding="utf-8")
    header, row = invites.read_text(encoding="utf-8").splitlines()
    assert header == "ФИО,Роль,Группа,Код приглашения" and row.startswith(
        "Ильяс Ерланович Омаров,обучающийся,ИС-22,"
    )
    # Without --lang the list speaks the organization's language (the demo college's is Kazakh).
    listing = tmp_path / "invites.xlsx"
    args = argparse.Namespace(file=good, invites=listing, org=None, lang=None)
    assert await staff_cli.cmd_roster(demo.settings, args) == 0
    rows = xlsx_rows(listing.read_bytes())
    assert rows[0] == ["Аты-жөні", "Рөлі", "Топ", "Шақыру коды"]
    assert rows[1][:3] == ["Ильяс Ерланович Омаров", "білім алушы", "ИС-22"] and len(rows[1][3]) == 8
    assert "Тізім импортталды: 0 жаңа адам, 1 бұрыннан бар" in capsys.readouterr().out

    bad = tmp_path / "bad.csv"
    bad.write_text("role,full name,group\nstudent,Одно,\n", encoding="utf-8")
    args = argparse.Namespace(file=bad, invites=None, org=None, lang="ru")
    assert await staff_cli.cmd_roster(demo.settings, args) == 1
    err = capsys.readouterr().err
    assert "Строка 2: ФИО не указано" in err and "Строка 2: у обучающегося должна быть указана группа" in err

    verify = argparse.Namespace(audit_action="verify")
    assert await staff_cli.cmd_audit(demo.settings, verify) == 0
    # The import's record, and the one that sealed the demo school's rows.
    assert "intact: 2 records" in capsys.readouterr().out
    async with demo.sessions() as session, session.begin():
        await session.execute(text("UPDATE audit_record SET actor_id = NULL, action = 'delete'"))
    assert await staff_cli.cmd_audit(demo.settings, verify) == 1
    assert "BROKEN at record" in capsys.readouterr().err


async def test_cli_messages_speak_one_language(demo: Runtime, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """001 item 9 (the database of orders and the roster, kept by staff): a CLI run speaks one language,
    --lang's (or the organization's): no English line among Russian or Kazakh ones."""
    roster_file = tmp_path / "roster.xlsx"
    roster_file.write_bytes(
        xlsx([("R", ["role", "full name", "group"], [["student", "Ильяс Ерланович Омаров", "ИС-22"]])])
    )
    invites = tmp_path / "invites.csv"
    args = argparse.Namespace(file=roster_file, invites=invites, org=None, lang="ru")
    assert await staff_cli.cmd_roster(demo.settings, args) == 0
    out = capsys.readouterr().out
    assert f"Приглашения: {invites}" in out and "Invites" not in out

    args = argparse.Namespace(file=tmp_path / "missing.xlsx", invites=None, org=None, lang="kk")
    assert await staff_cli.cmd_roster(demo.settings, args) == 2
    assert "Мұндай файл жоқ:" in capsys.readouterr().err

    out_file = tmp_path / "orders.xlsx"
    args = argparse.Namespace(out=out_file, year=None, org=None, lang="kk")
    assert await staff_cli.cmd_orders(demo.settings, args) == 0
    said = capsys.readouterr().out
    assert "0 бұйрық жазылды:" in said and "orders" not in said.replace(str(out_file), "")
