"""GET /metrics, read as an operator's Prometheus would: the queues, the loops and what was sent."""

from __future__ import annotations

import re

import aiohttp
from aiohttp import web

from bot.core.messages import Incoming
from bot.queues import inbox
from bot.runtime import Runtime
from bot.web import make_web_app
from db.models import Channel
from tests.harness import Harness, Seat


def value(page: str, name: str, **labels: str) -> float:
    """The sample `name{labels}` of the page (labels in any order), or a failed assertion."""
    for line in page.splitlines():
        match = re.fullmatch(r"(\w+)(?:\{(.*)\})? (\S+)", line)
        if match is None or match[1] != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match[2] or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(match[3])
    raise AssertionError(f"no {name} {labels} in the metrics")


async def scrape(runtime: Runtime) -> str:
    runner = web.AppRunner(make_web_app(runtime))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/metrics") as resp:
            assert resp.status == 200 and resp.content_type == "text/plain"
            return await resp.text()
    finally:
        await runner.cleanup()


def menu_from(seat: Seat) -> Incoming:
    return Incoming(channel=Channel.web, external_user_id=seat.external_id, chat_id=seat.external_id,
                    text="/menu", command="menu")  # fmt: skip


async def test_metrics_show_what_waits_and_what_was_sent(demo: Runtime, harness: Harness) -> None:
    seat = await harness.seat_for("Анна Сергеевна Петрова")
    await inbox.accept(demo, menu_from(seat), "metrics-1")  # accepted, not handled yet
    page = await scrape(demo)
    assert value(page, "ustaz_queue_waiting", queue="inbox") == 1
    assert value(page, "ustaz_queue_oldest_seconds", queue="inbox") >= 0
    assert value(page, "ustaz_queue_waiting", queue="reminders") == 0
    sent_before = value_or_zero(page, "ustaz_outbox_results_total", result="Sent", kind="reply")

    await harness.settle()
    page = await scrape(demo)
    assert value(page, "ustaz_queue_waiting", queue="inbox") == 0
    assert value(page, "ustaz_outbox_results_total", result="Sent", kind="reply") == sent_before + 1
    assert value(page, "ustaz_update_handling_seconds", quantile="0.99") >= 0


def value_or_zero(page: str, name: str, **labels: str) -> float:
    try:
        return value(page, name, **labels)
    except AssertionError:
        return 0.0
