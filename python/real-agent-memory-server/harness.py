"""Runs the real Agent Memory Server's background tasks for adk-redis's test harness.

The server queues its background work (promotion, debounced extraction, indexing) in Docket,
which a worker process runs. This process is that worker, driven by the TypeScript launcher
(src/testing/real-agent-memory-server/) so tests can decide when the work happens:

- ``--mode auto``: the server's own ``agent-memory task-worker`` processes (as many as the
  deployment has, started and stopped by the launcher) run the work as it comes due; this process
  only watches the queue.
- ``--mode manual``: nothing runs until the launcher sends ``drain``; this process then runs every
  queued and scheduled task until none is left, scheduled ones brought forward to now (the server
  runs with a debounce of an hour in this mode, so nothing it keeps for a task expires meanwhile).

Commands arrive on stdin as JSON lines; each answer is one JSON line on file descriptor 3 (stdout
stays free for the server's own logging). Commands:

- ``{"id": n, "cmd": "drain"}``: manual mode, run the queued work to the end.
- ``{"id": n, "cmd": "idle"}``: auto mode, wait until no task is running or due soon.
- ``{"id": n, "cmd": "settle"}``: end the post-extraction debounce, so the next write schedules
  extraction again (the server skips it while these keys exist): auto mode waits until they
  expire; manual mode, whose debounce is an hour, deletes them as if that hour had passed.
- ``{"id": n, "cmd": "tasks"}``: how many tasks of each function are waiting (queued or scheduled)
  and running, answered as ``{"waiting": {...}, "running": {...}, "runningOn": {pid: n}}``.
- ``{"id": n, "cmd": "workers"}``: the process ids of the workers whose heartbeat Docket holds,
  answered as ``{"workers": [...]}``.

Nothing here changes what the server does: the worker runs the server's own task collection with
the same Docket settings as ``agent-memory task-worker``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from datetime import datetime, timedelta, timezone
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TextIO

from docket import Docket, Worker

from agent_memory_server.cli import _default_redelivery_timeout_seconds
from agent_memory_server.config import settings
from agent_memory_server.docket_tasks import task_collection
from agent_memory_server.long_term_memory import EXTRACTION_DEBOUNCE_KEY_PREFIX
from agent_memory_server.utils.redis import get_redis_conn, redis_url_for_docket

TASKS = "agent_memory_server.docket_tasks:task_collection"
# A task due within this many seconds counts as pending work (extraction waits out its debounce).
DUE_SOON_SECONDS = 5.0
# How long `idle` waits for a worker to come back before it says none will.
NO_WORKER_SECONDS = 60.0


@asynccontextmanager
async def docket() -> AsyncIterator[Docket]:
    """The server's docket, with its task collection registered (snapshots need the functions)."""
    async with Docket(name=settings.docket_name, url=redis_url_for_docket(settings.redis_url)) as d:
        d.register_collection(TASKS)
        yield d


def worker(d: Docket, automatic: bool) -> Worker:
    """A worker with ``agent-memory task-worker``'s settings, for manual mode's drains."""
    return Worker(
        docket=d,
        concurrency=10,
        redelivery_timeout=timedelta(seconds=_default_redelivery_timeout_seconds()),
        schedule_automatic_tasks=automatic,
    )


async def bring_forward(d: Docket) -> None:
    """Makes every scheduled task due now (its place in the queue is its due time)."""
    async with d.redis() as r:
        members = await r.zrange(d.queue_key, 0, -1)
        if members:
            now = datetime.now(timezone.utc).timestamp()
            await r.zadd(d.queue_key, {m: now for m in members}, xx=True)


async def drain() -> None:
    """Runs every queued task, and every task those schedule, until none is left."""
    async with docket() as d:

        async def keep_bringing_forward() -> None:
            while True:
                await bring_forward(d)
                await asyncio.sleep(0.05)

        forward = asyncio.create_task(keep_bringing_forward())
        try:
            async with worker(d, automatic=False) as w:
                await w.run_until_finished()
        finally:
            forward.cancel()


async def idle() -> None:
    """Waits until no task runs and none is due within DUE_SOON_SECONDS (periodic ones are later).

    Fails when work is waiting and no worker has sent a heartbeat for NO_WORKER_SECONDS: nothing
    would ever run it (the launcher restarts workers that end, so a gap shorter than that is a
    worker starting again)."""
    loop = asyncio.get_running_loop()
    without_worker_since: float | None = None
    async with docket() as d:
        while True:
            snap = await d.snapshot()
            horizon = datetime.now(timezone.utc) + timedelta(seconds=DUE_SOON_SECONDS)
            if not snap.running and not any(e.when <= horizon for e in snap.future):
                return
            if snap.workers:
                without_worker_since = None
            elif without_worker_since is None:
                without_worker_since = loop.time()
            elif loop.time() - without_worker_since > NO_WORKER_SECONDS:
                raise RuntimeError(f"tasks are waiting and no task worker has been alive for {NO_WORKER_SECONDS} s")
            await asyncio.sleep(0.05)


def pid_of(worker_name: str) -> str:
    """Docket names a worker ``host#pid`` by default."""
    return worker_name.rsplit("#", 1)[-1]


async def tasks() -> dict[str, dict[str, int]]:
    """Counts of waiting and running tasks by function name, and of running tasks by worker pid."""
    async with docket() as d:
        snap = await d.snapshot()
    waiting: dict[str, int] = {}
    running: dict[str, int] = {}
    running_on: dict[str, int] = {}
    for e in snap.future:
        waiting[e.function.__name__] = waiting.get(e.function.__name__, 0) + 1
    for e in snap.running:
        running[e.function.__name__] = running.get(e.function.__name__, 0) + 1
        running_on[pid_of(e.worker)] = running_on.get(pid_of(e.worker), 0) + 1
    return {"waiting": waiting, "running": running, "runningOn": running_on}


async def workers() -> list[str]:
    """Process ids of the workers Docket has a recent heartbeat of."""
    async with docket() as d:
        return sorted(pid_of(w.name) for w in await d.workers())


async def settle(mode: str) -> None:
    """Ends the post-extraction debounce: waits for its keys to expire, or (manual) deletes them."""
    redis = await get_redis_conn()
    while True:
        found = [k async for k in redis.scan_iter(match=f"{EXTRACTION_DEBOUNCE_KEY_PREFIX}:*", count=1000)]
        if not found:
            return
        if mode == "manual":
            await redis.delete(*found)
        else:
            await asyncio.sleep(0.05)


async def serve(mode: str, answers: TextIO) -> None:
    def answer(message: dict[str, Any]) -> None:
        answers.write(json.dumps(message) + "\n")
        answers.flush()

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    async def handle(request: dict[str, Any]) -> None:
        try:
            result: dict[str, Any] = {}
            if request["cmd"] == "drain":
                if mode != "manual":
                    raise ValueError("drain runs only in manual mode")
                await drain()
            elif request["cmd"] == "idle":
                await idle()
            elif request["cmd"] == "settle":
                await settle(mode)
            elif request["cmd"] == "tasks":
                result = await tasks()
            elif request["cmd"] == "workers":
                result = {"workers": await workers()}
            else:
                raise ValueError(f"unknown command {request['cmd']!r}")
            answer({"id": request["id"], "ok": True, **result})
        except Exception as e:  # reported to the launcher, which raises it in the test
            answer({"id": request["id"], "ok": False, "error": f"{type(e).__name__}: {e}"})

    # The same Redis connection pool as the server's code: its first use connects.
    await get_redis_conn()
    answer({"ready": True})
    # Commands run concurrently: `tasks` is asked while a `drain` waits on the model.
    handlers: set[asyncio.Task[None]] = set()
    while line := await reader.readline():
        handler = asyncio.create_task(handle(json.loads(line)))
        handlers.add(handler)
        handler.add_done_callback(handlers.discard)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["auto", "manual"], required=True)
    args = parser.parse_args()
    with os.fdopen(3, "w") as answers:
        asyncio.run(serve(args.mode, answers))


if __name__ == "__main__":
    main()
