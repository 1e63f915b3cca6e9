"""Shared steps of the staff tests: reading PDFs and XLSX files that reached a chat."""

from __future__ import annotations

import io

import pypdf
from openpyxl import load_workbook

from bot.core.messages import Reply
from bot.files.pdf import Document, render
from bot.runtime import Runtime


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
