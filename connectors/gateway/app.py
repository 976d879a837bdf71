"""The gateway's HTTP routes (aiohttp), metrics and start-up.

A request is handled in three steps so that its answer is a promise: read the body (within
``body_timeout_s``), turn every item into the exact record the worker will read and check it
(size and schema, the worker's own check), and only then produce, answering 202 once Kafka has
acknowledged every record and 503 (with ``Retry-After``) on any Kafka failure.
"""

from __future__ import annotations

import asyncio
import logging
import time

import orjson
from aiohttp import web
from aiohttp.http_exceptions import DecompressSizeError, HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from config.settings import Settings
from connectors.gateway.auth import TokenTable
from connectors.gateway.payloads import (
    KINDS,
    PayloadError,
    build_events,
    parse_items,
    request_digest,
)
from connectors.gateway.producer import AckingProducer, DeliveryFailed
from connectors.gateway.records import KAFKA_MESSAGE_MAX_BYTES, encode
from connectors.gateway.webhooks import RetryStamps, webhook_events
from connectors.kafka_io import make_producer
from schemas.envelope import Envelope

log = logging.getLogger(__name__)
SETTINGS = web.AppKey("settings", Settings)
TOKENS = web.AppKey("tokens", TokenTable)
PRODUCER = web.AppKey("producer", AckingProducer)
METRICS = web.AppKey("metrics", object)
STAMPS = web.AppKey("stamps", RetryStamps)
RETRY_AFTER_S = 5


class GatewayMetrics:
    def __init__(self) -> None:
        self.registry = r = CollectorRegistry()
        self.requests = Counter("aiops_gateway_requests_total", "HTTP requests by route and status",
                                ["route", "status"], registry=r)
        self.events = Counter("aiops_gateway_events_total",
                              "Events acknowledged by Kafka, by kind", ["kind"], registry=r)
        self.seconds = Histogram("aiops_gateway_request_seconds",
                                 "Request time, Kafka acknowledgement included", ["route"],
                                 buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5),
                                 registry=r)


class BodyTimeout(Exception):
    pass


class ClientGone(Exception):
    """The client closed the connection before its body arrived: nobody to answer."""


def _json(status: int, body: dict, headers: dict | None = None) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(body), content_type="application/json",
                        headers=headers)


async def _read_body(request: web.Request, settings: Settings) -> bytes:
    limit = settings.gateway.max_body_bytes
    if request.content_length and request.content_length > limit:
        raise PayloadError(413, f"body of {request.content_length} bytes is over the "
                           f"{limit}-byte limit (AIOPS_GATEWAY_MAX_BODY_BYTES); split it")
    try:
        async with asyncio.timeout(settings.gateway.body_timeout_s):
            return await request.read()
    except TimeoutError:
        raise BodyTimeout from None
    except ConnectionError:
        raise ClientGone from None
    except (web.HTTPRequestEntityTooLarge, DecompressSizeError):
        raise PayloadError(413, f"body is over the {limit}-byte limit "
                           "(AIOPS_GATEWAY_MAX_BODY_BYTES); split it") from None
    except (HttpProcessingError, RequestPayloadError) as exc:  # e.g. a broken gzip or chunk
        cause = exc.__cause__ if isinstance(exc.__cause__, HttpProcessingError) else exc
        raise PayloadError(400, f"cannot read the body: {getattr(cause, 'message', cause)}"
                           ) from None


async def _timed_out(request: web.Request, timeout_s: float) -> web.Response:
    """408, then close the connection: a client this slow may be holding it on purpose."""
    resp = _json(408, {"error": f"the body did not arrive within {timeout_s:g}s "
                       "(AIOPS_GATEWAY_BODY_TIMEOUT_S); nothing was stored"})
    resp.force_close()
    try:
        await resp.prepare(request)
        await resp.write_eof()
    finally:
        request.protocol.force_close()  # no lingering read of the rest of the body
    return resp


async def _accept(request: web.Request, route: str, kind: str) -> web.Response:
    app = request.app
    metrics: GatewayMetrics = app[METRICS]  # type: ignore[assignment]
    settings = app[SETTINGS]
    started = time.perf_counter()
    status, digest = 500, None
    try:
        tenant = app[TOKENS].tenant_for(request.headers.get("Authorization"))
        if tenant is None:
            status = 401
            return _json(401, {"error": "missing or unknown bearer token: send "
                               "'Authorization: Bearer <your tenant token>'"},
                         {"WWW-Authenticate": 'Bearer realm="aiops"'})
        try:
            body = await _read_body(request, settings)
        except BodyTimeout:
            status = 408
            return await _timed_out(request, settings.gateway.body_timeout_s)
        except ClientGone:
            status = 499  # nginx's "client closed request", for the metrics only
            return web.Response(status=400)
        digest, events = _events(body, request.content_type, tenant, route, kind, settings,
                                 app[STAMPS])
        if len(events) > settings.gateway.max_events_per_request:
            raise PayloadError(413, f"{len(events)} events in one request; the limit is "
                               f"{settings.gateway.max_events_per_request} "
                               "(AIOPS_GATEWAY_MAX_EVENTS_PER_REQUEST)")
        records = encode(events, topic_prefix=settings.kafka.topic_prefix,
                         max_event_bytes=settings.ingest.max_event_bytes)
        try:
            await app[PRODUCER].send(records, settings.gateway.ack_timeout_s)
        except DeliveryFailed as exc:
            status = 503
            log.warning("Kafka did not take a request of %d events: %s", len(records), exc)
            return _json(503, {"error": f"Kafka did not acknowledge every event ({exc}); some "
                               "may have been stored: send the same request again later (it "
                               "gets the same event ids, so nothing is stored twice)"},
                         {"Retry-After": str(RETRY_AFTER_S)})
        metrics.events.labels(kind if kind in KINDS else "alerts").inc(len(events))
        status = 202
        return _json(202, {"accepted": len(events), "tenant": tenant,
                           "ids": [ev.id for ev in events]})
    except PayloadError as exc:
        status = exc.status
        return _json(exc.status, exc.body())
    finally:
        if digest is not None and status < 500:
            app[STAMPS].settled(digest)
        metrics.requests.labels(route, str(status)).inc()
        metrics.seconds.labels(route).observe(time.perf_counter() - started)


def _events(body: bytes, content_type: str, tenant: str, route: str, kind: str,
            settings: Settings, stamps: RetryStamps) -> tuple[str | None, list[Envelope]]:
    """(the webhook's digest for ``RetryStamps.settled``, or None; the request's events)."""
    if kind == "webhook":
        digest, alerts = webhook_events(body, tenant, route, stamps)
        return digest, list(alerts)
    items = parse_items(body, content_type)
    if len(items) > settings.gateway.max_events_per_request:  # before validating them all
        raise PayloadError(413, f"{len(items)} events in one request; the limit is "
                           f"{settings.gateway.max_events_per_request} "
                           "(AIOPS_GATEWAY_MAX_EVENTS_PER_REQUEST)")
    return None, build_events(kind, items, tenant, source=f"gateway/{tenant}",
                              id_prefix=f"{tenant}-{request_digest(body)}")


async def alertmanager(request: web.Request) -> web.Response:
    return await _accept(request, "alertmanager", "webhook")


async def grafana(request: web.Request) -> web.Response:
    return await _accept(request, "grafana", "webhook")


async def events(request: web.Request) -> web.Response:
    kind = request.match_info["kind"]
    if kind not in KINDS:
        return _json(404, {"error": f"unknown event kind {kind!r}; use /v1/events/"
                           f"{{{','.join(KINDS)}}}"})
    return await _accept(request, "events", kind)


async def metrics_page(request: web.Request) -> web.Response:
    m: GatewayMetrics = request.app[METRICS]  # type: ignore[assignment]
    return web.Response(body=generate_latest(m.registry), content_type="text/plain")


async def healthz(request: web.Request) -> web.Response:
    return _json(200, {"status": "ok", "tenants": len(request.app[TOKENS].tenants)})


def create_gateway(settings: Settings, tokens: TokenTable) -> web.Application:
    app = web.Application(client_max_size=settings.gateway.max_body_bytes)
    app[SETTINGS] = settings
    app[TOKENS] = tokens
    app[METRICS] = GatewayMetrics()
    app[STAMPS] = RetryStamps()

    async def producer_ctx(app: web.Application):
        # Kafka gives up no later than the gateway does, so a 503 is not followed by a late
        # delivery of records queued at the start of the request.
        app[PRODUCER] = AckingProducer(make_producer(
            settings.kafka.bootstrap, **{
                "linger.ms": 2, "message.max.bytes": KAFKA_MESSAGE_MAX_BYTES,
                "message.timeout.ms": int(settings.gateway.ack_timeout_s * 1000)}))
        yield
        app[PRODUCER].close()

    app.cleanup_ctx.append(producer_ctx)
    app.add_routes([
        web.post("/v1/alertmanager", alertmanager),
        web.post("/v1/grafana", grafana),
        web.post("/v1/events/{kind}", events),
        web.get("/metrics", metrics_page),
        web.get("/healthz", healthz),
    ])
    return app


def run_gateway(settings: Settings) -> None:
    from connectors.kafka_io import check_broker, ensure_topics

    g = settings.gateway
    tokens = TokenTable.parse(g.tokens.get_secret_value() if g.tokens else None, g.tokens_file)
    check_broker(settings.kafka.bootstrap)
    ensure_topics(settings.kafka.bootstrap, settings.kafka.topic_prefix)
    log.info("gateway for %d tenant(s) on http://%s:%d", len(tokens.tenants), g.host, g.port)
    # keepalive_timeout also bounds how long a new connection may take to send its headers
    web.run_app(create_gateway(settings, tokens), host=g.host, port=g.port, print=None,
                access_log=None, keepalive_timeout=g.idle_timeout_s)
