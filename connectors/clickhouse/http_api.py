"""The read part of ClickHouse's HTTP interface, served by the process that owns the embedded
database, so that analysts, `aiops query`, clickhouse-connect and Grafana read while it works.

No web framework here: the worker's web server hands over (method, path, query parameters,
headers, body) and sends back the ``HttpReply``; the query itself runs in a thread
(``readonly_sql.run_read``) so the event loop never waits on the engine.

Credentials come the ways ClickHouse clients send them: HTTP basic auth, ``X-ClickHouse-User`` /
``X-ClickHouse-Key``, ``user`` / ``password`` parameters, or a bearer token. A tenant is its id
with one of its gateway tokens; ``admin`` (or ``default``) with AIOPS_WEB_ADMIN_TOKEN reads every
tenant. With no credentials configured at all, a loopback-only endpoint lets anyone in as admin
(the local demo), and any other endpoint refuses everyone.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import ipaddress
import re
import uuid
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP

import orjson

from connectors.clickhouse.readonly_sql import (
    Limits,
    Principal,
    SqlError,
    SqlQuery,
    readonly_error,
    run_read,
    server_timezone,
)
from connectors.gateway.auth import TokenTable

HTTP_PARAMS = {
    "query", "database", "default_format", "user", "password", "query_id", "session_id",
    "session_timeout", "session_check", "compress", "decompress", "buffer_size",
    "wait_end_of_query", "client_protocol_version", "role", "quota_key",
    "send_progress_in_http_headers", "http_headers_progress_interval_ms",
    "enable_http_compression", "http_zlib_compression_level", "add_http_cors_header",
    "cancel_http_readonly_queries_on_client_close", "http_response_buffer_size",
    "http_wait_end_of_query", "http_native_compression_disable_checksumming_on_decompress",
}
"""HTTP-interface parameters that are not query settings: used, or accepted and ignored (this
endpoint has no sessions, progress headers or response compression)."""

# ClickHouse's own exception-code -> HTTP status table (exceptionCodeToHTTPStatus.cpp), except
# that failed authentication is 401 (a server says 403) and READONLY, a refused write, is 403.
_STATUS = {516: 401, 192: 401, 193: 401, 194: 401, 164: 403, 497: 403, 291: 403, 159: 408,
           48: 501, 396: 400}
_STATUS.update(dict.fromkeys((6, 8, 15, 25, 26, 27, 36, 38, 41, 42, 43, 44, 53, 62, 72, 117,
                              167, 168, 321, 427, 456, 457), 400))
_STATUS.update(dict.fromkeys((33, 46, 47, 50, 56, 60, 63, 73, 78, 81, 115, 336), 404))
_HINTS = {159: "Narrow the query or raise AIOPS_WEB_SQL_TIMEOUT_S",
          241: "Narrow the query or raise AIOPS_WEB_SQL_MAX_MEMORY_BYTES",
          396: "Narrow the query (WHERE, LIMIT, fewer columns) or raise "
               "AIOPS_WEB_SQL_MAX_RESULT_BYTES"}
_CONTENT_TYPES = (  # by format-name prefix, first match wins
    ("TabSeparated", "text/tab-separated-values"), ("TSV", "text/tab-separated-values"),
    ("CSV", "text/csv"), ("JSONEachRow", "application/x-ndjson"), ("JSON", "application/json"),
    ("XML", "application/xml"), ("Pretty", "text/plain"), ("Markdown", "text/markdown"))


@dataclass(slots=True)
class HttpRequest:
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: Mapping[str, str]  # case-insensitive, as aiohttp's
    body: bytes = b""


@dataclass(slots=True)
class HttpReply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Authenticator:
    """Who a request is: admin, one tenant, or nobody (ClickHouse's AUTHENTICATION_FAILED)."""

    ADMIN_USERS = ("admin", "default")

    def __init__(self, admin_token: str | None, tokens: TokenTable | None,
                 web_host: str) -> None:
        self.admin_token = admin_token
        self.tokens = tokens
        nothing = admin_token is None and tokens is None
        self.open_local = nothing and is_loopback(web_host)
        self.refuses_all = nothing and not self.open_local

    def describe(self) -> str:
        if self.open_local:
            return ("no AIOPS_WEB_ADMIN_TOKEN and no tenant tokens are set, so any local client "
                    "reads as admin (loopback only); set AIOPS_WEB_ADMIN_TOKEN to require one")
        if self.refuses_all:
            return ("refusing every query: the web host is not loopback and neither "
                    "AIOPS_WEB_ADMIN_TOKEN nor tenant tokens (AIOPS_GATEWAY_TOKENS) are set")
        tenants = len(self.tokens.tenants) if self.tokens else 0
        admin = "admin user enabled" if self.admin_token else "no admin user"
        return f"{admin}; {tenants} tenant(s) with their gateway tokens"

    def principal(self, user: str, password: str, bearer: str | None) -> Principal:
        if self.open_local:
            return Principal(user or "default")
        if bearer is not None:
            if self.admin_token and hmac.compare_digest(bearer.encode(),
                                                        self.admin_token.encode()):
                return Principal("admin")
            tenant = self.tokens.tenant_for(f"Bearer {bearer}") if self.tokens else None
            if tenant:
                return Principal(tenant, tenant)
        elif user in self.ADMIN_USERS and self.admin_token and hmac.compare_digest(
                password.encode(), self.admin_token.encode()):
            return Principal(user)
        elif self.tokens and password and self.tokens.tenant_for(f"Bearer {password}") == user:
            return Principal(user, user)
        raise SqlError(516, "AUTHENTICATION_FAILED",
                       f"{user or 'default'}: Authentication failed: password is incorrect, "
                       "or there is no user with such name")


def credentials(req: HttpRequest, params: Mapping[str, str]) -> tuple[str, str, str | None]:
    """(user, password, bearer token) from headers or parameters, as ClickHouse reads them."""
    h = req.headers
    if h.get("X-ClickHouse-User") is not None or h.get("X-ClickHouse-Key") is not None:
        return h.get("X-ClickHouse-User", "default"), h.get("X-ClickHouse-Key", ""), None
    auth = h.get("Authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "basic":
        try:
            user, _, password = base64.b64decode(value.strip()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise SqlError(516, "AUTHENTICATION_FAILED", "malformed basic auth") from None
        return user, password, None
    if scheme.lower() == "bearer" and value.strip():
        return "", "", value.strip()
    return params.get("user", "default"), params.get("password", ""), None


def parse_request(req: HttpRequest) -> SqlQuery | None:
    """The query of a request, or None for a bare ``GET /`` (answered ``Ok.`` like a server)."""
    params = dict(req.query)
    body = _decode_body(req)
    ctype = req.headers.get("Content-Type", "")
    if ctype.startswith("multipart/form-data"):
        params.update(_form_fields(ctype, body))
        body = b""
    if params.get("decompress") not in (None, "0"):
        raise SqlError(48, "NOT_IMPLEMENTED", "decompress=1 (compressed request bodies in "
                       "ClickHouse's own format) is not supported here; use Content-Encoding")
    sql = params.get("query", "")
    if body.strip():
        sql = f"{sql}\n{body.decode(errors='replace')}" if sql else body.decode(errors="replace")
    if re.match(r"\s*INSERT\b", sql, re.I):  # binary data may follow: refuse before parsing
        raise readonly_error("Cannot execute query in readonly mode: INSERT")
    if not sql.strip():
        if req.method in ("GET", "HEAD"):
            return None
        raise SqlError(62, "SYNTAX_ERROR", "Empty query")
    settings = {k: v for k, v in params.items()
                if k not in HTTP_PARAMS and not k.startswith("param_")}
    return SqlQuery(
        sql=sql, fmt=params.get("default_format") or "TabSeparated",
        database=params.get("database") or req.headers.get("X-ClickHouse-Database") or None,
        settings=settings,
        params={k.removeprefix("param_"): v for k, v in params.items() if k.startswith("param_")})


MAX_BODY_BYTES = 16 << 20
"""Largest request body once decompressed: a query, not data (and no decompression bomb)."""


def _decode_body(req: HttpRequest) -> bytes:
    enc = req.headers.get("Content-Encoding", "identity").strip().lower()
    if enc in ("", "identity"):
        return req.body
    try:
        if enc in ("gzip", "deflate"):
            inflater = zlib.decompressobj(31 if enc == "gzip" else 15)
            out = inflater.decompress(req.body, MAX_BODY_BYTES)
            more = bool(inflater.unconsumed_tail)
        elif enc == "lz4":  # clickhouse-connect compresses what it sends (inserts) with lz4
            import lz4.frame

            lz = lz4.frame.LZ4FrameDecompressor()
            out = lz.decompress(req.body, max_length=MAX_BODY_BYTES)
            more = lz.needs_input is False and not lz.eof
        else:
            raise SqlError(342, "UNKNOWN_COMPRESSION_METHOD", f"Content-Encoding {enc!r} is "
                           "not supported (use gzip, deflate or lz4)")
    except (zlib.error, RuntimeError) as exc:
        raise SqlError(354, "CANNOT_DECOMPRESS", f"cannot decompress the body: {exc}") from None
    if more:
        raise SqlError(202, "QUERY_IS_TOO_LARGE", f"request body over {MAX_BODY_BYTES} bytes "
                       "once decompressed", status=413)
    return out


def _form_fields(ctype: str, body: bytes) -> dict[str, str]:
    msg = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {ctype}\r\n\r\n".encode() + body)
    fields = {}
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if part.get_filename():
            raise SqlError(48, "NOT_IMPLEMENTED", "external data (file parts) is not supported")
        if name:
            fields[str(name)] = part.get_payload(decode=True).decode()
    return fields


def error_reply(err: SqlError, query_id: str = "") -> HttpReply:
    text = err.text(_HINTS.get(err.code, ""))
    return HttpReply(err.status or _STATUS.get(err.code, 500), (text + "\n").encode(), {
        "Content-Type": "text/plain; charset=UTF-8", "X-ClickHouse-Exception-Code": str(err.code),
        "X-ClickHouse-Query-Id": query_id, **_SERVER})


_SERVER = {"X-ClickHouse-Server-Display-Name": "aiops-worker"}


def content_type(fmt: str) -> str:
    for prefix, ctype in _CONTENT_TYPES:
        if fmt.startswith(prefix):
            return f"{ctype}; charset=UTF-8"
    return "application/octet-stream"


class SqlEndpoint:
    """Answers ClickHouse HTTP requests with reads of the sink's embedded engine."""

    def __init__(self, auth: Authenticator, transport_of: Callable[[], object | None],
                 database: str, limits: Limits, max_concurrent: int = 4) -> None:
        self.auth = auth
        self.transport_of = transport_of
        self.database = database
        self.limits = limits
        self._slots = asyncio.Semaphore(max_concurrent)

    async def handle(self, req: HttpRequest) -> HttpReply:
        query_id = dict(req.query).get("query_id") or str(uuid.uuid4())
        if req.path.rstrip("/") == "/ping":
            return HttpReply(200, b"Ok.\n", {"Content-Type": "text/html; charset=UTF-8"})
        try:
            if req.method in ("GET", "HEAD") and not dict(req.query).get("query") \
                    and not req.body.strip():
                return HttpReply(200, b"Ok.\n", {"Content-Type": "text/html; charset=UTF-8"})
            who = self.auth.principal(*credentials(req, dict(req.query)))
            q = parse_request(req)
            if q is None:
                return HttpReply(200, b"Ok.\n", {"Content-Type": "text/html; charset=UTF-8"})
            transport = self.transport_of()
            if transport is None:
                raise SqlError(1002, "UNKNOWN_EXCEPTION", "the embedded ClickHouse is not open "
                               "in this worker (ingest starting, or not one of its stages)",
                               status=503)
            if not hasattr(transport, "read_session"):
                raise SqlError(48, "NOT_IMPLEMENTED", "this worker writes to a ClickHouse "
                               "server (AIOPS_CLICKHOUSE_URL): query that server directly")
            async with self._slots:
                res = await asyncio.to_thread(run_read, transport, q, who, self.limits,
                                              self.database)
        except SqlError as err:
            return error_reply(err, query_id)
        summary = {"read_rows": str(res.rows_read), "read_bytes": str(res.bytes_read),
                   "written_rows": "0", "written_bytes": "0", "total_rows_to_read": "0",
                   "result_bytes": str(len(res.body)),
                   "elapsed_ns": str(int(res.elapsed_s * 1e9))}
        return HttpReply(200, res.body, {
            "Content-Type": content_type(res.fmt), "X-ClickHouse-Format": res.fmt,
            "X-ClickHouse-Query-Id": query_id, "X-ClickHouse-Timezone": server_timezone(),
            "X-ClickHouse-Summary": orjson.dumps(summary).decode(), **_SERVER})


# --- how `aiops query` finds the worker that owns the database -----------------------------

def sql_url(host: str, port: int) -> str:
    """The endpoint's URL as a local client reaches it (a wildcard bind means loopback)."""
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def worker_owner(host: str, port: int) -> str:
    """What the worker writes into the database directory's lock file."""
    return f"aiops worker (sql {sql_url(host, port)})"


def url_from_owner(text: str) -> str | None:
    m = re.search(r"\(sql (https?://[^)\s]+)\)", text)
    return m.group(1) if m else None


def rows_from_json_each_row(body: bytes) -> list[dict]:
    return [orjson.loads(line) for line in body.splitlines() if line.strip()]


class WorkerQueryError(RuntimeError):
    pass


def query_worker(url: str, sql: str, user: str | None, password: str | None,
                 fmt: str = "JSONEachRow", timeout_s: float = 600.0) -> tuple[str, bytes]:
    """Run ``sql`` on a worker's endpoint (what `aiops query` does while a worker owns the
    database); returns the response's format and body."""
    import urllib.error
    import urllib.parse
    import urllib.request

    req = urllib.request.Request(f"{url}?{urllib.parse.urlencode({'default_format': fmt})}",
                                 data=sql.encode(), method="POST")
    if user is not None or password is not None:
        basic = base64.b64encode(f"{user or 'default'}:{password or ''}".encode()).decode()
        req.add_header("Authorization", f"Basic {basic}")
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as resp:
            return resp.headers.get("X-ClickHouse-Format", fmt), resp.read()
    except urllib.error.HTTPError as exc:
        raise WorkerQueryError(exc.read().decode(errors="replace").strip()) from None
    except OSError as exc:
        raise WorkerQueryError(f"the worker that owns the database does not answer at {url} "
                               f"({exc}); is it starting or stuck? See its log") from None
