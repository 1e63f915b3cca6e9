"""Reading and writing the tables staff exchange with Ustaz: CSV and XLSX.

A table is read into rows of strings keyed by a canonical column name, each with
the line number the person sees in their spreadsheet, so errors can cite it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

# openpyxl is imported where a spreadsheet is read or written, not with this module: with it come
# numpy and Pillow (it uses them when present): 28 MB in a bare interpreter, 20 MB of a started bot,
# that every process would keep for a feature staff use now and then. The first spreadsheet after a
# start pays the import once.

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class TableUnreadable(Exception):
    """The file is neither a CSV nor an XLSX Ustaz can read."""


@dataclass(frozen=True)
class Row:
    line: int  # 1-based, as the spreadsheet shows it (the header is line 1)
    values: dict[str, str]

    def get(self, key: str) -> str:
        return self.values.get(key, "").strip()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return (
            value.date().isoformat()
            if value.time() == dt.time()
            else value.isoformat(sep=" ", timespec="minutes")
        )
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def decode_text(data: bytes) -> str:
    """A text table's characters: UTF-8 (with or without a BOM), UTF-16 with a BOM ("Unicode text" of
    Excel), or Windows-1251 (Excel's CSV on Russian Windows). Raises UnicodeDecodeError."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1251")


def _raw_rows(data: bytes, name: str) -> list[list[str]]:
    if data[:4] == b"PK\x03\x04":
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise TableUnreadable(name) from exc
        sheet = book.worksheets[0]
        rows = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        book.close()
        return rows
    try:
        text = decode_text(data)
    except UnicodeDecodeError as exc:
        raise TableUnreadable(name) from exc
    # The header line decides the delimiter: Excel writes ";" where the decimal mark is a comma.
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def parse_with(text: str, formats: Iterable[str]) -> dt.datetime | None:
    """The first of the strptime formats that reads the text, or None."""
    for fmt in formats:
        try:
            return dt.datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
    return None


def read_table(data: bytes, name: str, aliases: Mapping[str, Iterable[str]]) -> tuple[list[Row], set[str]]:
    """Rows keyed by canonical column names; also the canonical columns found in the header.

    `aliases` maps a canonical name to the header spellings accepted for it (any case).
    Empty lines are skipped.
    """
    rows, header = read_table_with_header(data, name, aliases)
    return rows, set(header)


def read_table_with_header(
    data: bytes, name: str, aliases: Mapping[str, Iterable[str]]
) -> tuple[list[Row], dict[str, str]]:
    """Like read_table, with each canonical column's header as the file wrote it (for the errors)."""
    raw = _raw_rows(data, name)
    if not raw:
        return [], {}
    lookup = {alias.strip().lower(): key for key, names in aliases.items() for alias in (key, *names)}
    header = [lookup.get(h.strip().lower()) for h in raw[0]]
    written: dict[str, str] = {}
    for key, text in zip(header, raw[0], strict=False):
        if key and key not in written:
            written[key] = text.strip()
    rows = []
    for index, cells in enumerate(raw[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        values = {key: cells[i] for i, key in enumerate(header) if key and i < len(cells)}
        rows.append(Row(index, values))
    return rows, written


def xlsx(sheets: Sequence[tuple[str, Sequence[str], Sequence[Sequence[object]]]]) -> bytes:
    """An XLSX file with one sheet per (title, header, rows)."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title[:31])
        sheet.append(header)
        for row in rows:
            sheet.append(row)
            for cell in sheet[sheet.max_row]:
                # A date stays a date cell, shown as Kazakhstan writes it (openpyxl's default is ISO).
                if isinstance(cell.value, dt.datetime):
                    cell.number_format = "DD.MM.YYYY HH:MM"
                elif isinstance(cell.value, dt.date):
                    cell.number_format = "DD.MM.YYYY"
        for i, _ in enumerate(header):
            letter = sheet.cell(row=1, column=i + 1).column_letter
            width = max(
                [len(str(header[i]))] + [len(str(r[i])) for r in rows if i < len(r) and r[i] is not None]
            )
            sheet.column_dimensions[letter].width = min(60, width + 2)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def with_images(data: bytes, title: str, images: Sequence[tuple[str, bytes]]) -> bytes:
    """The XLSX with one more sheet holding PNG images (charts), one under another, each with its name."""
    from openpyxl import load_workbook
    from openpyxl.drawing.image import Image

    book = load_workbook(io.BytesIO(data))
    sheet = book.create_sheet(title[:31])
    row = 1
    for name, png in images:
        sheet.cell(row=row, column=1, value=name)
        picture = Image(io.BytesIO(png))
        sheet.add_image(picture, f"A{row + 1}")
        row += 26  # a 450-pixel chart spans about 24 rows
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
