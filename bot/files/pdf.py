"""PDF documents Ustaz makes itself (orders, certificates, invite lists), with DejaVu fonts.

DejaVu covers the Kazakh letters (ә ғ қ ң ө ұ ү һ і) and Cyrillic; the core PDF
fonts do not. The fonts come from Debian's fonts-dejavu-core package.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypedDict

if TYPE_CHECKING:
    from fpdf.enums import XPos, YPos

FONT_DIR = Path(os.environ.get("USTAZ_FONT_DIR", "/usr/share/fonts/truetype/dejavu"))
REGULAR, BOLD = "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"
PDF_MIME = "application/pdf"
logging.getLogger("fontTools").setLevel(logging.WARNING)  # it logs every subsetting step at INFO


class NextLine(TypedDict):
    """multi_cell's keywords for "then go to the start of the next line"."""

    new_x: XPos
    new_y: YPos


Table = tuple[list[str], list[list[str]], list[float] | None]  # header, rows, column widths
Block = (
    tuple[Literal["heading", "para", "signature", "qr"], str]
    | tuple[Literal["fields"], list[tuple[str, str]]]
    | tuple[Literal["table"], Table]
)


class FontMissing(RuntimeError):
    pass


def font_path(name: str) -> Path:
    path = FONT_DIR / name
    if not path.is_file():
        raise FontMissing(
            f"The font {path} is missing: install Debian's fonts-dejavu-core package "
            "(apt-get install fonts-dejavu-core) or set USTAZ_FONT_DIR to a folder with DejaVuSans.ttf."
        )
    return path


@dataclass
class Document:
    """A plain one-column document: a title, paragraphs, key-value lines and tables."""

    title: str
    blocks: list[Block] = field(default_factory=list)

    def heading(self, text: str) -> Document:
        self.blocks.append(("heading", text))
        return self

    def para(self, text: str) -> Document:
        self.blocks.append(("para", text))
        return self

    def fields(self, rows: list[tuple[str, str]]) -> Document:
        self.blocks.append(("fields", rows))
        return self

    def table(self, header: list[str], rows: list[list[str]], widths: list[float] | None = None) -> Document:
        self.blocks.append(("table", (header, rows, widths)))
        return self

    def qr(self, url: str) -> Document:
        """A QR code of the url (a certificate's verification page), centred, 35 mm wide."""
        self.blocks.append(("qr", url))
        return self

    def signature(self, text: str) -> Document:
        self.blocks.append(("signature", text))
        return self


def qr_image(url: str) -> Any:
    """The QR code as a black-and-white PIL image: 4 pixels a module, a quiet zone of 2 modules."""
    import qrcode

    code = qrcode.QRCode(box_size=4, border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(url)
    code.make(fit=True)
    return code.make_image().get_image()


def render(doc: Document, *, header: str = "", footer: str = "") -> bytes:
    # fpdf (with PIL and numpy) is loaded on the first document, not with the web server: the
    # update path's memory stays small in a process that never makes a PDF.
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    pdf = FPDF(format="A4")
    pdf.set_title(doc.title)
    pdf.set_creator("Ustaz")
    pdf.add_font("DejaVu", "", str(font_path(REGULAR)))
    pdf.add_font("DejaVu", "B", str(font_path(BOLD)))
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()
    width = pdf.epw
    nl: NextLine = {"new_x": XPos.LMARGIN, "new_y": YPos.NEXT}
    if header:
        pdf.set_font("DejaVu", "B", 11)
        pdf.multi_cell(width, 6, header, align="C", **nl)
        pdf.ln(4)
    pdf.set_font("DejaVu", "B", 14)
    pdf.multi_cell(width, 8, doc.title, align="C", **nl)
    pdf.ln(3)
    for block in doc.blocks:
        match block:
            case ("heading", value):
                pdf.ln(2)
                pdf.set_font("DejaVu", "B", 11)
                pdf.multi_cell(width, 6, str(value), **nl)
            case ("para", value):
                pdf.set_font("DejaVu", "", 11)
                pdf.multi_cell(width, 6, str(value), **nl)
                pdf.ln(1)
            case ("qr", url):
                side = 35
                pdf.ln(2)
                pdf.image(qr_image(str(url)), x=pdf.l_margin + (width - side) / 2, w=side, h=side)
                pdf.ln(2)
            case ("fields", fields):
                for label, text in fields:
                    pdf.set_font("DejaVu", "B", 10)
                    pdf.multi_cell(width, 5.5, f"{label}:", **nl)
                    pdf.set_font("DejaVu", "", 11)
                    pdf.multi_cell(width, 6, text or "—", **nl)
            case ("table", (head, rows, widths)):
                pdf.ln(1)
                pdf.set_font("DejaVu", "", 9)
                with pdf.table(col_widths=widths, text_align="LEFT", line_height=5) as table:
                    table.row(head)
                    for row in rows:
                        table.row(row)
                pdf.ln(2)
            case ("signature", value):
                pdf.ln(8)
                pdf.set_font("DejaVu", "", 11)
                pdf.multi_cell(width, 6, str(value), **nl)
    if footer:
        pdf.ln(6)
        pdf.set_font("DejaVu", "", 8)
        pdf.multi_cell(width, 4, footer, **nl)
    return bytes(pdf.output())
