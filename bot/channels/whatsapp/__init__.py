"""WhatsApp through Twilio: signed webhooks in, numbered choices and templates out.

`setup()` plugs the channel into the shared web server, the outbox (its
ChannelSender) and the core's file intake (its FileFetcher).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiohttp import web

    from bot.runtime import Runtime


def setup(runtime: Runtime, app: web.Application) -> None:
    import aiohttp

    from bot.channels.whatsapp import webhooks
    from bot.channels.whatsapp.client import make_client
    from bot.channels.whatsapp.media import WhatsAppFiles
    from bot.channels.whatsapp.sender import WhatsAppSender
    from bot.web import signed_file
    from db.models import Channel

    settings = runtime.settings
    assert settings.twilio_account_sid and settings.twilio_auth_token
    if not settings.public_url:
        # Twilio can reach neither the webhooks nor the file links of a local address.
        logging.getLogger(__name__).warning(
            "WhatsApp is on but USTAZ_PUBLIC_URL is not set: Twilio cannot reach %s", settings.base_url
        )
    token = settings.twilio_auth_token.get_secret_value()

    app.router.add_post(webhooks.INBOUND_PATH, webhooks.inbound)
    app.router.add_post(webhooks.STATUS_PATH, webhooks.status)
    # The core's signed file links, with the file's name after them: WhatsApp shows it for a document.
    app.router.add_get("/files/{token}/{name}", signed_file)

    async def start(app: web.Application) -> None:
        # Both hold aiohttp sessions, which belong to the running loop.
        client = make_client(settings.twilio_account_sid or "", token, settings.twilio_api_url)
        http = aiohttp.ClientSession()
        runtime.channel_senders[Channel.whatsapp] = WhatsAppSender(runtime, client)
        runtime.file_fetchers[Channel.whatsapp] = WhatsAppFiles(
            http, settings.twilio_account_sid or "", token, settings.twilio_api_url
        )

        async def close(app: web.Application) -> None:
            runtime.channel_senders.pop(Channel.whatsapp, None)
            runtime.file_fetchers.pop(Channel.whatsapp, None)
            await client.http_client.close()
            await http.close()

        app.on_cleanup.append(close)

    app.on_startup.append(start)
