"""Twilio's webhooks, tried as an attacker would: a body is refused before it is read, by a missing
signature or by its size."""

from __future__ import annotations

import aiohttp

from bot.channels.bodies import TWILIO_LIMIT
from tests.channels.webhook_bodies import status_before_the_body
from tests.channels.whatsapp.conftest import WhatsApp


async def test_an_unsigned_or_oversized_twilio_post_is_refused_unread(wa: WhatsApp) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert await status_before_the_body(wa.url + "/whatsapp/inbound", form) == 403
    assert await status_before_the_body(wa.url + "/whatsapp/status", form) == 403
    signed = {**form, "X-Twilio-Signature": "anything"}
    assert await status_before_the_body(wa.url + "/whatsapp/inbound", signed) == 413
    async with aiohttp.ClientSession() as http:  # chunked, no Content-Length: cut off at the limit

        async def chunks():  # type: ignore[no-untyped-def]
            for _ in range(TWILIO_LIMIT // 1024 + 2):
                yield b"x" * 1024

        async with http.post(wa.url + "/whatsapp/inbound", data=chunks(), headers=signed) as resp:
            assert resp.status == 413
