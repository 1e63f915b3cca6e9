"""The twilio client pointed at the stand-in by the base URL setting; media fetched with credentials."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
from twilio.base.exceptions import TwilioRestException

from bot.channels.whatsapp.client import make_client, rebase
from bot.channels.whatsapp.media import MAX_IMAGE, Refusal, fetch
from tests.stand_ins.twilio_api import TwilioStandIn

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + b"\0" * 64


@pytest.fixture
async def twilio() -> AsyncIterator[TwilioStandIn]:
    async with TwilioStandIn() as stand_in:
        yield stand_in


def test_rebase_moves_only_twilio_urls() -> None:
    base = "http://127.0.0.1:9999/prefix/"
    assert rebase("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?a=1", base) == (
        "http://127.0.0.1:9999/prefix/2010-04-01/Accounts/AC1/Messages.json?a=1"
    )
    assert rebase("https://example.com/x", base) == "https://example.com/x"
    assert rebase("https://api.twilio.com/x", None) == "https://api.twilio.com/x"


async def test_messages_reach_the_stand_in_with_every_field(twilio: TwilioStandIn) -> None:
    client = make_client(twilio.account_sid, twilio.auth_token, twilio.base_url)
    try:
        msg = await client.messages.create_async(
            to="whatsapp:+77011234567",
            from_=twilio.sender,
            body="Сәлем",
            media_url=["https://bot.example/f/1"],
            status_callback="https://bot.example/whatsapp/status",
        )
        await client.messages.create_async(
            to="whatsapp:+77011234567",
            from_=twilio.sender,
            content_sid="HX" + "1" * 32,
            content_variables=json.dumps({"1": "Математика"}),
        )
    finally:
        await client.http_client.close()
    assert msg.sid.startswith("SM") and msg.status == "queued"
    first, second = twilio.sent
    assert (first.to, first.body, first.media_urls) == (
        "whatsapp:+77011234567",
        "Сәлем",
        ["https://bot.example/f/1"],
    )
    assert first.get("StatusCallback") == "https://bot.example/whatsapp/status"
    assert second.content_sid == "HX" + "1" * 32 and json.loads(second.get("ContentVariables")) == {
        "1": "Математика"
    }


async def test_forced_429_and_wrong_credentials(twilio: TwilioStandIn) -> None:
    twilio.fail_next(429)
    client = make_client(twilio.account_sid, twilio.auth_token, twilio.base_url)
    wrong = make_client(twilio.account_sid, "wrong", twilio.base_url)
    try:
        with pytest.raises(TwilioRestException) as busy:
            await client.messages.create_async(to="whatsapp:+7701", from_=twilio.sender, body="x")
        with pytest.raises(TwilioRestException) as denied:
            await wrong.messages.create_async(to="whatsapp:+7701", from_=twilio.sender, body="x")
        await client.messages.create_async(to="whatsapp:+7701", from_=twilio.sender, body="x")
    finally:
        await client.http_client.close()
        await wrong.http_client.close()
    assert (busy.value.status, busy.value.code) == (429, 20429)
    assert denied.value.status == 401
    assert [s for _, _, s in twilio.requests] == [429, 401, 201]
    assert len(twilio.sent) == 1


async def test_media_fetched_with_credentials_and_checked(twilio: TwilioStandIn) -> None:
    creds = {
        "account_sid": twilio.account_sid,
        "auth_token": twilio.auth_token,
        "api_base_url": twilio.base_url,
    }
    async with aiohttp.ClientSession() as http:
        pdf = await fetch(http, twilio.add_media(PDF, "application/pdf"), "application/pdf", **creds)
        # Declared as an image, but the bytes are a PDF: the content decides.
        disguised = await fetch(http, twilio.add_media(PDF, "image/jpeg"), "image/jpeg", **creds)
        big_png = await fetch(
            http, twilio.add_media(PNG + b"\0" * MAX_IMAGE, "image/png"), "image/png", **creds
        )
        wrong = await fetch(
            http,
            twilio.add_media(PDF, "application/pdf"),
            "application/pdf",
            **{**creds, "auth_token": "wrong"},
        )
    assert (pdf.content, pdf.mime, pdf.refusal) == (PDF, "application/pdf", None)
    assert disguised.mime == "application/pdf"
    assert big_png.refusal is Refusal.image_too_big and big_png.content is None
    assert wrong.refusal is Refusal.unreadable
    assert len(twilio.media_fetches) == 3  # the one with the wrong password never got past auth
