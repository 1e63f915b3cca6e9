"""Unguessable, expiring links to files on the bot's own web server (for the web chat and WhatsApp)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from pathlib import Path


def load_or_create_secret(path: Path) -> bytes:
    """The signing key: kept in a file so links survive a restart."""
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    path.write_bytes(key)
    path.chmod(0o600)
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
            if not hmac.compare_digest(mac, self._mac(message)):
                return None
            if int(expires) < (now or time.time()):
                return None
            return int(file_id)
        except ValueError:
            return None

    def sign(self, purpose: str, value: str) -> str:
        """A keyed tag for other values that must not be guessed (web chat seats)."""
        return self._mac(f"{purpose}:{value}")
