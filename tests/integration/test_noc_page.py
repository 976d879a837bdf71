"""The NOC page in a real browser: Debian's chromium driven by Playwright, against a real
worker, Kafka, Redis and embedded ClickHouse.

Incidents are appended to the live feed as the Redis receiver appends them
(``connectors.redis_feed.feed.append``); the helpers here (``brief``, ``publish``, ``login``,
``wait_for_incident``, ``api``, ``read_sse``) are meant for other tests of the page too, such
as one whose incidents come through clustering -> notify -> the Redis receiver.
"""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
import redis

from connectors.demo_source import Produced
from connectors.redis_feed.feed import append
from pipelines.runner import WorkerProcess
from schemas.events import AlertEvent
from schemas.notify import IncidentBrief, Notification

log = logging.getLogger(__name__)
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
TOKENS = {"acme": "acme-noc-token-0123456789", "globex": "globex-noc-token-0123456789"}
ADMIN_TOKEN = "admin-noc-token-0123456789"
WAIT_MS = 20_000


# --- helpers (reusable) ----------------------------------------------------------------------

def brief(incident_id: str, title: str, *, severity: str = "critical", sites=("par1",),
          services=("db",), fingerprints=(), version: int = 1, state: str = "open",
          evidence=()) -> IncidentBrief:
    now = datetime.now(UTC)
    return IncidentBrief(incident_id=incident_id, version=version, state=state, title=title,
                         severity=severity, sites=list(sites), services=list(services),
                         hosts=["db-7"], first_seen=now - timedelta(minutes=3), last_seen=now,
                         alert_count=max(1, len(fingerprints)),
                         alert_fingerprints=list(fingerprints), evidence=list(evidence))


def publish(client: redis.Redis, prefix: str, tenant: str, *briefs: IncidentBrief) -> str:
    """Append one notification about ``briefs`` to the tenant's feed, as the receiver does."""
    now = datetime.now(UTC)
    first = briefs[0]
    n = Notification(notification_id=uuid.uuid4().hex, dedup_key=f"{first.incident_id}/"
                     f"{first.version}", receiver="noc", receiver_type="redis", route="root/0",
                     group_key=first.incident_id, status="firing", reason="new",
                     severity=first.severity, title=first.title, incidents=list(briefs),
                     sequence=1, created_at=now, source_time=now)
    return append(client, n, tenant, prefix=prefix)


def launch_browser(playwright):
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test-tools` (scripts/test-tools.sh "
                    "installs Debian's chromium, which these tests drive)", pytrace=False)
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def login(page, worker: WorkerProcess, token: str, query: str = "") -> None:
    """Sign in on the page and wait until its live stream is up."""
    page.goto(worker.url(f"/noc{query}"))
    page.fill("#token", token)
    page.click("#login-form button[type=submit]")
    wait_live(page)


def wait_live(page, timeout_ms: int = WAIT_MS) -> None:
    page.wait_for_selector('#conn[data-state="live"]', timeout=timeout_ms)


def wait_for_incident(page, incident_id: str, timeout_ms: int = WAIT_MS):
    return page.wait_for_selector(f'tr[data-incident-id="{incident_id}"]', timeout=timeout_ms)


def api(worker: WorkerProcess, path: str, token: str | None = None) -> tuple[int, dict]:
    req = urllib.request.Request(worker.url(path))
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, orjson.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, orjson.loads(exc.read())


def read_sse(worker: WorkerProcess, path: str, token: str,
             seconds: float) -> list[tuple[str, dict]]:
    """The (event, data) pairs an SSE client with this token gets in ``seconds`` (HTTP/1.0,
    so the body comes unchunked)."""
    buf, deadline = b"", time.monotonic() + seconds
    with socket.create_connection(("127.0.0.1", worker.web_port), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n"
                     f"Authorization: Bearer {token}\r\n\r\n".encode())
        sock.settimeout(0.2)
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                continue
            if not chunk:
                break
            buf += chunk
    head, _, body = buf.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.") and b" 200 " in head.split(b"\r\n")[0], head
    out = []
    for block in body.split(b"\n\n"):
        fields = dict(line.split(b": ", 1) for line in block.split(b"\n")
                      if b": " in line and not line.startswith(b":"))
        if b"event" in fields:
            out.append((fields[b"event"].decode(), orjson.loads(fields[b"data"])))
    return out


_shots: list[Path] = []


def screenshot(page, name: str) -> Path:
    """Save a screenshot in this session's folder (``aiops-noc-*`` under the temp dir) and
    print where (``pytest -s`` shows it)."""
    if not _shots:
        _shots.append(Path(tempfile.mkdtemp(prefix="aiops-noc-")))
    path = _shots[0] / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"\nNOC page screenshot: {path}", flush=True)
    log.info("NOC page screenshot: %s", path)  # in the captured log of a failing test too
    return path


def alert_event(tenant: str, fingerprint: str, summary: str, runbook: str) -> Produced:
    now = datetime.now(UTC).isoformat()
    ev = AlertEvent.model_validate({
        "specversion": "1.0", "id": uuid.uuid4().hex, "source": "tests", "type": "alert",
        "time": now, "tenant_id": tenant, "schema_version": 1, "data": {
            "status": "firing", "startsAt": now, "fingerprint": fingerprint,
            "labels": {"alertname": "DiskFull", "severity": "critical", "site": "par1",
                       "service": "db", "host": "db-7"},
            "annotations": {"summary": summary, "runbook_url": runbook},
            "generatorURL": "http://prometheus.example/graph"}})
    return Produced("telemetry.alerts", tenant.encode(),
                    orjson.dumps(ev.model_dump(mode="json", by_alias=True)), True)


# --- fixtures ----------------------------------------------------------------------------------

@pytest.fixture
def feed(redis_url: str, pipeline) -> Iterator[tuple[redis.Redis, str]]:
    """A Redis client and a key prefix of this run; its keys are deleted afterwards."""
    client = redis.Redis.from_url(redis_url, socket_timeout=5)
    prefix = f"it-{pipeline.run_id}:"
    yield client, prefix
    for key in client.scan_iter(match=prefix + "*"):
        client.delete(key)
    client.close()


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch_browser(p)
        yield b
        b.close()


# --- tests -------------------------------------------------------------------------------------

def test_incidents_stream_in_live_and_tenants_stay_apart(pipeline, feed, redis_url,
                                                         browser) -> None:
    client, prefix = feed
    fp = uuid.uuid4().hex[:16]
    acme_runbook = "https://runbooks.example/acme/disk-full"
    # the same fingerprint in both tenants: acme's detail must show acme's row only
    pipeline.produce([alert_event("acme", fp, "disk 97% on db-7 (acme)", acme_runbook),
                      alert_event("globex", fp, "GLOBEX SECRET SUMMARY",
                                  "https://runbooks.example/globex")])
    worker = pipeline.start_worker(
        AIOPS_REDIS_URL=redis_url, AIOPS_REDIS_KEY_PREFIX=prefix,
        AIOPS_GATEWAY_TOKENS=",".join(f"{t}={v}" for t, v in TOKENS.items()),
        AIOPS_WEB_ADMIN_TOKEN=ADMIN_TOKEN)
    pipeline.wait_caught_up(worker)

    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors: list = []
    page.on("pageerror", lambda exc: errors.append(exc))  # uncaught exceptions in its scripts
    page.goto(worker.url("/noc"))
    page.fill("#token", "not-a-token-of-anyone")
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#login-error:has-text('wrong token')")
    login(page, worker, TOKENS["acme"])
    assert page.inner_text("#tenant") == "acme"
    [cookie] = context.cookies()
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/noc"
    page.evaluate("window.__sameDocument = true")

    acme_id, globex_id = f"inc-acme-{fp}", f"inc-globex-{fp}"
    publish(client, prefix, "acme", brief(acme_id, "Disk full on db-7 at par1",
                                          fingerprints=[fp]))
    row = wait_for_incident(page, acme_id)
    assert "Disk full on db-7" in row.inner_text()
    assert page.evaluate("window.__sameDocument === true"), "the page reloaded"

    publish(client, prefix, "globex", brief(globex_id, "GLOBEX ONLY incident"))
    later_id = f"inc-acme-later-{fp}"
    xss = '<img src=x onerror="window.__xss = 1">Latency at lon2'
    publish(client, prefix, "acme", brief(later_id, xss, severity="warning", sites=["lon2"],
                                          services=["api"]))
    row = wait_for_incident(page, later_id)  # published after globex's: it had its chance
    assert xss in row.inner_text() and page.evaluate("window.__xss === undefined")
    assert page.query_selector(f'tr[data-incident-id="{globex_id}"]') is None
    assert "GLOBEX" not in page.content()
    assert page.inner_text("#counts").startswith("2 open")

    # client-side filters: severity and site
    page.click('.sev-btn[data-sev="critical"]')
    page.wait_for_selector(f'tr[data-incident-id="{acme_id}"]', state="detached")
    page.click('.sev-btn[data-sev="critical"]')
    page.select_option("#f-site", "lon2")
    page.wait_for_selector(f'tr[data-incident-id="{acme_id}"]', state="detached")
    assert page.query_selector(f'tr[data-incident-id="{later_id}"]') is not None
    page.select_option("#f-site", "")
    wait_for_incident(page, acme_id)

    # globex's token never gets acme's incidents: JSON API, detail and SSE
    status, body = api(worker, "/noc/api/incidents", TOKENS["globex"])
    assert status == 200 and body["tenant"] == "globex"
    assert [i["incident_id"] for i in body["incidents"]] == [globex_id]
    assert api(worker, f"/noc/api/incidents/{acme_id}", TOKENS["globex"])[0] == 404
    status, body = api(worker, "/noc/api/incidents?tenant=acme", TOKENS["globex"])
    assert status == 403 and "cannot read tenant 'acme'" in body["error"]
    assert api(worker, "/noc/api/incidents")[0] == 401
    assert api(worker, "/noc/api/incidents", "wrong-token-0123456789")[0] == 401
    status, body = api(worker, "/noc/session", ADMIN_TOKEN)  # admin: any tenant, one at a time
    assert body["viewer"]["role"] == "admin" and body["tenants"] == ["acme", "globex"]
    assert api(worker, "/noc/api/incidents", ADMIN_TOKEN)[0] == 400
    status, body = api(worker, "/noc/api/incidents?tenant=globex", ADMIN_TOKEN)
    assert [i["incident_id"] for i in body["incidents"]] == [globex_id]
    events = read_sse(worker, "/noc/api/events?tenant=globex", TOKENS["globex"], 2.0)
    snap = [d for e, d in events if e == "snapshot"]
    assert snap and [i["incident_id"] for i in snap[0]["incidents"]] == [globex_id]
    assert acme_id not in orjson.dumps(events).decode()

    # the detail, opened from the keyboard: the brief, acme's alert row from ClickHouse, its
    # runbook, no evidence yet
    screenshot(page, "noc-acme-board")
    page.focus(f'tr[data-incident-id="{acme_id}"] a')
    page.keyboard.press("Enter")
    card = page.wait_for_selector(f'.alert[data-fingerprint="{fp}"]', timeout=WAIT_MS)
    assert "disk 97% on db-7 (acme)" in card.inner_text()
    assert page.get_attribute(f'#d-runbooks a[href="{acme_runbook}"]', "target") == "_blank"
    assert "No ticket or help evidence yet" in page.inner_text("#d-evidence")
    assert "GLOBEX" not in page.inner_text("#detail")
    assert page.evaluate("window.__sameDocument === true")
    shot = screenshot(page, "noc-acme-detail")
    assert shot.stat().st_size > 10_000
    page.keyboard.press("Escape")
    page.wait_for_selector("#detail", state="hidden")
    assert page.evaluate("document.activeElement.closest('tr').dataset.incidentId") == acme_id

    # signing out ends the session: the API refuses the page's cookie
    page.click("#logout")
    page.wait_for_selector("#login:not([hidden])")
    assert page.evaluate("fetch('/noc/api/incidents').then(r => r.status)") == 401
    assert not errors, errors


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis_server(port: int, workdir: Path) -> subprocess.Popen:
    proc = subprocess.Popen([shutil.which("redis-server") or "redis-server", "--port", str(port),
                             "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                            cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(port=port, socket_timeout=1)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            return proc
        except redis.ConnectionError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError(f"redis-server on port {port} did not start") from None
            time.sleep(0.1)


def test_redis_outage_is_shown_and_the_page_recovers(pipeline, browser, tmp_path) -> None:
    """A worker without ingest (no ClickHouse) and without tokens (open local mode), on a
    Redis of its own that is stopped and started again under the page."""
    port = _free_port()
    server = _redis_server(port, tmp_path)
    try:
        client = redis.Redis(port=port, socket_timeout=5)
        prefix = f"it-{pipeline.run_id}:"
        worker = pipeline.start_worker(AIOPS_INGEST_ENABLED="false",
                                       AIOPS_ANOMALY_ENABLED="true",
                                       AIOPS_REDIS_URL=f"redis://127.0.0.1:{port}/0",
                                       AIOPS_REDIS_KEY_PREFIX=prefix)
        page = browser.new_page()
        errors: list = []
        page.on("pageerror", lambda exc: errors.append(exc))
        page.goto(worker.url("/noc"))
        page.wait_for_selector("#pick:not([hidden])")  # local mode: choose a tenant first
        assert "Open local mode" in page.inner_text("#mode-note")
        page.fill("#pick-tenant", "acme")
        page.click("#pick-form button[type=submit]")
        wait_live(page)
        assert page.inner_text("#tenant") == "acme"

        publish(client, prefix, "acme", brief("inc-local-1", "Queue depth at par1"))
        wait_for_incident(page, "inc-local-1")
        page.click('tr[data-incident-id="inc-local-1"] a')
        page.wait_for_selector("#d-alerts-note:has-text('needs the worker that runs the "
                               "ingest stage')")
        page.keyboard.press("Escape")

        server.terminate()
        server.wait(10)
        page.wait_for_selector('#conn[data-state="down"]', timeout=WAIT_MS)
        assert f"Redis at redis://127.0.0.1:{port}/0 cannot be read" in page.inner_text(
            "#notice")
        assert api(worker, "/noc/api/incidents?tenant=acme")[0] == 503
        screenshot(page, "noc-redis-down")

        server = _redis_server(port, tmp_path)  # empty again: persistence is off
        wait_live(page, timeout_ms=30_000)
        assert page.is_hidden("#notice")
        publish(client, prefix, "acme", brief("inc-local-2", "Back after the outage"))
        wait_for_incident(page, "inc-local-2")

        started = time.monotonic()  # an open event stream must not hold the worker's stop
        assert worker.stop(timeout_s=30) == 0
        assert time.monotonic() - started < 15
        page.wait_for_selector('#conn:not([data-state="live"])', timeout=WAIT_MS)
        assert not errors, errors
    finally:
        server.kill()
        server.wait()


def test_an_incident_produced_into_the_pipeline_appears_without_a_reload(
        pipeline, feed, redis_url, browser) -> None:
    """Alert -> clustering -> notify (config/notify.yaml as shipped) -> Redis receiver ->
    the page's live stream, with the page open and never reloaded."""
    from connectors.kafka_io import delete_groups

    _client, prefix = feed
    worker = pipeline.start_worker(
        AIOPS_REDIS_URL=redis_url, AIOPS_REDIS_KEY_PREFIX=prefix,
        AIOPS_CLUSTERING_ENABLED="true", AIOPS_NOTIFY_ENABLED="true",
        AIOPS_DELIVER_ENABLED="true",
        AIOPS_GATEWAY_TOKENS=",".join(f"{t}={v}" for t, v in TOKENS.items()))
    try:
        page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
        login(page, worker, TOKENS["acme"])
        page.evaluate("window.__sameDocument = true")
        host = f"web-{uuid.uuid4().hex[:6]}"
        now = datetime.now(UTC).isoformat()
        events = []
        for tenant, h in (("acme", host), ("globex", f"{host}-globex")):
            ev = AlertEvent.model_validate({
                "specversion": "1.0", "id": uuid.uuid4().hex, "source": "tests",
                "type": "alert", "time": now, "tenant_id": tenant, "data": {
                    "status": "firing", "startsAt": now,
                    "labels": {"alertname": "HostDown", "severity": "critical", "site": "par1",
                               "host": h},
                    "annotations": {"summary": f"{h} is not answering"}}})
            events.append(Produced("telemetry.alerts", tenant.encode(),
                                   orjson.dumps(ev.model_dump(mode="json", by_alias=True)),
                                   True))
        started = time.monotonic()
        pipeline.produce(events)
        row = page.wait_for_selector(f"tr[data-incident-id]:has-text('{host}')",
                                     timeout=60_000)
        took = time.monotonic() - started
        print(f"\nincident on the page {took:.2f} s after the alert was produced", flush=True)
        assert page.evaluate("window.__sameDocument === true"), "the page reloaded"
        assert "critical" in row.inner_text().lower()
        time.sleep(2)
        assert f"{host}-globex" not in page.content()  # globex's incident: not on acme's page
        screenshot(page, "noc-acme-from-pipeline")
    finally:
        worker.stop(timeout_s=20)
        delete_groups(pipeline.bootstrap, [f"{pipeline.group}-deliver.noc"])
