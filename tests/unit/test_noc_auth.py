"""NOC page sessions: signed cookies, expiry, tampering, and which tenant a viewer reads."""

from __future__ import annotations

import base64

import orjson
import pytest

from connectors.clickhouse.http_api import Authenticator
from connectors.gateway.auth import TokenTable
from pipelines.noc_auth import (
    COOKIE,
    NocAuthError,
    SessionSigner,
    Viewer,
    cookie_header,
    cookie_value,
    login,
    viewer_of,
)

ACME, GLOBEX, ADMIN = "acme-token-0123456789", "globex-token-0123456789", "admin-token-0123456789"
T0 = 1_800_000_000.0


def tokens() -> TokenTable:
    return TokenTable.parse(f"acme={ACME},globex={GLOBEX}")


def auth(admin: str | None = ADMIN, table: TokenTable | None = None,
         host: str = "127.0.0.1") -> Authenticator:
    return Authenticator(admin, table if table is not None else tokens(), host)


def forge(value: str, **changes) -> str:
    """The same cookie with its payload edited and the old signature kept."""
    head, _, mac = value.partition(".")
    payload = orjson.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    payload.update(changes)
    raw = base64.urlsafe_b64encode(orjson.dumps(payload)).rstrip(b"=").decode()
    return f"{raw}.{mac}"


def test_a_signed_session_round_trips_until_it_expires() -> None:
    signer = SessionSigner(ttl_s=3600)
    value, viewer = signer.issue("tenant", "acme", now=T0)
    assert viewer == Viewer("tenant", "acme", T0 + 3600)
    assert signer.verify(value, now=T0 + 3599) == viewer
    with pytest.raises(NocAuthError, match="expired") as err:
        signer.verify(value, now=T0 + 3600)
    assert err.value.status == 401


@pytest.mark.parametrize("changes", [{"t": "globex"}, {"e": int(T0) + 10**6}, {"r": "admin"}])
def test_an_edited_cookie_fails_the_signature(changes: dict) -> None:
    signer = SessionSigner(ttl_s=3600)
    value, _ = signer.issue("tenant", "acme", now=T0)
    with pytest.raises(NocAuthError, match="not valid here") as err:
        signer.verify(forge(value, **changes), now=T0)
    assert err.value.status == 401


@pytest.mark.parametrize("value", ["", "garbage", "a.b", "....", "%%%.%%%", "eyJ9.x"])
def test_malformed_cookies_are_refused_not_crashed_on(value: str) -> None:
    with pytest.raises(NocAuthError) as err:
        SessionSigner().verify(value)
    assert err.value.status == 401


def test_another_process_secret_signs_nothing_here() -> None:
    value, _ = SessionSigner().issue("admin")
    with pytest.raises(NocAuthError, match="restarted worker"):
        SessionSigner().verify(value)


def test_a_valid_signature_over_an_unreadable_payload_is_refused() -> None:
    signer = SessionSigner(secret=b"k" * 32)
    for payload in (b"[]", b'{"r": "root", "t": null, "e": 9999999999}',
                    b'{"r": "tenant", "t": null, "e": 9999999999}'):
        mac = signer._mac(payload)
        value = (base64.urlsafe_b64encode(payload).rstrip(b"=").decode() + "."
                 + base64.urlsafe_b64encode(mac).rstrip(b"=").decode())
        with pytest.raises(NocAuthError, match="cannot be read"):
            signer.verify(value)


def test_a_tenant_viewer_reads_its_own_tenant_only() -> None:
    v = Viewer("tenant", "acme")
    assert v.tenant_for(None) == "acme"
    assert v.tenant_for("") == "acme"
    assert v.tenant_for("acme") == "acme"
    with pytest.raises(NocAuthError, match="cannot read tenant 'globex'") as err:
        v.tenant_for("globex")
    assert err.value.status == 403


@pytest.mark.parametrize("role", ["admin", "local"])
def test_admin_and_local_viewers_pick_a_valid_tenant(role: str) -> None:
    v = Viewer(role)  # type: ignore[arg-type]
    assert v.tenant_for("globex") == "globex"
    with pytest.raises(NocAuthError, match=r"\?tenant=") as err:
        v.tenant_for(None)
    assert err.value.status == 400
    with pytest.raises(NocAuthError, match="tenant_id must be") as err:
        v.tenant_for("ACME*")  # never becomes part of a Redis key or a query
    assert err.value.status == 400


def test_a_viewer_has_a_tenant_exactly_when_it_is_a_tenant_viewer() -> None:
    with pytest.raises(ValueError):
        Viewer("tenant")
    with pytest.raises(ValueError):
        Viewer("admin", "acme")


def test_login_maps_tokens_to_roles() -> None:
    a = auth()
    assert login(a, ACME) == ("tenant", "acme")
    assert login(a, f"  {GLOBEX} ") == ("tenant", "globex")
    assert login(a, ADMIN) == ("admin", None)
    for wrong in ("nope-nope-nope-nope", ACME + "x"):
        with pytest.raises(NocAuthError, match="wrong token") as err:
            login(a, wrong)
        assert err.value.status == 401
    with pytest.raises(NocAuthError, match="enter your tenant token"):
        login(a, "   ")


def test_open_local_mode_and_refuse_all_mode() -> None:
    local = Authenticator(None, None, "127.0.0.1")
    assert login(local, "") == ("local", None)
    assert viewer_of(local, SessionSigner(), None, None) == Viewer("local")
    assert viewer_of(local, SessionSigner(), "stale.cookie", None) == Viewer("local")
    public = Authenticator(None, None, "0.0.0.0")
    with pytest.raises(NocAuthError, match="refuses everyone") as err:
        viewer_of(public, SessionSigner(), None, None)
    assert err.value.status == 403


def test_viewer_of_a_request_bearer_then_cookie() -> None:
    a, signer = auth(), SessionSigner()
    assert viewer_of(a, signer, None, f"Bearer {GLOBEX}") == Viewer("tenant", "globex")
    cookie, acme = signer.issue("tenant", "acme")
    assert viewer_of(a, signer, cookie, None) == acme
    # a bearer token wins over a cookie: an API client is who its token says
    assert viewer_of(a, signer, cookie, f"Bearer {GLOBEX}").tenant == "globex"
    with pytest.raises(NocAuthError, match="not signed in"):
        viewer_of(a, signer, None, None)
    with pytest.raises(NocAuthError, match="wrong token"):
        viewer_of(a, signer, cookie, "Bearer not-a-token-at-all")


def test_cookie_header_and_parsing() -> None:
    header = cookie_header("abc.def", 3600, secure=False)
    assert header == f"{COOKIE}=abc.def; Path=/noc; Max-Age=3600; HttpOnly; SameSite=Strict"
    assert cookie_header("x", 1, secure=True).endswith("; Secure")
    assert cookie_value(f"other=1; {COOKIE}=abc.def; {COOKIE}=later") == "abc.def"
    assert cookie_value("other=1") is None
    assert cookie_value(None) is None


# --- what the detail view may show -------------------------------------------------------------

def test_the_alert_query_reads_the_viewers_tenant_only() -> None:
    from connectors.clickhouse.readonly_sql import Limits
    from pipelines.noc_page import AlertDetail

    sql = AlertDetail(lambda: None, "aiops", Limits(), 1).sql("acme", ["fp1", "x' OR 1=1 --"])
    assert "WHERE tenant_id = 'acme' AND fingerprint IN ('fp1', 'x\\' OR 1=1 --')" in sql
    assert "LIMIT 1 BY fingerprint" in sql


def test_only_http_runbook_links_are_offered() -> None:
    from datetime import UTC, datetime

    from pipelines.noc_page import runbooks
    from schemas.notify import IncidentBrief

    now = datetime.now(UTC)
    brief = IncidentBrief(incident_id="i", version=1, state="open", title="Disk", severity="info",
                          first_seen=now, last_seen=now,
                          runbook_urls=["https://rb.example/a", "javascript:alert(1)"])
    alerts = [{"fingerprint": "f", "alertname": "DiskFull",
               "annotations": {"runbook_url": "HTTP://rb.example/b",
                               "runbook": "data:text/html,x"}},
              {"fingerprint": "g", "alertname": "",
               "annotations": {"runbook": "https://rb.example/a"}}]
    assert runbooks(brief, alerts) == [{"url": "https://rb.example/a", "label": "Disk"},
                                       {"url": "HTTP://rb.example/b", "label": "DiskFull"}]
    assert runbooks(brief, None) == [{"url": "https://rb.example/a", "label": "Disk"}]
