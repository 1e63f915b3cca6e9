"""Unguessable, expiring links to files on the bot's own web server (for the web chat and WhatsApp)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path

from bot.config import SettingsError

KEY_BYTES = 32


def key_path(files_dir: Path) -> Path:
    """Where the link key is kept: beside the files store, not inside it."""
    return files_dir.parent / "secret.key"


def load_or_create_secret(path: Path) -> bytes:
    """The signing key: kept in a file so links survive a restart.

    A short key would let anyone sign file links (file ids are sequential), so one under 32 bytes is
    refused. A new key is written whole to a private temporary file and then linked into place: no
    other process ever reads it half-written or readable by others, and two starting at once keep one key.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, secrets.token_bytes(KEY_BYTES))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            temporary.unlink()
    key = path.read_bytes()
    if len(key) < KEY_BYTES:
        raise SettingsError(
            f"The file-link key {path} holds {len(key)} bytes; it needs at least {KEY_BYTES} random "
            "bytes. Delete the file to have a new key made (links already sent stop working) or put a "
            "longer key in it."
        )
    return key


class LinkSigner:
    def __init__(self, key: bytes, base_url: str) -> None:
        self.key = key
        self.base_url = base_url.rstrip("/")

    def _mac(self, message: str) -> str:
        digest = hmac.new(self.key, message.encode(), hashlib.sha256).digest()[:18]
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def file_token(self, file_name_id: int, ttl_seconds: int = 24 * 3600, now: float | None = None) -> str:
        expires = int((now or time.time()) + ttl_seconds)
        message = f"{file_name_id}.{expires}"
        return f"{message}.{self._mac(message)}"

    def file_url(self, file_name_id: int, ttl_seconds: int = 24 * 3600) -> str:
        return f"{self.base_url}/files/{self.file_token(file_name_id, ttl_seconds)}"

    def verify_file_token(self, token: str, now: float | None = None) -> int | None:
        """The file's id if the token is ours and not expired, else None."""
        try:
            file_id, expires, mac = token.split(".")
            message = f"{file_id}.{expires}"
            # As bytes: compare_digest refuses str with non-ASCII characters (a TypeError, a 500).
            if not hmac.compare_digest(mac.encode(), self._mac(message).encode()):
                return None
            if int(expires) < (now or time.time()):
                return None
            return int(file_id)
        except ValueError:
            return None

    def sign(self, purpose: str, value: str) -> str:
        """A keyed tag for other values that must not be guessed (web chat seats)."""
        return self._mac(f"{purpose}:{value}")
