"""A file keeps a name that shows what it is: no bidi tricks, no hidden characters, its extension kept."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from bot.files.store import MAX_NAME, FileReason, FileRejected, safe_name
from bot.runtime import Runtime

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("Эссе.docx", "Эссе.docx"),
        ("work\u202efdp.exe", "workfdp.exe"),  # shown as "workexe.pdf" with the override
        ("\u2066Жауап\u2069.pdf", "Жауап.pdf"),
        ("a\u200bb\u0000c.txt", "abc.txt"),
        ("C:\\Users\\Айдана\\Desktop\\эссе.pdf", "эссе.pdf"),
        ("../../etc/passwd", "passwd"),
        ("  ", "file"),
        ("...", "file"),
    ],
)
def test_names_lose_what_would_mislead(given: str, kept: str) -> None:
    assert safe_name(given) == kept


def test_a_long_name_keeps_its_extension() -> None:
    name = safe_name("Курстық жұмыс " * 40 + ".pdf")
    assert len(name) <= MAX_NAME and name.endswith("….pdf") and name.startswith("Курстық жұмыс")


def test_a_long_name_without_an_extension_is_cut_with_an_ellipsis() -> None:
    name = safe_name("ж" * 300)
    assert len(name) == MAX_NAME and name.endswith("…")


def test_a_refused_file_is_named_safely_back_to_the_person() -> None:
    assert FileRejected(FileReason.bad_type, "x\u202egpj.exe").name == "xgpj.exe"


async def test_a_kept_file_has_the_safe_name(runtime: Runtime, session: AsyncSession) -> None:
    async with session.begin():
        kept = await runtime.files.save(session, PDF, "Есеп\u202efdp.exe" + "ь" * 300 + ".pdf")
    assert kept.name.startswith("Есепfdp.exe") and kept.name.endswith("….pdf") and len(kept.name) <= 255
