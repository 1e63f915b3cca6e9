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


async def test_a_file_link_is_private_and_a_bad_token_is_a_plain_not_found(wa: WhatsApp) -> None:
    pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
    async with wa.runtime.sessions() as session, session.begin():
        saved = await wa.runtime.files.save(session, pdf, "Тапсырма 3.pdf", "document")
    url = wa.url + "/files/" + wa.runtime.links.file_token(saved.id)
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as resp:
            assert resp.status == 200 and await resp.read() == pdf
            assert resp.headers["Content-Type"] == "application/pdf"
            assert resp.headers["Cache-Control"] == "private, no-store"
            assert resp.headers["X-Content-Type-Options"] == "nosniff"
            assert resp.headers["Server"] == "Ustaz"  # no aiohttp version for an attacker to look up
        async with http.head(url) as resp:
            assert resp.status == 200 and resp.headers["Content-Length"] == str(len(pdf))
        for bad in ("1.99999999999.мак", "нет", "1.2", "x.y.z"):
            async with http.get(wa.url + "/files/" + bad) as resp:
                assert resp.status == 404, bad
