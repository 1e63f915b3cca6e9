"""The gradebook as XLSX and CSV files, headed in the reader's language, kept in the file store."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.files.store import FileStore
from bot.i18n import Translator
from bot.services.coursework.gradebook import Book
from db.models import FileName

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv"


def table(book: Book, t: Translator) -> list[list[object]]:
    """The gradebook as rows of plain values: a header, then one row per student."""
    header: list[object] = ["№", t.gettext("Student")]
    header += [f"{c.title} ({c.max_score})" for c in book.columns]
    header += [
        t.gettext("Admission rating, %"),
        t.gettext("Exam, %"),
        t.gettext("Final, %"),
        t.gettext("Letter grade"),
        t.gettext("Points"),
        t.gettext("Admitted"),
    ]
    rows = [header]
    for n, row in enumerate(book.rows, start=1):
        line: list[object] = [n, row.name]
        line += [_num(row.scores.get(c.assignment_id)) for c in book.columns]
        line += [
            _num(row.admission),
            _num(row.exam),
            _num(row.final),
            row.mark.symbol if row.mark else "",
            _num(row.mark.points) if row.mark else "",
            t.gettext("yes") if row.admitted else t.gettext("no"),
        ]
        rows.append(line)
    return rows


def _num(value: Decimal | None) -> float | int | str:
    if value is None:
        return ""
    return int(value) if value == value.to_integral_value() else float(value)


def file_stem(book: Book) -> str:
    return f"{book.course.discipline} {book.group}".replace("/", "-")


def xlsx_bytes(book: Book, t: Translator) -> bytes:
    from openpyxl import Workbook  # with numpy and Pillow: only when asked for (bot/files/tables.py)
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = book.group[:31] or "Gradebook"
    for line in table(book, t):
        ws.append(line)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "C2"
    ws.column_dimensions["B"].width = 34
    for i in range(3, ws.max_column + 1):
        ws.column_dimensions[get_column_letter(i)].width = 14
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_bytes(book: Book, t: Translator) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(table(book, t))  # ";" is what Excel expects in kk/ru locales
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM makes Excel read UTF-8


async def save_export(
    session: AsyncSession, store: FileStore, book: Book, t: Translator, kind: str, person_id: int
) -> FileName:
    if kind == "xlsx":
        return await store.save(
            session,
            xlsx_bytes(book, t),
            file_stem(book) + ".xlsx",
            uploaded_by_id=person_id,
            trusted_mime=XLSX_MIME,
        )
    return await store.save(
        session, csv_bytes(book, t), file_stem(book) + ".csv", uploaded_by_id=person_id, trusted_mime=CSV_MIME
    )
