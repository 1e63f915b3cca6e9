"""Shared steps of the staff tests: reading PDFs and XLSX files that reached a chat, opening an import."""

from __future__ import annotations

import io

import pypdf
from openpyxl import load_workbook
from sqlalchemy import select

from bot.core.messages import Reply
from bot.files.pdf import Document, render
from bot.runtime import Runtime
from db.models import CreditCapCategory, Group, Person, Program, ProgramLevel
from tests.harness import Harness, Seat


def scan(text: str = "Анықтама / Справка") -> bytes:
    """A small real PDF, as a person's scanned document would be."""
    return render(Document(text).para(text))


async def file_bytes(runtime: Runtime, file_name_id: int) -> tuple[str, bytes]:
    async with runtime.sessions() as session:
        data = await runtime.files.load(session, file_name_id)
    return data.name, data.data


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def xlsx_rows(data: bytes, sheet: int = 0) -> list[list[object]]:
    book = load_workbook(io.BytesIO(data), read_only=True)
    return [list(r) for r in book.worksheets[sheet].iter_rows(values_only=True)]


async def files_of(runtime: Runtime, replies: list[Reply]) -> list[tuple[str, bytes]]:
    return [await file_bytes(runtime, f.file_name_id) for r in replies for f in r.files]


def button_payload(reply: Reply, prefix: str) -> str:
    for row in reply.buttons:
        for b in row:
            if b.payload.startswith(prefix):
                return b.payload
    raise AssertionError(f"no button {prefix!r} in {[b.payload for row in reply.buttons for b in row]}")


# What the import menu shows, per language: the menu entry, then each kind of file.
IMPORTING = {
    "kk": {
        "menu": "Файлдан импорттау",
        "roster": "Тізім: білім алушылар, ата-аналар, педагогтер",
        "programs": "Бағдарламалар",
        "courses": "Курстар",
        "timetable": "Сабақ кестесі",
        "calendar": "Академиялық күнтізбе",
        "invites": "Шақыруларды жіберу",
    },
    "ru": {
        "menu": "Импорт из файла",
        "roster": "Список: обучающиеся, родители, педагоги",
        "programs": "Программы",
        "courses": "Курсы",
        "timetable": "Расписание занятий",
        "calendar": "Академический календарь",
        "invites": "Разослать приглашения",
    },
}


async def language_of(harness: Harness, seat: Seat) -> str:
    """The language the seat's person reads Ustaz in (the organization's Kazakh when none is set)."""
    async with harness.runtime.sessions() as session:
        locale = await session.scalar(select(Person.locale).where(Person.id == seat.person_id))
    return locale or "kk"


async def start_import(harness: Harness, seat: Seat, kind: str) -> list[Reply]:
    """Opens the import menu from the main menu and presses the kind of file, as the person reads them."""
    words = IMPORTING[await language_of(harness, seat)]
    return await harness.tap(seat, words["menu"], words[kind])


async def make_bachelor(demo: Runtime, category: CreditCapCategory = CreditCapCategory.none) -> None:
    """The demo college's program made a bachelor's one, for the categories and caps of higher education."""
    async with demo.sessions() as session, session.begin():
        group = await session.scalar(select(Group).where(Group.name == "ИС-22"))
        assert group is not None and group.program_id is not None
        program = await session.get(Program, group.program_id)
        assert program is not None
        program.level = ProgramLevel.bachelor
        program.credit_cap_category = category
