"""Mounts the read-only ClickHouse HTTP endpoint (connectors/clickhouse/http_api.py) on the
worker's Faust web server: ``/`` for queries as ClickHouse serves them, and ``/ping``.

Faust's own index page is also mounted at ``/``; pages added here come first in aiohttp's
router, so ClickHouse clients (which all talk to ``/``) reach the endpoint.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import faust

from config.settings import Settings
from connectors.clickhouse.http_api import Authenticator, HttpRequest, SqlEndpoint, sql_url
from connectors.clickhouse.readonly_sql import Limits
from connectors.gateway.auth import TokenTable

log = logging.getLogger(__name__)


def web_authenticator(settings: Settings) -> Authenticator:
    """Who may read through the worker's web server (SQL endpoint, NOC page): tenants with
    their gateway tokens (AIOPS_GATEWAY_TOKENS[_FILE]) and the admin; a malformed token table
    stops the worker at start like it stops the gateway."""
    web, gw = settings.web, settings.gateway
    tokens = None
    if gw.tokens is not None or gw.tokens_file is not None:
        tokens = TokenTable.parse(gw.tokens.get_secret_value() if gw.tokens else None,
                                  gw.tokens_file)
    admin = web.admin_token.get_secret_value() if web.admin_token else None
    return Authenticator(admin, tokens, web.host)


def build_endpoint(settings: Settings, sink_of: Callable[[], object | None]) -> SqlEndpoint:
    """The endpoint for these settings (``web_authenticator`` says who may read)."""
    web = settings.web
    auth = web_authenticator(settings)
    level = logging.WARNING if auth.open_local or auth.refuses_all else logging.INFO
    log.log(level, "read-only SQL (ClickHouse HTTP interface) on %s: %s",
            sql_url(web.host, web.port), auth.describe())

    def transport_of():
        sink = sink_of()
        return sink.transport if sink is not None else None

    return SqlEndpoint(auth, transport_of, settings.clickhouse.database,
                       Limits(web.sql_timeout_s, web.sql_max_result_bytes,
                              web.sql_max_memory_bytes),
                       web.sql_max_concurrent)


def register_sql_endpoint(app: faust.App, settings: Settings,
                          sink_of: Callable[[], object | None]) -> SqlEndpoint:
    endpoint = build_endpoint(settings, sink_of)

    async def serve(view: faust.web.View, request) -> faust.web.Response:
        reply = await endpoint.handle(HttpRequest(
            request.method, request.path, list(request.query.items()), request.headers,
            await request.read()))
        return view.bytes(reply.body, status=reply.status, headers=reply.headers)

    class ClickHouseHTTP(faust.web.View):
        async def get(self, request):
            return await serve(self, request)

        async def post(self, request):
            return await serve(self, request)

    app.page("/", name="clickhouse-sql")(ClickHouseHTTP)
    app.page("/ping", name="clickhouse-ping")(type("ClickHousePing", (ClickHouseHTTP,), {}))
    return endpoint
