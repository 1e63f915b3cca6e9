"""The file-link signing key: made once, private, and never trusted when it is short."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from bot.config import SettingsError
from bot.files.links import load_or_create_secret


def test_a_new_key_is_32_random_bytes_readable_only_by_its_owner(tmp_path: Path) -> None:
    path = tmp_path / "data" / "secret.key"
    key = load_or_create_secret(path)
    assert len(key) == 32 and path.read_bytes() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_secret(path) == key  # kept across restarts
    assert [p.name for p in path.parent.iterdir()] == ["secret.key"]  # no temporary file left


@pytest.mark.parametrize("short", [b"", b"x" * 31])
def test_a_short_key_is_refused_with_what_to_do(tmp_path: Path, short: bytes) -> None:
    path = tmp_path / "secret.key"
    path.write_bytes(short)
    with pytest.raises(SettingsError, match=f"holds {len(short)} bytes; it needs at least 32"):
        load_or_create_secret(path)
