"""Wiring: one place that builds the runtime, the web server, the channels and the workers."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiohttp import web

from bot import redis_state
from bot.config import Settings
from bot.core.conversation import Conversation
from bot.files.links import LinkSigner, key_path, load_or_create_secret
from bot.files.store import FileStore
from bot.ops.checkpoints import checkpoints_loop
from bot.queues.inbox import InboxWorker
from bot.queues.outbox import OutboxSender
from bot.queues.replies import InboxConversation
from bot.queues.shards import Presence, Shard, asyncpg_dsn
from bot.runtime import Runtime
from bot.scheduler import scheduler_loop
from bot.supervisor import Loop, StallWatch, Supervisor
from bot.web import BACKGROUND_KEY, COUNTERS_KEY, SUPERVISOR_KEY, make_web_app
from db.session import make_engine, make_sessionmaker

log = logging.getLogger(__name__)


def build_runtime(settings: Settings) -> Runtime:
    from handlers import build_router
    from handlers.common.welcome import file_rejected

    engine = make_engine(settings.database_url.get_secret_value())
    key = load_or_create_secret(key_path(settings.files_dir))
    runtime = Runtime(
        settings=settings,
        engine=engine,
        sessions=make_sessionmaker(engine),
        files=FileStore(settings.files_dir),
        links=LinkSigner(key, settings.base_url),
        redis=redis_state.connect(settings.redis_url.get_secret_value()) if settings.redis_url else None,
    )
    conversation = Conversation(runtime.deps, build_router(), file_rejected, runtime.file_fetchers)
    runtime.conversation = InboxConversation(runtime, conversation)
    shard = shard_of(settings)
    runtime.inbox_worker = InboxWorker(runtime, shard=shard)
    runtime.sender = OutboxSender(runtime, shard=shard)
    register_features(runtime)
    return runtime


def shard_of(settings: Settings) -> Shard:
    """This process's share of the chats: its index of several when a parent started it, else all."""
    if settings.process_index is None:
        return Shard()
    return Shard(settings.process_index, settings.processes)


def register_features(runtime: Runtime) -> None:
    """Periodic ticks and other hooks of the feature modules."""
    from bot import ticks

    ticks.register(runtime)


@dataclass
class Running:
    runtime: Runtime
    web_runner: web.AppRunner
    url: str
    stop: asyncio.Event


def build_web(runtime: Runtime) -> web.Application:
    from bot.channels.webchat import setup_webchat

    app = make_web_app(runtime)
    setup_webchat(runtime, app, serve_page=runtime.settings.webchat_enabled)
    if runtime.settings.telegram_enabled:
        from bot.channels import telegram

        telegram.setup(runtime, app)
    if runtime.settings.whatsapp_enabled:
        from bot.channels import whatsapp

        whatsapp.setup(runtime, app)
    return app


def supervise(runtime: Runtime, app: web.Application) -> Supervisor:
    """Every loop of this process under one supervisor: the workers, the channels' loops, the scheduler."""
    assert runtime.inbox_worker is not None and runtime.sender is not None
    stuck_after = runtime.settings.health_stuck_seconds
    supervisor = Supervisor(stuck_after)
    inbox, sender = runtime.inbox_worker, runtime.sender
    supervisor.add(Loop("inbox", inbox.run, inbox.heartbeat, inbox.waiting, inbox.failures))
    supervisor.add(Loop("outbox", sender.run, sender.heartbeat, sender.waiting, sender.failures))
    shard = inbox.shard
    scheduler = scheduler_loop(runtime, stuck_after)
    scheduler.leader_only = True  # its ticks claim rows, but one process running them is enough
    for loop in [*app[BACKGROUND_KEY], scheduler]:
        if shard.leads or not loop.leader_only:
            supervisor.add(loop)
    if not shard.alone:
        dsn = asyncpg_dsn(runtime.settings.database_url.get_secret_value())
        supervisor.add(Presence(shard, dsn, inbox.rows_waiting, inbox.done_elsewhere).loop(stuck_after))
    checkpoints = checkpoints_loop(runtime.engine.url)
    if checkpoints is not None:
        supervisor.add(checkpoints)
    stalls = StallWatch()
    app[COUNTERS_KEY]["event loop"] = stalls.stats
    supervisor.add(Loop("event loop watch", stalls.run, stalls.heartbeat))
    return supervisor


@contextlib.asynccontextmanager
async def running(runtime: Runtime, port: int | None = None) -> AsyncIterator[Running]:
    """Serves the web app and runs every loop under the supervisor (see bot/supervisor.py)."""
    settings = runtime.settings
    await redis_state.check(settings, runtime.redis)
    app = build_web(runtime)
    supervisor = app[SUPERVISOR_KEY] = supervise(runtime, app)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    # Several processes share one port: the kernel spreads the connections among them.
    shared = not runtime.inbox_worker.shard.alone if runtime.inbox_worker is not None else False
    site = web.TCPSite(
        runner, settings.http_host, settings.http_port if port is None else port, reuse_port=shared or None
    )
    await site.start()
    bound = runner.addresses[0]
    url = f"http://{settings.http_host}:{bound[1]}"
    stop = asyncio.Event()
    tasks = supervisor.start(stop)
    try:
        yield Running(runtime, runner, url, stop)
    finally:
        stop.set()
        runtime.wake_sender()
        if runtime.inbox_worker is not None:
            runtime.inbox_worker.wake()
        await asyncio.gather(*tasks, return_exceptions=True)
        await runner.cleanup()
        if runtime.redis is not None:
            await runtime.redis.aclose()


async def prepare(runtime: Runtime) -> bool:
    """Migrations and the demo school, once before serving (by the parent of several processes).
    True when the demo school was created."""
    from bot.services.admin.demo import ensure_demo
    from db.migrate import upgrade

    await upgrade(runtime.engine)
    return await ensure_demo(runtime.deps)


def _freeze_start_up() -> None:
    """What start-up built (modules, mappers, compiled statements, the catalogs) lives as long as the
    process: kept out of the collector's reach, so that its full collections stop walking it. Under the
    benchmark's load each full collection walked about 230,000 objects (60 ms, a stall of the loop), and
    collections took about 3 % of the CPU."""
    gc.collect()  # the garbage of start-up goes first, or it would be kept for ever
    gc.freeze()


def running_line(settings: Settings) -> str:
    channels = [
        "web chat" if settings.webchat_enabled else None,
        "Telegram" if settings.telegram_enabled else None,
        "WhatsApp" if settings.whatsapp_enabled else None,
    ]
    line = f"Ustaz is running: {', '.join(c for c in channels if c)}."
    if settings.processes > 1:
        line += f" ({settings.processes} processes on port {settings.http_port})"
    return line


async def serve(settings: Settings) -> int:
    """`ustaz run`: this process serves; or, with USTAZ_PROCESSES > 1, it starts that many that do."""
    if settings.processes > 1 and settings.process_index is None:
        from bot.processes import become_parent

        runtime = build_runtime(settings)
        created = await prepare(runtime)
        await runtime.engine.dispose()
        if created:
            print("The demo school was created (see `ustaz demo` for the people and their invite links).")
        announce = running_line(settings)
        if settings.webchat_enabled:
            announce += f"\nOpen the web chat: http://{settings.http_host}:{settings.http_port}/"
        become_parent(settings, announce)
    runtime = build_runtime(settings)
    created = await prepare(runtime) if settings.process_index is None else False
    async with running(runtime) as live:
        _freeze_start_up()
        if settings.process_index is not None:  # one of several: its parent says it once for all
            from bot.processes import READY

            print(f"{READY} {settings.process_index}", flush=True)
        else:
            print(running_line(settings))
            if settings.webchat_enabled:
                print(f"Open the web chat: {live.url}/")
        if created:
            print("The demo school was created (see `ustaz demo` for the people and their invite links).")
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, live.stop.set)
        await live.stop.wait()
    await runtime.engine.dispose()
    return 0
