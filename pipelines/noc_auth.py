"""Who is looking at the NOC page, and which tenant they may see (pure: no web server here).

A browser's ``EventSource`` cannot send an ``Authorization`` header, so the page trades the
tenant's gateway token for a session cookie once (``POST /noc/session``). The cookie holds
the viewer (role, tenant, expiry) signed with HMAC-SHA256 under a secret drawn at random when
the process starts: nothing is stored server-side, a restart signs everyone out, and a cookie
edited by hand (another tenant, a later expiry) fails the signature check.

Tenant isolation is decided here, in ``Viewer.tenant_for``: a tenant viewer sees its own
tenant and nothing else (asking for another is refused, not ignored); the admin token and the
open local mode (no credentials configured, loopback-only web server) pick one with
``?tenant=``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Literal

import orjson

from connectors.clickhouse.http_api import Authenticator
from connectors.clickhouse.readonly_sql import SqlError
from schemas.envelope import _check_tenant

Role = Literal["tenant", "admin", "local"]
COOKIE = "aiops_noc"
SESSION_TTL_S = 12 * 3600
"""A NOC shift; the page asks for the token again after it."""


class NocAuthError(Exception):
    """A refused request: its HTTP status and a message meant for the person at the page."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class Viewer:
    role: Role
    tenant: str | None = None
    """The only tenant a ``tenant`` viewer sees; None for admin and local viewers."""
    expires: float = 0.0
    """Unix time the session ends; 0 for a request authenticated by its own header."""

    def __post_init__(self) -> None:
        if (self.role == "tenant") != (self.tenant is not None):
            raise ValueError("a tenant viewer has exactly one tenant; admin and local none")

    def tenant_for(self, requested: str | None) -> str:
        """The tenant this request reads: a tenant viewer's own, never another's."""
        if requested is not None and requested != "":
            check_tenant(requested)
        if self.role == "tenant":
            assert self.tenant is not None
            if requested and requested != self.tenant:
                raise NocAuthError(403, f"this token belongs to tenant {self.tenant!r}; it "
                                   f"cannot read tenant {requested!r}")
            return self.tenant
        if not requested:
            who = "the admin token" if self.role == "admin" else "open local mode"
            raise NocAuthError(400, f"{who} reads any tenant: choose one with ?tenant=<id>")
        return requested

    def expired(self, now: float | None = None) -> bool:
        return self.expires > 0 and (time.time() if now is None else now) >= self.expires

    def public(self) -> dict:
        """What the page is told about its viewer (no secret in it)."""
        return {"role": self.role, "tenant": self.tenant, "expires": self.expires or None}


def check_tenant(value: str) -> str:
    try:
        return _check_tenant(value)
    except ValueError as exc:
        raise NocAuthError(400, str(exc)) from None


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionSigner:
    """Signs and checks session cookies: ``<base64 payload>.<base64 HMAC-SHA256>``."""

    def __init__(self, secret: bytes | None = None, ttl_s: float = SESSION_TTL_S) -> None:
        self._secret = secret if secret is not None else secrets.token_bytes(32)
        if len(self._secret) < 16:
            raise ValueError("the session secret must be at least 16 bytes")
        self.ttl_s = ttl_s

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, payload, hashlib.sha256).digest()

    def issue(self, role: Role, tenant: str | None = None,
              now: float | None = None) -> tuple[str, Viewer]:
        """A cookie value for this viewer and the viewer it stands for."""
        expires = float(int((time.time() if now is None else now) + self.ttl_s))
        viewer = Viewer(role, tenant, expires)
        payload = orjson.dumps({"r": role, "t": tenant, "e": int(expires)})
        return f"{_b64(payload)}.{_b64(self._mac(payload))}", viewer

    def verify(self, value: str | None, now: float | None = None) -> Viewer:
        """The viewer of a cookie value; ``NocAuthError(401)`` if absent, forged or expired."""
        if not value:
            raise NocAuthError(401, "not signed in: enter your tenant token")
        head, sep, tail = value.partition(".")
        try:
            payload, mac = _unb64(head), _unb64(tail)
        except (ValueError, TypeError):
            payload, mac = b"", b""
        if not sep or not hmac.compare_digest(mac, self._mac(payload)):
            raise NocAuthError(401, "the session is not valid here (signed by another or a "
                               "restarted worker, or altered): sign in again")
        try:
            data = orjson.loads(payload)
            viewer = Viewer(data["r"], data["t"], float(data["e"]))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            raise NocAuthError(401, "the session cannot be read: sign in again") from None
        if viewer.role not in ("tenant", "admin", "local") or viewer.expires <= 0:
            raise NocAuthError(401, "the session cannot be read: sign in again")
        if viewer.expired(now):
            raise NocAuthError(401, "the session has expired: sign in again")
        return viewer


def cookie_header(value: str, max_age_s: float, secure: bool) -> str:
    """``Set-Cookie`` for a session: script cannot read it (HttpOnly), no other site's page
    sends it (SameSite=Strict), and only the NOC routes get it."""
    attrs = [f"{COOKIE}={value}", "Path=/noc", f"Max-Age={int(max_age_s)}", "HttpOnly",
             "SameSite=Strict"]
    if secure:
        attrs.append("Secure")
    return "; ".join(attrs)


def cookie_value(header: str | None) -> str | None:
    """The session value from a ``Cookie`` header (first one wins, as browsers send the most
    specific path first)."""
    for part in (header or "").split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name == COOKIE:
            return value.strip()
    return None


def login(auth: Authenticator, token: str) -> tuple[Role, str | None]:
    """The role and tenant a token signs in as: a gateway token is its tenant, the admin
    token is admin; in open local mode anyone is the local user."""
    if auth.refuses_all:
        raise NocAuthError(403, "the NOC page refuses everyone: this worker listens beyond "
                           "loopback and neither AIOPS_WEB_ADMIN_TOKEN nor tenant tokens "
                           "(AIOPS_GATEWAY_TOKENS) are set")
    if auth.open_local:
        return "local", None
    token = token.strip()
    if not token:
        raise NocAuthError(401, "enter your tenant token (the one your gateway clients use)")
    try:
        who = auth.principal("", "", token)
    except SqlError:
        raise NocAuthError(401, "wrong token: it is neither a tenant token "
                           "(AIOPS_GATEWAY_TOKENS) nor the admin token of this worker") from None
    return ("tenant", who.tenant) if who.tenant else ("admin", None)


def viewer_of(auth: Authenticator, signer: SessionSigner, cookie: str | None,
              authorization: str | None, now: float | None = None) -> Viewer:
    """The viewer of a request: its bearer token (API clients), else its session cookie
    (the page), else the local user when nothing is configured on a loopback server."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        role, tenant = login(auth, token)
        return Viewer(role, tenant)
    if auth.refuses_all:
        login(auth, "")  # raises the 403 that explains why
    if cookie:
        try:
            return signer.verify(cookie, now)
        except NocAuthError:
            if not auth.open_local:
                raise
    if auth.open_local:  # a stale cookie (a restarted worker) changes nothing here
        return Viewer("local")
    raise NocAuthError(401, "not signed in: enter your tenant token")
