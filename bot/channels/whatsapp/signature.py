"""Checking X-Twilio-Signature the way Twilio computes it.

Twilio signs the URL it was told to call (the public one, behind any proxy)
plus the sorted form fields, with the account's auth token. The URL the bot
sees locally differs behind a proxy, so the check uses USTAZ_PUBLIC_URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from twilio.request_validator import RequestValidator

SIGNATURE_HEADER = "X-Twilio-Signature"


def public_url(base_url: str, path_qs: str) -> str:
    """The URL Twilio called: the public origin plus the path and query the request arrived with."""
    return base_url.rstrip("/") + path_qs


def is_signed(auth_token: str, url: str, form: Mapping[str, Any], signature: str | None) -> bool:
    """True when `signature` is Twilio's signature of this POST; a missing one is never valid."""
    if not signature:
        return False
    return RequestValidator(auth_token).validate(url, form, signature)
