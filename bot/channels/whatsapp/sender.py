"""The outbox's WhatsApp side: free-form inside the 24-hour window, an approved template outside it.

Within the sender's rate (80 messages a second by default) and its daily cap of unique
people Ustaz starts a conversation with. Twilio's 429 and 5xx are retried through the
outbox; a part Twilio accepted is recorded at once and never sent again, and a call
whose outcome is unknown (the connection broke after the request went out) is not
repeated either: a person never gets the same message twice.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import aiohttp
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

import bot.channels.whatsapp.store as store
from bot.channels.whatsapp.render import Rendered, render
from bot.channels.whatsapp.shared_rate import RateLimiter, SharedRateLimiter
from bot.config import Settings
from bot.core.messages import Button
from bot.i18n import N_, Translator
from bot.queues.outbox import (
    MAX_ATTEMPTS,
    Delivery,
    DeliveryResult,
    Failed,
    NeedsTemplate,
    RetryLater,
    Sent,
    Unreachable,
)
from bot.runtime import Runtime
from db.base import utcnow
from db.models import Channel

log = logging.getLogger(__name__)

CHOICE_HINT = N_("Answer with the number or the name of your choice.")
# Twilio's codes for a number WhatsApp cannot reach: try the person's other channels.
UNREACHABLE_CODES = {21211, 21614, 63003, 63024}
FILE_LINK_SECONDS = 24 * 3600  # long enough for Twilio to fetch it, short enough not to linger
WINDOW_MARGIN = dt.timedelta(minutes=2)  # a message queued at 23:59 would arrive outside the window


def outcome_code(outcome: DeliveryResult) -> str | None:
    return outcome.code if isinstance(outcome, Failed) else None


def make_limiter(runtime: Runtime) -> RateLimiter | SharedRateLimiter:
    """Shared by every process of this sender number through Redis when USTAZ_REDIS_URL is set."""
    settings = runtime.settings
    if runtime.redis is None:
        return RateLimiter(settings.twilio_rate)
    return SharedRateLimiter(settings.twilio_rate, runtime.redis, settings.twilio_whatsapp_from or "")


def pick_template(templates: Mapping[str, Mapping[str, str]], kind: str, locale: str) -> str | None:
    """The ContentSid for this kind in this language, else in another language of the same kind."""
    by_locale = templates.get(kind) or {}
    return by_locale.get(locale) or next(iter(by_locale.values()), None)


def template_variables(template_vars: Mapping[str, Any] | None, text: str) -> dict[str, str]:
    """ContentVariables: what the producer gave ({"1": ...}), else the message's text as {{1}}.

    WhatsApp refuses variables with line breaks, tabs or long runs of spaces.
    """
    given = {k: v for k, v in (template_vars or {}).items() if k != "template"}
    if not given:
        given = {"1": text}
    clean = {}
    for key, value in given.items():
        flat = " ".join(str(value).split())
        clean[str(key)] = flat if len(flat) <= 1000 else flat[:999] + "…"
    return clean


class WhatsAppSender:
    channel = Channel.whatsapp

    def __init__(self, runtime: Runtime, client: Client, retry_base_seconds: float = 2.0) -> None:
        self.runtime = runtime
        self.settings: Settings = runtime.settings
        self.client = client
        self.limiter = make_limiter(runtime)
        self.retry_base_seconds = retry_base_seconds
        self._cap_lock = asyncio.Lock()  # this process's senders; an advisory lock covers the others

    # -- the outbox calls this ----------------------------------------------------------------

    async def deliver(self, delivery: Delivery) -> DeliveryResult:
        async with self.runtime.sessions() as session:
            refused = await store.window_closed(session, delivery.outbox_id, delivery.last_inbound_at)
        if refused:  # WhatsApp's status callback said the window was closed: our clock was wrong
            return await self._template(delivery, store.TEMPLATE_PART)
        if store.in_window(delivery.last_inbound_at, utcnow(), WINDOW_MARGIN):
            return await self._free_form(delivery)
        return await self._template(delivery)

    # -- inside the window --------------------------------------------------------------------

    def render(
        self, delivery: Delivery, names: Mapping[int, str], too_big: frozenset[int] | set[int] = frozenset()
    ) -> Rendered:
        hint = Translator(delivery.locale).gettext(CHOICE_HINT)
        return render(
            delivery.reply,
            file_url=lambda f: self.file_url(f.file_name_id, names),
            hint=hint,
            as_link=lambda f: f.file_name_id in too_big,
        )

    def file_url(self, file_name_id: int, names: Mapping[int, str]) -> str:
        # The name at the end is what WhatsApp shows for a document.
        link = self.runtime.links.file_url(file_name_id, FILE_LINK_SECONDS)
        return f"{link}/{quote(names.get(file_name_id) or 'file', safe='')}"

    async def _free_form(self, delivery: Delivery) -> DeliveryResult:
        async with self.runtime.sessions() as session, session.begin():
            done = await store.sent_parts(session, delivery.outbox_id)
            file_ids = [f.file_name_id for f in delivery.reply.files]
            names = await store.file_names(session, file_ids)
            too_big = await store.too_big_to_attach(session, file_ids)
            reply = delivery.reply
            if delivery.kind != "reply" and await store.in_dialog(session, delivery.account_id):
                # A notice arriving mid-dialog must not take over the numbers the dialog offered:
                # it comes without numbered choices (its links stay).
                reply = dataclasses.replace(reply, buttons=_links_only(reply.buttons), quiz=None)
            rendered = self.render(dataclasses.replace(delivery, reply=reply), names, too_big)
            # Saved before sending, so that a quick "2" already maps to what is on its way. A reply
            # offers the numbers for the next answer; a re-asked step keeps the ones it offered.
            if rendered.choices or (delivery.kind == "reply" and not reply.same_step):
                await store.remember_choices(session, delivery.account_id, rendered.choices)
        last: str | None = None
        for part, message in enumerate(rendered.messages):
            if part in done:
                last = done[part]
                continue
            outcome = await self._create(
                delivery,
                part,
                body=message.body or None,
                media_url=[message.media_url] if message.media_url else None,
            )
            if isinstance(outcome, str):
                last = outcome
                continue
            if (
                isinstance(outcome, Failed)
                and outcome.code == store.OUTSIDE_WINDOW
                and not done
                and part == 0
            ):
                return await self._template(delivery)  # our clock and WhatsApp's disagreed: use a template
            if self._final(delivery, outcome):
                # The parts that will never go count as failed, so that delivery reports on the
                # earlier ones cannot make the whole message look delivered.
                async with self.runtime.sessions() as session, session.begin():
                    await store.record_unsent(
                        session,
                        delivery.outbox_id,
                        range(part, len(rendered.messages)),
                        outcome_code(outcome),
                    )
            return outcome
        return Sent(last)

    @staticmethod
    def _final(delivery: Delivery, outcome: DeliveryResult) -> bool:
        if isinstance(outcome, RetryLater):
            return delivery.attempts + 1 >= MAX_ATTEMPTS  # the outbox gives up after this one
        return True

    # -- outside the window -------------------------------------------------------------------

    async def _template(self, delivery: Delivery, part: int = 0) -> DeliveryResult:
        kind = str((delivery.template_vars or {}).get("template") or delivery.kind)
        content_sid = pick_template(self.settings.twilio_templates, kind, delivery.locale)
        if content_sid is None:
            return NeedsTemplate(
                f"no WhatsApp template for {kind!r}: the person has not written for 24 hours"
            )
        async with self.runtime.sessions() as session:
            done = await store.sent_parts(session, delivery.outbox_id)
        if part in done:
            return Sent(done[part])
        async with self._cap_lock, self.runtime.sessions() as session, session.begin():
            room_at = await store.reserve_start(
                session, delivery.account_id, delivery.outbox_id, self.settings.twilio_daily_cap, utcnow()
            )
        if room_at is not None:
            wait = max((room_at - utcnow()).total_seconds(), 60.0)
            return RetryLater(wait, "the WhatsApp sender's daily cap of new conversations is reached")
        variables = template_variables(delivery.template_vars, delivery.reply.text)
        outcome = await self._create(
            delivery,
            part,
            content_sid=content_sid,
            content_variables=json.dumps(variables, ensure_ascii=False),
        )
        if not isinstance(outcome, str) and not (isinstance(outcome, Failed) and outcome.code == "network"):
            async with self.runtime.sessions() as session, session.begin():
                await store.cancel_start(session, delivery.outbox_id)  # nothing went: the slot is free again
        return Sent(outcome) if isinstance(outcome, str) else outcome

    # -- one call to Twilio -------------------------------------------------------------------

    def status_callback(self, outbox_id: int, part: int) -> str:
        # The row and part ride in the URL (Twilio signs it), so a callback that overtakes
        # the API's answer still finds its message.
        return f"{self.settings.base_url}/whatsapp/status?o={outbox_id}&p={part}"

    async def _create(self, delivery: Delivery, part: int, **fields: Any) -> str | DeliveryResult:
        """The MessageSid Twilio gave, recorded at once; or what the outbox should do instead."""
        await self.limiter.wait()
        try:
            message = await self.client.messages.create_async(
                to=f"whatsapp:{delivery.address}",
                from_=self.settings.twilio_whatsapp_from,
                status_callback=self.status_callback(delivery.outbox_id, part),
                **fields,
            )
        except TwilioRestException as exc:
            return self._refused(delivery, exc)
        except aiohttp.ClientConnectorError as exc:  # never reached Twilio: safe to try again
            return RetryLater(self._backoff(delivery), f"cannot reach Twilio: {exc}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            # The request may have been accepted: trying again could send it twice.
            log.warning(
                "WhatsApp send of outbox %s part %s has an unknown outcome: %r", delivery.outbox_id, part, exc
            )
            return Failed(f"unknown outcome, not repeated: {exc!r}", code="network")
        async with self.runtime.sessions() as session, session.begin():
            await store.record_part(session, delivery.outbox_id, part, message.sid)
        return str(message.sid)

    def _backoff(self, delivery: Delivery) -> float:
        return min(self.retry_base_seconds * 2**delivery.attempts, 300.0)

    def _refused(self, delivery: Delivery, exc: TwilioRestException) -> DeliveryResult:
        detail = f"Twilio {exc.status} error {exc.code}: {exc.msg}"
        if exc.status == 429 or exc.status >= 500:
            return RetryLater(self._backoff(delivery), detail)
        if exc.code in UNREACHABLE_CODES:
            return Unreachable(detail)
        return Failed(detail, code=str(exc.code) if exc.code else str(exc.status))


def _links_only(rows: list[list[Button]]) -> list[list[Button]]:
    kept = [[b for b in row if b.url] for row in rows]
    return [row for row in kept if row]
