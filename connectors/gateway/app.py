"""The gateway's HTTP routes (aiohttp), metrics and start-up."""

from __future__ import annotations

import logging
import time

import orjson
from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from config.settings import Settings
from connectors.gateway.auth import TokenTable
from connectors.gateway.payloads import (
    KINDS,
    PayloadError,
    alertmanager_events,
    build_events,
    parse_items,
    request_digest,
)
from connectors.gateway.producer import AckingProducer, DeliveryFailed
from connectors.kafka_io import make_producer
from schemas.envelope import Envelope
from schemas.registry import record_key
from schemas.topics import topic_for_type

log = logging.getLogger(__name__)
SETTINGS = web.AppKey("settings", Settings)
TOKENS = web.AppKey("tokens", TokenTable)
PRODUCER = web.AppKey("producer", AckingProducer)
METRICS = web.AppKey("metrics", object)


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


def _json(status: int, body: dict, headers: dict | None = None) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(body), content_type="application/json",
                        headers=headers)


async def _accept(request: web.Request, route: str, kind: str) -> web.Response:
    app = request.app
    metrics: GatewayMetrics = app[METRICS]  # type: ignore[assignment]
    settings = app[SETTINGS]
    started = time.perf_counter()
    status = 500
    try:
        tenant = app[TOKENS].tenant_for(request.headers.get("Authorization"))
        if tenant is None:
            status = 401
            return _json(401, {"error": "missing or unknown bearer token: send "
                               "'Authorization: Bearer <your tenant token>'"},
                         {"WWW-Authenticate": 'Bearer realm="aiops"'})
        if request.content_length and request.content_length > settings.gateway.max_body_bytes:
            raise PayloadError(413, f"body of {request.content_length} bytes is over the "
                               f"{settings.gateway.max_body_bytes}-byte limit; split it")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise PayloadError(413, f"body is over the {settings.gateway.max_body_bytes}-byte "
                               "limit; split it") from None
        if kind == "alertmanager":
            events: list[Envelope] = list(alertmanager_events(body, tenant))  # repeats count
        else:
            items = parse_items(body, request.content_type)
            if len(items) > settings.gateway.max_events_per_request:
                raise PayloadError(413, f"{len(items)} events in one request; the limit is "
                                   f"{settings.gateway.max_events_per_request}")
            events = build_events(kind, items, tenant, source=f"gateway/{tenant}",
                                  request_digest=request_digest(body))
        prefix = settings.kafka.topic_prefix
        records = [(prefix + topic_for_type(ev.type).name, record_key(ev),
                    orjson.dumps(ev.model_dump(mode="json", by_alias=True))) for ev in events]
        try:
            await app[PRODUCER].send(records, settings.gateway.ack_timeout_s)
        except DeliveryFailed as exc:
            status = 503
            log.warning("Kafka did not take a request of %d events: %s", len(records), exc)
            return _json(503, {"error": f"Kafka did not acknowledge every event ({exc}); some "
                               "may have been stored: retry the same request later (events "
                               "keep their ids, so a retry does not duplicate them)"},
                         {"Retry-After": "5"})
        metrics.events.labels("alerts" if kind == "alertmanager" else kind).inc(len(events))
        status = 202
        return _json(202, {"accepted": len(events), "tenant": tenant,
                           "ids": [ev.id for ev in events]})
    except PayloadError as exc:
        status = exc.status
        return _json(exc.status, exc.body())
    finally:
        metrics.requests.labels(route, str(status)).inc()
        metrics.seconds.labels(route).observe(time.perf_counter() - started)


async def alertmanager(request: web.Request) -> web.Response:
    return await _accept(request, "alertmanager", "alertmanager")


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

    async def producer_ctx(app: web.Application):
        # Kafka gives up no later than the gateway does, so a 503 is never followed by a
        # silent delivery of the same records.
        app[PRODUCER] = AckingProducer(make_producer(
            settings.kafka.bootstrap, **{"linger.ms": 2, "message.timeout.ms": int(
                settings.gateway.ack_timeout_s * 1000)}))
        yield
        app[PRODUCER].close()

    app.cleanup_ctx.append(producer_ctx)
    app.add_routes([
        web.post("/v1/alertmanager", alertmanager),
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
    web.run_app(create_gateway(settings, tokens), host=g.host, port=g.port, print=None,
                access_log=None)
