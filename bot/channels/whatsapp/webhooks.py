"""Twilio's two webhooks on the shared web server: incoming messages and delivery statuses.

Both are checked against X-Twilio-Signature for the public URL before anything is
read into the database; an incoming message is committed to the inbox (unique by
MessageSid) before Twilio gets its answer, so Twilio's retry is applied once.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl

from aiohttp import web
from multidict import MultiDict, MultiDictProxy
from sqlalchemy import select

import bot.channels.whatsapp.store as store
from bot.channels.bodies import TWILIO_LIMIT, read_within
from bot.channels.whatsapp.inbound import phone_of, to_incoming
from bot.channels.whatsapp.signature import SIGNATURE_HEADER, is_signed, public_url
from bot.queues import inbox
from bot.runtime import Runtime
from bot.web import RUNTIME_KEY
from db.models import Channel, MessengerAccount

log = logging.getLogger(__name__)

INBOUND_PATH = "/whatsapp/inbound"
STATUS_PATH = "/whatsapp/status"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


async def _signed_form(request: web.Request) -> MultiDictProxy[str]:
    """The posted form if Twilio signed it for our public URL; 403 otherwise."""
    runtime = request.app[RUNTIME_KEY]
    settings = runtime.settings
    if not request.headers.get(SIGNATURE_HEADER):  # refused before a byte of the body is read
        log.warning("refused an unsigned WhatsApp webhook at %s", request.path)
        raise web.HTTPForbidden(text="invalid signature")
    if request.content_type != "application/x-www-form-urlencoded":  # a file upload is never Twilio
        raise web.HTTPForbidden(text="invalid signature")
    body = await read_within(request, TWILIO_LIMIT)
    form = MultiDict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    token = settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else ""
    url = public_url(settings.base_url, request.path_qs)
    if (
        not token
        or not is_signed(token, url, form, request.headers.get(SIGNATURE_HEADER))
        or form.get("AccountSid") != settings.twilio_account_sid
    ):
        log.warning("refused an unsigned or forged WhatsApp webhook at %s", request.path)
        raise web.HTTPForbidden(text="invalid signature")
    return MultiDictProxy(form)


async def inbound(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME_KEY]
    form = await _signed_form(request)
    sid = str(form.get("MessageSid") or "")
    phone = phone_of(form)
    if not sid or not phone:
        raise web.HTTPBadRequest(text="MessageSid and From are required")
    async with runtime.sessions() as session:
        choices = await store.choices_for_phone(session, phone)
    incoming = to_incoming(form, choices)
    if await inbox.accept(runtime, incoming, sid):
        await _release_waiting(runtime, phone)
    # An empty TwiML answer: the replies go out through the outbox, like every other channel's.
    return web.Response(text=EMPTY_TWIML, content_type="text/xml")


async def _release_waiting(runtime: Runtime, phone: str) -> None:
    """The person wrote: the 24-hour window is open again for what waited for a template."""
    async with runtime.sessions() as session, session.begin():
        account = await session.scalar(
            select(MessengerAccount).where(
                MessengerAccount.channel == Channel.whatsapp, MessengerAccount.external_id == phone
            )
        )
        if account is None:
            return
        released = await store.requeue_waiting(session, account_id=account.id, person_id=account.person_id)
    if released:
        runtime.wake_sender()


async def status(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME_KEY]
    form = await _signed_form(request)
    sid = str(form.get("MessageSid") or "")
    state = str(form.get("MessageStatus") or form.get("SmsStatus") or "")
    try:
        outbox_id = int(request.query["o"]) if "o" in request.query else None
        part = int(request.query["p"]) if "p" in request.query else None
    except ValueError:
        outbox_id = part = None
    if not sid or not state:
        raise web.HTTPBadRequest(text="MessageSid and MessageStatus are required")
    error_code = str(form["ErrorCode"]) if form.get("ErrorCode") else None
    async with runtime.sessions() as session, session.begin():
        known = await store.record_status(
            session, sid=sid, status=state, error_code=error_code, outbox_id=outbox_id, part=part
        )
    if known and error_code == store.OUTSIDE_WINDOW:
        runtime.wake_sender()  # the row went back in line, to go as a template
    if not known:
        log.info("status %s for a message Ustaz does not know: %s", state, sid)
    return web.Response(status=204)
