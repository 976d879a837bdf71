"""The live NOC page on the worker's web server: open incidents of one tenant, updated over
Server-Sent Events, with a detail view of each incident's alerts and runbooks.

The source is the live feed the Redis receiver keeps (``connectors/redis_feed/feed.py``): on
connect a client gets the open incidents folded from the tail of its tenant's stream, then
each change as it is appended (``XREAD BLOCK``). The detail view adds the latest row of each
member alert from ClickHouse when this worker runs the ingest stage (it owns the database).
The page is plain HTML, JS and CSS from ``pipelines/noc_static``; nothing to build. Routes
and the event stream's format: docs/noc.md; who may read which tenant: ``noc_auth.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Awaitable, Callable
from importlib.resources import files
from urllib.parse import urlsplit

import faust
import orjson
import redis.asyncio as aioredis
from aiohttp import web
from redis.exceptions import RedisError

from config.settings import Settings
from connectors.clickhouse.http_api import Authenticator, sql_url
from connectors.clickhouse.readonly_sql import Limits, Principal, SqlError, SqlQuery, run_read
from connectors.redis_feed.feed import OpenIncidents, entries, stream_key
from pipelines.noc_auth import (
    NocAuthError,
    SessionSigner,
    Viewer,
    cookie_header,
    cookie_value,
    login,
    viewer_of,
)
from schemas.clickhouse import sql_string
from schemas.notify import IncidentBrief

log = logging.getLogger(__name__)

STATIC = files("pipelines") / "noc_static"
TAIL_ENTRIES = 5_000
"""Feed entries folded into the open list on connect (the stream keeps ~10,000)."""
KEEP_RESOLVED_S = 900.0
"""A resolved incident stays listed this long, so the operator sees it close."""
BLOCK_S = 15.0
"""XREAD BLOCK per round; a keep-alive comment goes out after an idle one, which is also
how a closed browser tab is noticed."""
MAX_ALERTS = 200
_TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css",
          ".svg": "image/svg+xml"}
_STATIC_NAME = re.compile(r"^[a-z0-9_-]{1,64}\.(js|css|svg)$")
_HEADERS = {
    "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'",
}


class FeedDown(Exception):
    """Redis cannot be read; the message says where and why, never the password."""


class Closing(Exception):
    """The web server is shutting down: open streams end so that the worker can stop."""


class NocFeed:
    """A tenant's live feed, read with ``redis.asyncio``: the open list, then what follows."""

    def __init__(self, url: str, prefix: str, timeout_s: float) -> None:
        self.url, self.prefix, self.timeout_s = url, prefix, timeout_s
        self._clients: dict[bool, aioredis.Redis] = {}  # blocking or not: replies may take BLOCK_S

    def where(self) -> str:
        u = urlsplit(self.url)
        return f"{u.scheme}://{u.hostname or '127.0.0.1'}:{u.port or 6379}{u.path}"

    def _client(self, blocking: bool) -> aioredis.Redis:
        if blocking not in self._clients:
            self._clients[blocking] = aioredis.Redis.from_url(
                self.url, socket_timeout=self.timeout_s + (BLOCK_S if blocking else 0),
                socket_connect_timeout=self.timeout_s)
        return self._clients[blocking]

    def _down(self, exc: Exception) -> FeedDown:
        return FeedDown(f"Redis at {self.where()} cannot be read ({type(exc).__name__}: "
                        f"{exc}); the live feed is unavailable until it answers again")

    async def incidents(self, tenant: str, keep_resolved_s: float = KEEP_RESOLVED_S
                        ) -> OpenIncidents:
        """The incidents folded from the tail of the tenant's stream."""
        try:
            raw = await self._client(False).xrevrange(stream_key(tenant, self.prefix),
                                                      count=TAIL_ENTRIES)
        except (RedisError, OSError) as exc:
            raise self._down(exc) from None

        def fold() -> OpenIncidents:  # ~5,000 pydantic parses: off the event loop
            state = OpenIncidents(keep_resolved_s=keep_resolved_s)
            for entry_id, n in entries(reversed(raw)):
                state.add(entry_id, n)
            return state

        return await asyncio.to_thread(fold)

    async def after(self, tenant: str, last_id: str) -> list:
        try:
            got = await self._client(True).xread({stream_key(tenant, self.prefix): last_id},
                                                 count=1_000, block=int(BLOCK_S * 1000))
        except (RedisError, OSError) as exc:
            raise self._down(exc) from None
        return [e for _key, raw in got or [] for e in entries(raw)]

    async def close(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()


def snapshot(tenant: str, state: OpenIncidents) -> dict:
    state.prune(time.time())
    return {"tenant": tenant, "last_id": state.last_id, "server_time": time.time(),
            "incidents": [b.model_dump(mode="json") for b in state.ordered()]}


def _http_links(values) -> list[str]:
    return [v for v in values if isinstance(v, str) and re.match(r"https?://", v, re.I)]


class AlertDetail:
    """The latest ClickHouse row of each member alert, of one tenant only: the query filters
    on ``tenant_id`` and, on the embedded engine, runs read-only with the engine's own tenant
    filter too (``readonly_sql.run_read``)."""

    def __init__(self, sink_of: Callable[[], object | None], database: str, limits: Limits,
                 max_concurrent: int) -> None:
        self.sink_of, self.database, self.limits = sink_of, database, limits
        self._slots = asyncio.Semaphore(max_concurrent)

    def sql(self, tenant: str, fingerprints: list[str]) -> str:
        fps = ", ".join(sql_string(f) for f in fingerprints[:MAX_ALERTS])
        return (f"SELECT fingerprint, alertname, status, severity, site, service, host, labels, "
                f"annotations, toUnixTimestamp64Milli(ts) AS starts_ms, "
                f"toUnixTimestamp64Milli(ends_at) AS ends_ms, generator_url "
                f"FROM {self.database}.alerts FINAL "
                f"WHERE tenant_id = {sql_string(tenant)} AND fingerprint IN ({fps}) "
                f"ORDER BY ts DESC, event_time DESC, ingested_at DESC "
                f"LIMIT 1 BY fingerprint LIMIT {MAX_ALERTS}")

    async def rows(self, tenant: str, fingerprints: list[str]) -> tuple[list[dict] | None, str]:
        """(rows, note): rows is None when they cannot be had, and the note says why."""
        sink = self.sink_of()
        transport = getattr(sink, "transport", None)
        if transport is None:
            return None, ("alert detail needs the worker that runs the ingest stage (it holds "
                          "ClickHouse); this one does not, or it is still starting")
        if not fingerprints:
            return [], "this incident lists no alert fingerprints"
        sql = self.sql(tenant, fingerprints)
        try:
            async with self._slots:
                if hasattr(transport, "read_session"):
                    res = await asyncio.to_thread(run_read, transport,
                                                  SqlQuery(sql, "JSONEachRow"),
                                                  Principal(tenant, tenant), self.limits,
                                                  self.database)
                    rows = [orjson.loads(line) for line in res.body.splitlines() if line]
                else:
                    rows = await asyncio.to_thread(transport.query_rows, sql)
        except (SqlError, RuntimeError, OSError) as exc:
            log.warning("NOC detail: alerts of %s not read: %s", tenant, exc)
            return None, f"ClickHouse did not answer the alert query: {exc}"
        for r in rows:  # Int64 comes quoted in JSON
            r["starts_ms"] = int(r["starts_ms"])
            r["ends_ms"] = int(r["ends_ms"]) if r.get("ends_ms") is not None else None
        rank = {"critical": 0, "error": 1, "warning": 2, "info": 3}
        rows.sort(key=lambda r: (r["status"] != "firing", rank.get(r["severity"], 4),
                                 -r["starts_ms"]))
        missing = len(set(fingerprints[:MAX_ALERTS]) - {r["fingerprint"] for r in rows})
        note = f"{missing} alert(s) not in ClickHouse yet (ingest lags)" if missing else ""
        return rows, note


def runbooks(brief: IncidentBrief, alerts: list[dict] | None) -> list[dict]:
    """Runbook links of the incident and of its alerts' annotations, http(s) only."""
    out: dict[str, str] = {u: brief.title for u in _http_links(brief.runbook_urls)}
    for a in alerts or []:
        ann = a.get("annotations") or {}
        for url in _http_links([ann.get("runbook_url"), ann.get("runbook")]):
            out.setdefault(url, a.get("alertname") or a["fingerprint"])
    return [{"url": u, "label": label} for u, label in out.items()]


class NocPage:
    """The handlers, free of Faust so that the routes below stay one line each."""

    def __init__(self, auth: Authenticator, signer: SessionSigner, feed: NocFeed,
                 detail: AlertDetail) -> None:
        self.auth, self.signer, self.feed, self.detail = auth, signer, feed, detail
        self.closing = asyncio.Event()

    async def shutdown(self, _app: web.Application | None = None) -> None:
        """aiohttp's ``on_shutdown``: it runs before the server waits (60 s) for handlers,
        and an open event stream would otherwise hold the worker's stop that long."""
        self.closing.set()
        await self.feed.close()

    async def _unless_closing(self, aw: Awaitable):
        """``aw``'s result, or ``Closing`` as soon as the server shuts down."""
        task = asyncio.ensure_future(aw)
        stop = asyncio.ensure_future(self.closing.wait())
        try:
            await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
            if not task.done():
                task.cancel()
        if self.closing.is_set() and not task.done():
            raise Closing
        return task.result()

    def viewer(self, request: web.Request) -> Viewer:
        return viewer_of(self.auth, self.signer, cookie_value(request.headers.get("Cookie")),
                         request.headers.get("Authorization"))

    def tenant(self, request: web.Request) -> tuple[Viewer, str]:
        viewer = self.viewer(request)
        return viewer, viewer.tenant_for(request.query.get("tenant"))

    def whoami(self, viewer: Viewer) -> dict:
        tokens = self.auth.tokens if viewer.role == "admin" else None  # admin may list them
        return {"viewer": viewer.public(), "tenants": sorted(tokens.tenants) if tokens else [],
                "mode": "open_local" if self.auth.open_local else "tokens"}

    async def page(self, request: web.Request) -> web.Response:
        return _file("index.html")

    async def static(self, request: web.Request) -> web.Response:
        name = request.match_info.get("name", "")
        if not _STATIC_NAME.match(name) or not (STATIC / name).is_file():
            return _json({"error": f"no such file: {name}"}, 404)
        return _file(name)

    async def session(self, request: web.Request) -> web.Response:
        if request.method == "GET":
            return _json(self.whoami(self.viewer(request)))
        if request.method == "DELETE":
            return _json({"signed_out": True},
                         headers={"Set-Cookie": cookie_header("", 0, request.secure)})
        try:  # JSON only: a cross-site form cannot send it without a CORS preflight
            if request.content_type != "application/json":
                raise ValueError
            token = str(orjson.loads(await request.read()).get("token") or "")
        except (ValueError, AttributeError):
            raise NocAuthError(400, 'send the token as JSON: {"token": "..."}') from None
        role, tenant = login(self.auth, token)
        value, viewer = self.signer.issue(role, tenant)
        log.info("NOC sign-in: %s%s", role, f" {tenant}" if tenant else "")
        return _json(self.whoami(viewer), headers={
            "Set-Cookie": cookie_header(value, self.signer.ttl_s, request.secure)})

    async def incidents(self, request: web.Request) -> web.Response:
        _viewer, tenant = self.tenant(request)
        try:
            return _json(snapshot(tenant, await self.feed.incidents(tenant)))
        except FeedDown as exc:
            return _json({"error": str(exc)}, 503)

    async def incident(self, request: web.Request) -> web.Response:
        _viewer, tenant = self.tenant(request)
        iid = request.match_info.get("incident_id", "")
        try:
            state = await self.feed.incidents(tenant, keep_resolved_s=float("inf"))
        except FeedDown as exc:
            return _json({"error": str(exc)}, 503)
        brief = state.incidents.get(iid)
        if brief is None:  # another tenant's id lands here too: nothing says it exists
            return _json({"error": f"no incident {iid!r} in the live feed of tenant "
                          f"{tenant!r} (it may have aged out of the stream)"}, 404)
        alerts, note = await self.detail.rows(tenant, brief.alert_fingerprints)
        return _json({"tenant": tenant, "incident": brief.model_dump(mode="json"), "alerts": alerts,
                      "alerts_note": note, "runbooks": runbooks(brief, alerts),
                      "evidence": brief.evidence})

    async def events(self, request: web.Request) -> web.StreamResponse:
        viewer, tenant = self.tenant(request)
        if request.method == "HEAD":  # a probe: no stream to hold open for it
            return web.Response(content_type="text/event-stream", headers=_HEADERS)
        resp = web.StreamResponse(headers={**_HEADERS, "Content-Type": "text/event-stream",
                                           "X-Accel-Buffering": "no"})
        await resp.prepare(request)
        # the browser went away, or the worker stops (the browser reconnects to it later)
        with contextlib.suppress(ConnectionError, Closing):
            await self._stream(resp, viewer, tenant)
        return resp

    async def _stream(self, resp: web.StreamResponse, viewer: Viewer, tenant: str) -> None:
        """Snapshot, then changes; on a Redis failure: a ``status`` event, retries with
        backoff, and a fresh snapshot once it answers (what changed meanwhile is in it)."""
        await resp.write(b"retry: 3000\n\n")
        state: OpenIncidents | None = None
        backoff, down = 1.0, False
        while not viewer.expired():
            try:
                if state is None:
                    state = await self._unless_closing(self.feed.incidents(tenant))
                    await _send(resp, "status", {"redis": "ok", "message": ""})
                    await _send(resp, "snapshot", snapshot(tenant, state), state.last_id)
                got = await self._unless_closing(self.feed.after(tenant, state.last_id))
            except FeedDown as exc:
                if not down:
                    log.warning("NOC events of %s: %s", tenant, exc)
                state, down = None, True
                await _send(resp, "status", {"redis": "down", "message": str(exc)})
                await self._unless_closing(asyncio.sleep(backoff))
                backoff = min(backoff * 2, 10.0)
                continue
            backoff, down = 1.0, False
            changed: dict[str, IncidentBrief] = {}
            for entry_id, n in got:
                changed.update((b.incident_id, b) for b in state.add(entry_id, n))
            if changed:
                briefs = [b.model_dump(mode="json") for b in changed.values()]
                await _send(resp, "incidents", {"tenant": tenant, "last_id": state.last_id,
                                                "server_time": time.time(), "incidents": briefs},
                            state.last_id)
            elif not got:
                await resp.write(b": keep-alive\n\n")
            state.prune(time.time())
        await _send(resp, "auth", {"message": "the session has expired: sign in again"})


async def _send(resp: web.StreamResponse, event: str, data: dict, event_id: str = "") -> None:
    head = f"event: {event}\n" + (f"id: {event_id}\n" if event_id else "")
    await resp.write(head.encode() + b"data: " + orjson.dumps(data) + b"\n\n")


def _json(data: dict, status: int = 200, headers: dict | None = None) -> web.Response:
    return web.Response(body=orjson.dumps(data), status=status, content_type="application/json",
                        headers={**_HEADERS, **(headers or {})})


def _file(name: str) -> web.Response:
    body = (STATIC / name).read_bytes()
    ctype = _TYPES[name[name.rfind("."):]]
    return web.Response(body=body, content_type=ctype, charset="utf-8", headers=_HEADERS)


def _guard(handler: Callable[[web.Request], Awaitable[web.StreamResponse]]):
    """Refusals as JSON with their status; a 401 tells API clients to bring a token."""
    async def run(view: faust.web.View, request: web.Request, **_kw) -> web.StreamResponse:
        try:
            return await handler(request)
        except NocAuthError as exc:
            extra = {"WWW-Authenticate": 'Bearer realm="aiops-noc"'} if exc.status == 401 else {}
            return _json({"error": exc.message}, exc.status, extra)
    return run


def register_noc_page(app: faust.App, settings: Settings,
                      sink_of: Callable[[], object | None]) -> NocPage:
    """Mount the NOC page; ``sink_of`` is the ingest stage's ClickHouse sink, once open
    (the same callable the SQL endpoint gets). A malformed token table stops the worker."""
    from pipelines.sql_endpoint import web_authenticator

    web_s, rs = settings.web, settings.redis
    auth = web_authenticator(settings)
    noc = NocPage(auth, SessionSigner(),
                  NocFeed(rs.url.get_secret_value(), rs.key_prefix, rs.socket_timeout_s),
                  AlertDetail(sink_of, settings.clickhouse.database,
                              Limits(web_s.sql_timeout_s, web_s.sql_max_result_bytes,
                                     web_s.sql_max_memory_bytes), web_s.sql_max_concurrent))
    level = logging.WARNING if auth.open_local or auth.refuses_all else logging.INFO
    log.log(level, "NOC page on %snoc (live feed %s): %s", sql_url(web_s.host, web_s.port),
            noc.feed.where(), auth.describe())

    def mount(path: str, name: str, handler, methods: tuple[str, ...] = ("get",)) -> None:
        app.page(path, name=name)(type(f"Noc_{name}", (faust.web.View,), {
            m: _guard(handler) for m in methods}))

    app.web.web_app.on_shutdown.append(noc.shutdown)  # aiohttp's app under Faust's web
    mount("/noc", "noc-page", noc.page)
    mount("/noc/", "noc-page-slash", noc.page)
    mount("/noc/static/{name}", "noc-static", noc.static)
    mount("/noc/session", "noc-session", noc.session, ("get", "post", "delete"))
    mount("/noc/api/incidents", "noc-incidents", noc.incidents)
    mount("/noc/api/incidents/{incident_id}", "noc-incident", noc.incident)
    mount("/noc/api/events", "noc-events", noc.events)
    return noc
