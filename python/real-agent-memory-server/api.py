"""Serves the real Agent Memory Server's REST API for adk-redis's test harness.

What ``agent-memory api --task-backend docket`` does (the server's own app, logging and settings),
with one addition that changes no route: a count of requests in flight, background work included,
at ``GET /__adk_redis_harness__/inflight``. FastAPI gives the server's endpoints plain
``BackgroundTasks``, so the work a PUT or POST queues (promotion, long-term indexing) runs in this
process after the response; an ASGI call returns only once that work is done, so the count tells
the launcher when everything a client wrote has been indexed.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import uvicorn

from agent_memory_server.config import settings
from agent_memory_server.logging import configure_logging
from agent_memory_server.main import app as server_app

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

PROBE = "/__adk_redis_harness__/inflight"


class InflightCounter:
    """Counts HTTP calls of the wrapped app until they return (after their background tasks)."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app
        self.inflight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == PROBE:
            body = json.dumps({"inflight": self.inflight}).encode()
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": body})
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.inflight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.inflight -= 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    configure_logging()
    # As `agent-memory api --task-backend docket`: tasks scheduled through Docket go to the worker.
    settings.use_docket = True
    uvicorn.run(InflightCounter(server_app), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
