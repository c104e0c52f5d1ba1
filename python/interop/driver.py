"""The Python side of adk-redis's interop suite (npm run test:interop).

One long-lived process, driven over stdin/stdout with JSON lines: each request is
``{"id": n, "cmd": "...", "args": {...}}`` and each answer ``{"id": n, "ok": true, "value": ...}``
or ``{"id": n, "ok": false, "error": "..."}``. It uses the Python clients exactly as their users
do: the Python adk-redis (with google-adk's Runner and a scripted model, no network), the Agent
Memory Server's official client (agent-memory-client) and Redis Agent Memory's official SDK
(redis-agent-memory). Nothing here reaches anything but the URLs the suite passes in.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import traceback
import uuid
from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from agent_memory_client import MemoryAPIClient, MemoryClientConfig
from agent_memory_client.models import MemoryMessage
from google.adk.agents import LlmAgent
from google.adk.events import Event
from google.adk.models import BaseLlm, LlmRequest, LlmResponse
from google.adk.runners import Runner
from google.adk.tools import FunctionTool
from google.genai import types
from redis_agent_memory import AgentMemory

from adk_redis.memory import RedisLongTermMemoryService, RedisLongTermMemoryServiceConfig
from adk_redis.sessions import RedisSessionMemoryService, RedisSessionMemoryServiceConfig

Args = dict[str, Any]


class ScriptedCoach(BaseLlm):
    """Calls log_run once, then answers in text: the same two model calls every run."""

    model: str = "scripted-coach"

    async def generate_content_async(self, llm_request: LlmRequest, stream: bool = False) -> AsyncGenerator[LlmResponse, None]:
        last = llm_request.contents[-1] if llm_request.contents else None
        answered = last is not None and any(p.function_response for p in (last.parts or []))
        if answered:
            yield LlmResponse(content=types.Content(role="model", parts=[types.Part(text="Logged your run, nice work.")]))
        else:
            call = types.FunctionCall(name="log_run", args={"km": 10})
            yield LlmResponse(content=types.Content(role="model", parts=[types.Part(function_call=call)]))


def log_run(km: int) -> dict[str, Any]:
    """Logs a run of the given distance in kilometres."""
    return {"logged_km": km}


def session_config(a: Args) -> RedisSessionMemoryServiceConfig:
    window = {"context_window_max": a["contextWindowMax"]} if a.get("contextWindowMax") else {}
    return RedisSessionMemoryServiceConfig(backend=a["backend"], api_base_url=a["url"], api_key=a.get("apiKey"), store_id=a.get("storeId"), **window)


def memory_config(a: Args) -> RedisLongTermMemoryServiceConfig:
    return RedisLongTermMemoryServiceConfig(backend=a["backend"], api_base_url=a["url"], api_key=a.get("apiKey"), store_id=a.get("storeId"))


def event_view(e: Event) -> dict[str, Any]:
    """What a Python ADK session shows of an event: id, author, text, function calls and responses."""
    parts = (e.content.parts or []) if e.content else []
    return {
        "id": e.id,
        "author": e.author,
        "text": "".join(p.text for p in parts if p.text),
        "calls": [p.function_call.name for p in parts if p.function_call],
        "responses": [p.function_response.name for p in parts if p.function_response],
    }


async def runner_turn(a: Args) -> Any:
    """A Python Runner turn (user message, tool call, tool result, answer) on the Python adk-redis."""
    sessions = RedisSessionMemoryService(session_config(a))
    agent = LlmAgent(name="coach", model=ScriptedCoach(), instruction="Log runs.", tools=[FunctionTool(log_run)])
    runner = Runner(agent=agent, app_name=a["app"], session_service=sessions)
    # Agent Memory Server: gets or creates the working memory (with the state); Redis Agent Memory:
    # writes nothing until the first event.
    session = await sessions.create_session(app_name=a["app"], user_id=a["user"], session_id=a["session"], state=a.get("state"))
    yielded = []
    message = types.Content(role="user", parts=[types.Part(text=a["text"])])
    async for e in runner.run_async(user_id=a["user"], session_id=session.id, new_message=message):
        yielded.append(event_view(e))
    return {"yielded": yielded}


async def get_session(a: Args) -> Any:
    sessions = RedisSessionMemoryService(session_config(a))
    s = await sessions.get_session(app_name=a["app"], user_id=a["user"], session_id=a["session"])
    if s is None:
        return None
    return {"id": s.id, "events": [event_view(e) for e in s.events], "state": s.state}


async def list_sessions(a: Args) -> Any:
    sessions = RedisSessionMemoryService(session_config(a))
    listed = await sessions.list_sessions(app_name=a["app"], user_id=a["user"])
    return sorted(s.id for s in listed.sessions)


async def append_text(a: Args) -> Any:
    """The Python adk-redis appends one text event to a session it reads first."""
    sessions = RedisSessionMemoryService(session_config(a))
    s = await sessions.get_session(app_name=a["app"], user_id=a["user"], session_id=a["session"])
    assert s is not None, "no session"
    e = Event(id=a.get("eventId") or str(uuid.uuid4()), invocation_id="py", author=a["author"], timestamp=time.time(), content=types.Content(role="user" if a["author"] == "user" else "model", parts=[types.Part(text=a["text"])]))
    await sessions.append_event(s, e)
    return e.id


async def recall_load(a: Args) -> Any:
    """The recall bench: a conversation's sessions appended through the Python adk-redis, each then
    given to its add_session_to_memory, as an agent using it would."""
    sessions = RedisSessionMemoryService(session_config(a))
    memory = RedisLongTermMemoryService(memory_config(a))
    for s in a["sessions"]:
        session = await sessions.create_session(app_name=a["app"], user_id=a["user"], session_id=s["id"])
        for e in s["events"]:
            content = types.Content(role=e["role"], parts=[types.Part(text=e["text"])])
            await sessions.append_event(session, Event(id=e["id"], invocation_id=s["id"], author=e["author"], timestamp=e["timestamp"], content=content))
        await memory.add_session_to_memory(session)
    return len(a["sessions"])


async def add_memory(a: Args) -> Any:
    from google.adk.memory.memory_entry import MemoryEntry

    memory = RedisLongTermMemoryService(memory_config(a))
    await memory.add_memory(app_name=a["app"], user_id=a["user"], memories=[MemoryEntry(content=types.Content(parts=[types.Part(text=a["text"])]))])
    return True


async def search_memory(a: Args) -> Any:
    memory = RedisLongTermMemoryService(memory_config(a))
    found = await memory.search_memory(app_name=a["app"], user_id=a["user"], query=a["query"])
    return ["".join(p.text or "" for p in (m.content.parts or [])) for m in found.memories]


def amc(a: Args) -> MemoryAPIClient:
    return MemoryAPIClient(MemoryClientConfig(base_url=a["url"], timeout=30.0))


async def amc_get_working_memory(a: Args) -> Any:
    async with amc(a) as client:
        wm = await client.get_working_memory(session_id=a["session"], namespace=a["namespace"], user_id=a["user"])
        return {"messages": [{"id": m.id, "role": m.role, "content": m.content} for m in wm.messages], "data": wm.data}


async def amc_append_message(a: Args) -> Any:
    async with amc(a) as client:
        message = MemoryMessage(role=a.get("role", "user"), content=a["content"], created_at=datetime.now(UTC))
        await client.append_messages_to_working_memory(session_id=a["session"], messages=[message], namespace=a["namespace"], user_id=a["user"])
        return message.id


async def amc_search(a: Args) -> Any:
    from agent_memory_client.filters import Namespace, UserId

    async with amc(a) as client:
        found = await client.search_long_term_memory(text=a["query"], namespace=Namespace(eq=a["namespace"]), user_id=UserId(eq=a["user"]), limit=20)
        return [m.text for m in found.memories]


class Outcomes(dict[str, str]):
    """Each step's outcome by name: "ok", or the error's class (and message) when it raised."""

    def __init__(self, with_message: bool) -> None:
        super().__init__()
        self.with_message = with_message

    async def step(self, name: str, work: Callable[[], Awaitable[Any]]) -> Any:
        try:
            value = await work()
            self[name] = "ok"
            return value
        except Exception as e:  # the outcome is the answer
            self[name] = f"{type(e).__name__}: {e}" if self.with_message else type(e).__name__
            return None


async def sdk_operations(a: Args) -> Any:
    """Every Redis Agent Memory operation adk-redis uses, through the official SDK: each one's outcome."""
    outcomes = Outcomes(with_message=True)
    step = outcomes.step

    session = f"sdk-{uuid.uuid4().hex[:12]}"
    owner = a["user"]
    async with AgentMemory(a["url"], api_key=a["apiKey"], store_id=a["storeId"], timeout_ms=30_000) as m:
        await step("health", lambda: m.health_async())
        await step("store_health", lambda: m.store_health_async())
        added = await step("add_session_event", lambda: m.add_session_event_async(session_id=session, actor_id=owner, role="USER", content=[{"text": "I swim on Fridays"}], created_at=datetime.now(UTC), namespace=a["namespace"], metadata={"k": "v"}))
        await step("get_session_memory", lambda: m.get_session_memory_async(session_id=session))
        await step("list_sessions", lambda: m.list_sessions_async(limit=10, filter_owner_id=owner))
        event_id = getattr(getattr(added, "event", None), "event_id", None)
        if event_id:
            await step("get_session_event", lambda: m.get_session_event_async(session_id=session, event_id=event_id))
            await step("delete_session_event", lambda: m.delete_session_event_async(session_id=session, event_id=event_id))
        await step("delete_session_memory", lambda: m.delete_session_memory_async(session_id=session))
        memory_id = f"sdk-{uuid.uuid4().hex[:12]}"
        await step("bulk_create_long_term_memories", lambda: m.bulk_create_long_term_memories_async(memories=[{"id": memory_id, "text": "User swims on Fridays", "memoryType": "semantic", "ownerId": owner, "namespace": a["namespace"], "topics": ["sport"]}]))
        await step("search_long_term_memory", lambda: m.search_long_term_memory_async(request={"text": "swims", "limit": 5, "filter_": {"ownerId": {"eq": owner}, "namespace": {"eq": a["namespace"]}}, "filter_op": "all"}))
        await step("get_long_term_memory", lambda: m.get_long_term_memory_async(memory_id=memory_id))
        await step("update_long_term_memory", lambda: m.update_long_term_memory_async(memory_id=memory_id, text="User swims on Fridays and Sundays", topics=["sport"], memory_type="semantic"))
        await step("bulk_delete_long_term_memories", lambda: m.bulk_delete_long_term_memories_async(memory_ids=[memory_id]))
    return outcomes


def sdk(a: Args) -> AgentMemory:
    return AgentMemory(a["url"], api_key=a["apiKey"], store_id=a["storeId"], timeout_ms=30_000)


async def sdk_namespace_write(a: Args) -> Any:
    """The SDK 0.4.1 places a session and memories in a new namespace object; returns its id and the memory ids."""
    async with sdk(a) as m:
        created = await m.create_namespace_async(request={"name": a["name"], "scope": "SHARED"})
        ns = created.namespace.namespace_id
        for text in a["texts"]:
            await m.add_session_event_async(session_id=a["session"], actor_id=a["user"], role="USER", content=[{"text": text}], created_at=datetime.now(UTC), namespace_ref={"namespaceId": ns})
        ids = [f"sdk-{uuid.uuid4().hex[:12]}" for _ in a["memories"]]
        if ids:
            await m.bulk_create_long_term_memories_async(
                memories=[{"id": i, "text": t, "memoryType": "semantic", "ownerId": a["user"], "namespaceRef": {"namespaceId": ns}} for i, t in zip(ids, a["memories"])]
            )
        return {"namespaceId": ns, "memoryIds": ids}


async def sdk_namespace_read(a: Args) -> Any:
    """What the SDK reads of a session and of the user's memories in a namespace object."""
    async with sdk(a) as m:
        session = await m.get_session_memory_async(session_id=a["session"])
        found = await m.search_long_term_memory_async(
            request={"text": a["query"], "limit": 20, "filter_": {"ownerId": {"eq": a["user"]}, "namespaceRef": {"eq": a["namespaceId"]}}, "filter_op": "all"}
        )
        return {
            "session": {
                "ownerId": session.owner_id,
                "namespace": session.namespace,
                "namespaceRef": session.namespace_ref.model_dump(by_alias=True) if session.namespace_ref else None,
                "texts": ["".join(c.text for c in e.content) for e in session.events],
            },
            "memories": [{"text": r.text, "namespace": r.namespace, "namespaceId": r.namespace_ref.namespace_id if r.namespace_ref else None} for r in found.items],
        }


async def sdk_namespace_operations(a: Args) -> Any:
    """Every namespace operation of the SDK 0.4.1, each one's outcome (a refusal is named by its error class)."""
    outcomes = Outcomes(with_message=False)
    step = outcomes.step

    async with sdk(a) as m:
        parent = await step("create_namespace", lambda: m.create_namespace_async(request={"name": a["name"], "scope": "SHARED"}))
        pid = parent.namespace.namespace_id if parent else ""
        child = await step("create_child", lambda: m.create_namespace_async(request={"name": "child", "parentId": pid}))
        cid = child.namespace.namespace_id if child else ""
        await step("create_taken", lambda: m.create_namespace_async(request={"name": "child", "parentId": pid}))
        await step("list_namespaces", lambda: m.list_namespaces_async(parent_id=pid, limit=10))
        await step("get_namespace", lambda: m.get_namespace_async(namespace_id=cid))
        await step("rename_namespace", lambda: m.update_namespace_async(namespace_id=cid, name="kid"))
        memory_id = f"sdk-{uuid.uuid4().hex[:12]}"
        await m.bulk_create_long_term_memories_async(memories=[{"id": memory_id, "text": "moved fact", "ownerId": a["user"]}])
        await step("move_long_term_memories", lambda: m.move_long_term_memories_async(memory_ids=[memory_id], namespace_ref={"namespaceId": cid}))
        await step("delete_non_empty", lambda: m.delete_namespace_async(namespace_id=cid))
        await step("archive_namespace", lambda: m.update_namespace_async(namespace_id=cid, state="ARCHIVED"))
        await step("move_to_archived", lambda: m.move_long_term_memories_async(memory_ids=[memory_id], namespace_ref={"namespaceId": cid}))
        await m.bulk_delete_long_term_memories_async(memory_ids=[memory_id])
        await step("delete_namespace", lambda: m.delete_namespace_async(namespace_id=cid))
    return outcomes


class Meter:
    """Requests and bytes the Python clients send and receive (every httpx request of this process)."""

    requests = 0
    sent = 0
    received = 0
    # When a list: every request as sent (method, url, body), to send it again (bench/request-classes.ts).
    recorded: list[dict[str, str]] | None = None


_send = httpx.AsyncClient.send


async def _metered_send(self: httpx.AsyncClient, request: httpx.Request, *args: Any, **kwargs: Any) -> httpx.Response:
    Meter.requests += 1
    Meter.sent += len(request.content or b"")
    if Meter.recorded is not None:
        Meter.recorded.append({"method": request.method, "url": str(request.url), **({"body": request.content.decode("utf-8")} if request.content else {})})
    response = await _send(self, request, *args, **kwargs)
    Meter.received += len(response.content or b"")
    return response


httpx.AsyncClient.send = _metered_send  # type: ignore[method-assign]


def text_event(i: int, tool: bool = False) -> list[Event]:
    """The i-th event of a bench session: a text turn, or (tool) a function call and its response."""
    now = time.time()
    if not tool:
        role, author = ("user", "user") if i % 2 == 0 else ("model", "coach")
        return [Event(id=f"py-{uuid.uuid4().hex}", invocation_id=f"inv-{i}", author=author, timestamp=now, content=types.Content(role=role, parts=[types.Part(text=f"Message {i}: the athlete logged a steady tempo run and asked about recovery")]))]
    call = types.FunctionCall(id=f"c-{i}", name="log_run", args={"km": i})
    response = types.FunctionResponse(id=f"c-{i}", name="log_run", response={"logged_km": i})
    return [
        Event(id=f"py-{uuid.uuid4().hex}", invocation_id=f"inv-{i}", author="coach", timestamp=now, content=types.Content(role="model", parts=[types.Part(function_call=call)])),
        Event(id=f"py-{uuid.uuid4().hex}", invocation_id=f"inv-{i}", author="coach", timestamp=now, content=types.Content(role="user", parts=[types.Part(function_response=response)])),
    ]


async def bench_seed(a: Args) -> Any:
    """A Python adk-redis session of `events` events, appended one by one as a Runner would."""
    sessions = RedisSessionMemoryService(session_config(a))
    s = await sessions.create_session(app_name=a["app"], user_id=a["user"], session_id=a["session"])
    i = 0
    while i < a["events"]:
        for e in text_event(i, a.get("tool", False)):
            await sessions.append_event(s, e)
            i += 1
    return i


_SESSIONS: dict[tuple[str, str, str], Any] = {}


async def bench_run(a: Args) -> Any:
    """Times one operation `iterations` times inside Python (process start excluded): ms each, and requests and bytes per call."""
    sessions = RedisSessionMemoryService(session_config(a))
    memory = RedisLongTermMemoryService(memory_config(a))
    op, app, user = a["op"], a["app"], a["user"]
    session = None
    if op in ("appendEvent", "addSessionToMemory"):
        # Read once and kept, as a Runner keeps its session: the timed calls are the appends alone.
        key = (app, user, a["session"])
        if key not in _SESSIONS:
            _SESSIONS[key] = await sessions.get_session(app_name=app, user_id=user, session_id=a["session"])
        session = _SESSIONS[key]

    async def once(i: int) -> None:
        if op == "createSession":
            await sessions.create_session(app_name=app, user_id=user, session_id=f"{a['prefix']}-{i}")
        elif op == "appendEvent":
            await sessions.append_event(session, text_event(10_000 + i)[0])
        elif op == "getSession":
            await sessions.get_session(app_name=app, user_id=user, session_id=a["session"])
        elif op == "turn":
            # A Runner turn: read the session, then the user's message, a tool call, its result and the answer.
            s = await sessions.get_session(app_name=app, user_id=user, session_id=a["session"])
            for e in [text_event(2 * i)[0], *text_event(i, True), text_event(2 * i + 1)[0]]:
                await sessions.append_event(s, e)
        elif op == "listSessions":
            await sessions.list_sessions(app_name=app, user_id=user)
        elif op == "addMemory":
            from google.adk.memory.memory_entry import MemoryEntry

            await memory.add_memory(app_name=app, user_id=user, memories=[MemoryEntry(content=types.Content(parts=[types.Part(text=f"Python fact {a['prefix']} {i}: likes tempo runs")]))])
        elif op == "searchMemory":
            await memory.search_memory(app_name=app, user_id=user, query="what runs does the user like?")
        elif op == "addSessionToMemory":
            await memory.add_session_to_memory(session)
        else:
            raise ValueError(f"unknown op {op}")

    for i in range(a.get("warmup", 2)):
        await once(-1 - i)
    times: list[float] = []
    Meter.requests = Meter.sent = Meter.received = 0
    Meter.recorded = [] if a.get("record") else None
    for i in range(a["iterations"]):
        t = time.perf_counter()
        await once(i)
        times.append((time.perf_counter() - t) * 1000)
    n = a["iterations"]
    recorded, Meter.recorded = Meter.recorded, None
    return {"ms": times, "requests": Meter.requests / n, "sent": Meter.sent / n, "received": Meter.received / n, **({"recorded": recorded} if recorded is not None else {})}


async def load_replica(a: Args) -> Any:
    """One agent replica of the load bench on the Python adk-redis: `sessions` served at once, each for
    `turns` turns (getSession, the user's message, a tool call, its result, the answer; searchMemory
    every `searchEvery`-th turn, addSessionToMemory every `memoryEvery`-th), as the TypeScript
    replica does. Answers the events each append acknowledged (as `event_key`s: the Python
    adk-redis keeps neither event ids nor authors), each turn's ms, and the failed calls."""
    sessions = RedisSessionMemoryService(session_config(a))
    memory = RedisLongTermMemoryService(memory_config(a))
    app, user = a["app"], a["user"]
    acked: dict[str, list[str]] = {}
    turn_ms: list[float] = []
    errors: list[dict[str, str]] = []

    async def attempt(op: str, work: Callable[[], Awaitable[Any]]) -> tuple[bool, Any]:
        try:
            return True, await work()
        except Exception as e:  # counted as the bench's errors
            errors.append({"op": op, "name": type(e).__name__, "message": str(e)[:300]})
            return False, None

    async def serve(sid: str) -> None:
        ok, _ = await attempt("createSession", lambda: sessions.create_session(app_name=app, user_id=user, session_id=sid))
        if not ok:
            return
        acked[sid] = []
        for t in range(a["turns"]):
            started = time.perf_counter()
            ok, s = await attempt("getSession", lambda: sessions.get_session(app_name=app, user_id=user, session_id=sid))
            if not ok or s is None:
                continue
            for e in [text_event(2 * t)[0], *text_event(t, True), text_event(2 * t + 1)[0]]:
                ok, _ = await attempt("appendEvent", lambda e=e: sessions.append_event(s, e))
                if not ok:
                    break
                acked[sid].append(event_key(e))
            if ok and a["searchEvery"] and t % a["searchEvery"] == a["searchEvery"] - 1:
                ok, _ = await attempt("searchMemory", lambda: memory.search_memory(app_name=app, user_id=user, query="how was the tempo run?"))
            if ok and a["memoryEvery"] and t % a["memoryEvery"] == a["memoryEvery"] - 1:
                ok, _ = await attempt("addSessionToMemory", lambda: memory.add_session_to_memory(s))
            if ok:
                turn_ms.append((time.perf_counter() - started) * 1000)
                # Progress for the bench, which reads the driver's stderr while the call runs.
                print(f"load-progress {len(turn_ms)}", file=sys.stderr, flush=True)

    await asyncio.gather(*(serve(sid) for sid in a["sessions"]))
    return {"acked": acked, "turnMs": turn_ms, "errors": errors}


def event_key(e: Event) -> str:
    """What of an event survives a Python adk-redis round trip: its text, calls and responses."""
    view = event_view(e)
    return json.dumps([view["text"], view["calls"], view["responses"]])


async def session_event_keys(a: Args) -> Any:
    """The `event_key`s of a session's events as the Python adk-redis reads them (None: no session)."""
    sessions = RedisSessionMemoryService(session_config(a))
    s = await sessions.get_session(app_name=a["app"], user_id=a["user"], session_id=a["session"])
    return None if s is None else [event_key(e) for e in s.events]


COMMANDS: dict[str, Callable[[Args], Awaitable[Any]]] = {
    "bench_seed": bench_seed,
    "bench_run": bench_run,
    "load_replica": load_replica,
    "session_event_keys": session_event_keys,
    "runner_turn": runner_turn,
    "get_session": get_session,
    "list_sessions": list_sessions,
    "append_text": append_text,
    "add_memory": add_memory,
    "recall_load": recall_load,
    "search_memory": search_memory,
    "amc_get_working_memory": amc_get_working_memory,
    "amc_append_message": amc_append_message,
    "amc_search": amc_search,
    "sdk_operations": sdk_operations,
    "sdk_namespace_write": sdk_namespace_write,
    "sdk_namespace_read": sdk_namespace_read,
    "sdk_namespace_operations": sdk_namespace_operations,
}


MAX_LINE_BYTES = 256 * 1024 * 1024


async def main() -> None:
    loop = asyncio.get_running_loop()
    # One command per line, and a command may carry a whole session (a long conversation of the
    # recall bench's dataset is megabytes): the reader's default line limit is 64 KiB.
    reader = asyncio.StreamReader(limit=MAX_LINE_BYTES)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    # Answers go to the real stdout; anything a library prints goes to stderr, never into the protocol.
    out = os.fdopen(os.dup(1), "w")
    sys.stdout = sys.stderr
    out.write(json.dumps({"ready": True}) + "\n")
    out.flush()
    while line := await reader.readline():
        request = json.loads(line)
        try:
            value = await COMMANDS[request["cmd"]](request.get("args", {}))
            answer = {"id": request["id"], "ok": True, "value": value}
        except Exception as e:
            answer = {"id": request["id"], "ok": False, "error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()}
        out.write(json.dumps(answer, default=str) + "\n")
        out.flush()


if __name__ == "__main__":
    asyncio.run(main())
