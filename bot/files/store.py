"""The content-addressed file store: bytes on disk under their SHA-256, checked on the way in.

The type is decided from the content, never from the name a person gave the file.
"""

from __future__ import annotations

import asyncio
import codecs
import enum
import hashlib
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import filetype
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import FileName, StoredFile

MB = 1024 * 1024
DEFAULT_MAX_BYTES = 50 * MB

# What people may send: documents, images, audio, video, archives of work.
ALLOWED_MIME = frozenset(
    {
        "application/pdf",
        "image/jpeg",
        "image/png",
        "image/webp",
        "image/heic",
        "image/gif",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/rtf",
        "application/zip",
        "audio/mpeg",
        "audio/ogg",
        "audio/mp4",
        "audio/m4a",
        "audio/x-wav",
        "audio/wav",
        "audio/webm",
        "audio/amr",
        "video/mp4",
        "video/quicktime",
        "video/webm",
        "video/3gpp",
        "video/x-matroska",
        "text/plain",
        "text/csv",
    }
)
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .doc/.xls/.ppt


class FileReason(enum.StrEnum):
    """Why a file is refused."""

    too_big = "too_big"
    bad_type = "bad_type"
    empty = "empty"


class FileRejected(Exception):
    """A file Ustaz will not keep, and why."""

    def __init__(self, reason: FileReason, name: str, size: int = 0, limit: int = 0) -> None:
        name = safe_name(name)  # it is shown back to the person
        self.reason = reason
        super().__init__(f"{self.reason}: {name}")
        self.name, self.size, self.limit = name, size, limit


def sniff_mime(data: bytes, name: str = "") -> str | None:
    """The MIME type the bytes really are, or None if they are nothing we recognise."""
    kind = filetype.guess(data[:8192])
    if kind is not None:
        mime = kind.mime
        if mime == "application/zip" or mime == "application/x-zip-compressed":
            return _office_or_zip(data)
        return {"audio/x-m4a": "audio/mp4", "video/x-m4v": "video/mp4"}.get(mime, mime)
    if data.startswith(OLE_MAGIC):
        ext = name.lower().rsplit(".", 1)[-1]
        return {"xls": "application/vnd.ms-excel", "ppt": "application/vnd.ms-powerpoint"}.get(
            ext, "application/msword"
        )
    if data.startswith(b"{\\rtf"):
        return "application/rtf"
    if not _is_text(data[:65536], name.lower().endswith((".csv", ".txt"))):
        return None
    return "text/csv" if name.lower().endswith(".csv") else "text/plain"


# Characters below the space that text files have; any other control character means binary.
TEXT_CONTROLS = frozenset("\t\n\r\f")


def _is_text(head: bytes, table_name: bool) -> bool:
    """UTF-8 text; for a .csv or .txt name also UTF-16 with a BOM and Windows-1251 (Excel's CSV on
    Russian Windows), as long as the characters are those of text (no control characters)."""
    if table_name and head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = codecs.getincrementaldecoder("utf-16")(errors="strict")
        try:
            chars = text.decode(head[: len(head) - len(head) % 2], final=False)
        except UnicodeDecodeError:
            return False
        return not any(c < " " and c not in TEXT_CONTROLS for c in chars.lstrip("\ufeff"))
    if b"\x00" in head:
        return False
    try:
        # not final: the 64 KB cut may fall inside a character
        codecs.getincrementaldecoder("utf-8")(errors="strict").decode(head, final=False)
        return True
    except UnicodeDecodeError:
        if not table_name:
            return False
    try:
        chars = head.decode("cp1251")
    except UnicodeDecodeError:  # 0x98 is no character in Windows-1251
        return False
    return not any(c < " " and c not in TEXT_CONTROLS for c in chars)


def _office_or_zip(data: bytes) -> str:
    head = data[:4096]
    if b"word/" in head:
        return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    if b"xl/" in head:
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    if b"ppt/" in head:
        return "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    return "application/zip"


@dataclass(frozen=True)
class FileData:
    name: str
    mime: str
    data: bytes


@dataclass(frozen=True, slots=True)
class FileOnDisk:
    """Where a stored file's bytes are, to stream them rather than hold them in memory."""

    name: str
    mime: str
    path: Path


class FileStore:
    def __init__(self, root: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def check(self, data: bytes, name: str, max_bytes: int | None = None) -> str:
        """Returns the content's MIME type, or raises FileRejected with the reason."""
        limit = max_bytes or self.max_bytes
        if not data:
            raise FileRejected(FileReason.empty, name)
        if len(data) > limit:
            raise FileRejected(FileReason.too_big, name, len(data), limit)
        mime = sniff_mime(data, name)
        if mime is None or mime not in ALLOWED_MIME:
            raise FileRejected(FileReason.bad_type, name, len(data), limit)
        return mime

    async def save(
        self,
        session: AsyncSession,
        data: bytes,
        name: str,
        kind: str = "document",
        uploaded_by_id: int | None = None,
        max_bytes: int | None = None,
        trusted_mime: str | None = None,
    ) -> FileName:
        """Checks and keeps the bytes (once, whoever sends them again) and records the name.

        `trusted_mime` is for files Ustaz made itself (a PDF order, an XLSX export).
        """
        mime = trusted_mime or self.check(data, name, max_bytes)
        sha = hashlib.sha256(data).hexdigest()
        await asyncio.to_thread(self._write, sha, data)
        stored = await session.scalar(select(StoredFile).where(StoredFile.sha256 == sha))
        if stored is None:
            stored = StoredFile(sha256=sha, size=len(data), mime=mime)
            session.add(stored)
            await session.flush()
        file_name = FileName(
            stored_file_id=stored.id, name=safe_name(name), kind=kind, uploaded_by_id=uploaded_by_id
        )
        session.add(file_name)
        await session.flush()
        return file_name

    def _write(self, sha: str, data: bytes) -> None:
        path = self.path_for(sha)
        if path.exists():
            return
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # people's work: private
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())  # a file a person sent survives a crash right after the commit
        os.replace(tmp, path)

    async def locate(self, session: AsyncSession, file_name_id: int) -> FileOnDisk | None:
        row = (
            await session.execute(
                select(FileName.name, StoredFile.mime, StoredFile.sha256)
                .join(StoredFile, StoredFile.id == FileName.stored_file_id)
                .where(FileName.id == file_name_id)
            )
        ).one_or_none()
        return FileOnDisk(row.name, row.mime, self.path_for(row.sha256)) if row is not None else None

    async def load(self, session: AsyncSession, file_name_id: int) -> FileData:
        found = await self.locate(session, file_name_id)
        if found is None:
            raise LookupError(f"no file {file_name_id}")
        data = await asyncio.to_thread(found.path.read_bytes)
        return FileData(name=found.name, mime=found.mime, data=data)


MAX_NAME = 255  # FileName.name
MAX_EXTENSION = 16


def safe_name(name: str, limit: int = MAX_NAME) -> str:
    """The name a file is kept and shown under: no folders, no control or bidi characters, within the limit.

    Bidi controls (U+202E and the like) make "work\u202efdp.exe" show as "workexe.pdf", and other
    format and control characters hide or garble text: they are dropped. A long name loses the end
    of its stem, never its extension.
    """
    name = unicodedata.normalize("NFC", name).replace("\\", "/")
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf"))
    name = os.path.basename(name).strip().strip(".") or "file"
    if len(name) <= limit:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or len(ext) > MAX_EXTENSION:
        return name[: limit - 1].rstrip() + "…"
    return stem[: limit - len(ext) - 2].rstrip() + "…." + ext
