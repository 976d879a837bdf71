"""The HTTP ingest gateway against real Kafka, and a real Alertmanager pointed at it."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from confluent_kafka import Consumer, TopicPartition
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.kafka_io import end_offsets
from pipelines.runner import WorkerProcess
from schemas.topics import INPUT_TOPICS
from tests.integration.conftest import free_port

TOKEN_ACME = "acme-token-0123456789abcdef"
TOKEN_GLOBEX = "globex-token-0123456789abcdef"


def _post(url: str, body: bytes, token: str | None = None,
          content_type: str = "application/json") -> tuple[int, dict]:
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": content_type})
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=20) as resp:
            return resp.status, orjson.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, orjson.loads(err.read() or b"{}")


def _start_gateway(pipeline, **env: str) -> WorkerProcess:
    env = {**pipeline.env(), "AIOPS_GATEWAY_TOKENS": f"acme={TOKEN_ACME},globex={TOKEN_GLOBEX}",
           "AIOPS_GATEWAY_BODY_TIMEOUT_S": "2", "AIOPS_GATEWAY_IDLE_TIMEOUT_S": "3", **env}
    g = WorkerProcess(env, pipeline.workdir / f"gateway-{len(pipeline.workers)}.log", free_port(),
                      args=("gateway",))
    pipeline.workers.append(g)
    g.start(timeout_s=30)
    return g


@pytest.fixture
def gateway(pipeline):
    return _start_gateway(pipeline, AIOPS_GATEWAY_MAX_BODY_BYTES="65536")


@pytest.fixture
def roomy_gateway(pipeline):
    """The default 4 MiB body limit, so per-event limits are what a big item meets."""
    return _start_gateway(pipeline)


def _records(pipeline, topic: str) -> list[dict]:
    name = pipeline.prefix + topic
    ends = end_offsets(pipeline.bootstrap, [name])
    c = Consumer({"bootstrap.servers": pipeline.bootstrap, "group.id": f"{pipeline.group}-r",
                  "enable.auto.commit": False})
    try:
        c.assign([TopicPartition(t, p, 0) for (t, p) in ends])
        want, out = sum(ends.values()), []
        deadline = time.monotonic() + 20
        while len(out) < want and time.monotonic() < deadline:
            out += [orjson.loads(m.value()) for m in c.consume(500, timeout=0.5)
                    if m.error() is None]
        return out
    finally:
        c.close()


def _total_records(pipeline) -> int:
    return sum(end_offsets(pipeline.bootstrap, [pipeline.prefix + t for t in INPUT_TOPICS])
               .values())


def _metric(i: int, **extra) -> dict:
    return {"name": "system.cpu.utilization", "value": i / 100, "unit": "1",
            "timestamp": "2026-11-23T12:00:00Z", "resource": {"host.name": f"h{i}"}, **extra}


def test_bad_requests_get_their_4xx_and_nothing_reaches_kafka(pipeline, gateway) -> None:
    url = gateway.url("/v1/events/metrics")
    good = orjson.dumps(_metric(1))
    cases = [
        (good, None, 401, "bearer token"),
        (good, "wrong-token-0123456789", 401, "bearer token"),
        (b"{not json", TOKEN_ACME, 400, "not valid JSON"),
        (b"", TOKEN_ACME, 400, "empty body"),
        (orjson.dumps(_metric(1) | {"value": "high"}), TOKEN_ACME, 400, "data.value"),
        (orjson.dumps([_metric(1), {"name": "x"}]), TOKEN_ACME, 400, "item 1"),
        (orjson.dumps({"data": _metric(1), "tenant_id": "globex"}), TOKEN_ACME, 403, "globex"),
        (orjson.dumps({"data": _metric(1), "type": "alert"}), TOKEN_ACME, 400, "takes"),
        (orjson.dumps([_metric(i) for i in range(2000)]), TOKEN_ACME, 413, "limit"),
    ]
    for body, token, status, words in cases:
        got, resp = _post(url, body, token)
        assert got == status, (body[:60], got, resp)
        assert words in resp.get("error", ""), resp
    got, resp = _post(gateway.url("/v1/events/logs"), good, TOKEN_ACME)
    assert got == 404 and "metrics" in resp["error"]
    got, resp = _post(gateway.url("/v1/alertmanager"), b'{"version": "3", "alerts": []}',
                      TOKEN_ACME)
    assert got == 400 and "version" in resp["error"]
    assert _total_records(pipeline) == 0, "a rejected request must not reach Kafka"


def test_accepted_requests_all_reach_kafka_with_the_tokens_tenant(pipeline, gateway) -> None:
    accepted = 0
    got, resp = _post(gateway.url("/v1/events/metrics"), orjson.dumps(_metric(1)), TOKEN_ACME)
    assert got == 202 and resp["accepted"] == 1 and resp["tenant"] == "acme"
    accepted += 1
    ndjson = b"\n".join(orjson.dumps(_metric(i)) for i in range(500))
    got, resp = _post(gateway.url("/v1/events/metrics"), ndjson, TOKEN_GLOBEX,
                      "application/x-ndjson")
    assert got == 202 and resp["accepted"] == 500
    accepted += 500
    # a client retrying the same request (e.g. after a 503) gets the same ids: no duplicates
    again, resp2 = _post(gateway.url("/v1/events/metrics"), ndjson, TOKEN_GLOBEX,
                         "application/x-ndjson")
    assert again == 202 and resp2["ids"] == resp["ids"]
    accepted += 500  # Kafka holds both copies; the sinks keep one per id
    ticket = {"ticket_id": "T-9", "action": "created", "timestamp": "2026-11-23T12:00:00Z",
              "subject": "VPN down"}
    got, _ = _post(gateway.url("/v1/events/tickets"), orjson.dumps([ticket]), TOKEN_ACME)
    assert got == 202
    accepted += 1
    records = _records(pipeline, "telemetry.metrics")
    assert len(records) == 1001 and len({r["id"] for r in records}) == 501
    assert sum(r["tenant_id"] == "globex" for r in records) == 1000
    assert _total_records(pipeline) == accepted
    (t,) = _records(pipeline, "tickets.events")
    assert t["tenant_id"] == "acme" and t["type"] == "ticket.event"
    metrics = gateway.get("/metrics")
    assert 'aiops_gateway_events_total{kind="metrics"} 1001.0' in metrics


def test_a_real_alertmanager_delivers_to_kafka_with_the_right_tenant(pipeline, gateway,
                                                                     tmp_path: Path) -> None:
    am_port = free_port()
    config = tmp_path / "alertmanager.yml"
    config.write_text(f"""
route:
  receiver: aiops
  group_by: ['alertname', 'instance']
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: aiops
    webhook_configs:
      - url: {gateway.url('/v1/alertmanager')}
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: {TOKEN_GLOBEX}
""")
    am = subprocess.Popen(
        ["prometheus-alertmanager", f"--config.file={config}", f"--storage.path={tmp_path}/am",
         f"--web.listen-address=127.0.0.1:{am_port}", "--cluster.listen-address="],
        stdout=(tmp_path / "am.log").open("wb"), stderr=subprocess.STDOUT)
    try:
        api = f"http://127.0.0.1:{am_port}/api/v2"
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{api}/status", timeout=2).read()
                break
            except OSError:
                assert time.monotonic() < deadline, (tmp_path / "am.log").read_text()
                time.sleep(0.2)
        now = datetime.now(UTC)
        alerts = [{"labels": {"alertname": "DiskFull", "severity": "critical",
                              "instance": f"db-{i}:9100", "site": "par1"},
                   "annotations": {"summary": f"disk 9{i}% on db-{i}"},
                   "startsAt": now.isoformat(), "endsAt": (now + timedelta(hours=1)).isoformat(),
                   "generatorURL": "http://prometheus/graph"} for i in range(3)]
        req = urllib.request.Request(f"{api}/alerts", data=orjson.dumps(alerts), method="POST",
                                     headers={"Content-Type": "application/json"})
        assert urllib.request.urlopen(req, timeout=10).status == 200
        deadline = time.monotonic() + 60
        records: list[dict] = []
        while len(records) < 3 and time.monotonic() < deadline:
            time.sleep(0.5)
            records = _records(pipeline, "telemetry.alerts")
    finally:
        am.terminate()
        am.wait(10)
    assert len(records) == 3, (tmp_path / "am.log").read_text()[-2000:]
    assert {r["tenant_id"] for r in records} == {"globex"}
    assert {r["data"]["labels"]["instance"] for r in records} == {f"db-{i}:9100" for i in range(3)}
    for r in records:
        assert r["type"] == "alert" and r["data"]["status"] == "firing"
        assert len(r["data"]["fingerprint"]) == 16  # Alertmanager's own fingerprint
        assert r["source"] == "alertmanager/aiops"


# --- a gateway that keeps its promise (issue #10 item 1) -------------------------------------

def _alert(i: int, **extra) -> dict:
    return {"status": "firing", "labels": {"alertname": "DiskFull", "instance": f"db-{i}"},
            "startsAt": "2026-11-23T12:00:00Z", **extra}


def _big_alert(n_bytes: int) -> dict:
    """An alert whose stored record is about ``n_bytes`` (annotations of 1,000 characters)."""
    return _alert(99, annotations={f"note{k}": "x" * 1000 for k in range(n_bytes // 1012)})


def test_an_oversized_item_rejects_its_whole_request(pipeline, roomy_gateway) -> None:
    url = roomy_gateway.url("/v1/events/alerts")
    before = _total_records(pipeline)
    body = orjson.dumps([_alert(0), _alert(1), _alert(2), _big_alert(1_500_000)])
    got, resp = _post(url, body, TOKEN_ACME)
    assert got == 413 and resp["index"] == 3, resp
    assert resp["size"] > 1_500_000 and resp["limit"] == 262144
    assert "AIOPS_INGEST_MAX_EVENT_BYTES" in resp["error"] and "item 3" in resp["error"]
    got, resp = _post(url, orjson.dumps(_big_alert(1_500_000)), TOKEN_ACME)
    assert got == 413 and resp["index"] == 0
    got, resp = _post(url, orjson.dumps(_big_alert(303_000)), TOKEN_ACME)  # the worker's DLQ case
    assert got == 413 and 300_000 < resp["size"] < 310_000, resp
    got, resp = _post(roomy_gateway.url("/v1/alertmanager"),
                      orjson.dumps({"version": "4", "alerts": [_alert(0), _big_alert(303_000)]}),
                      TOKEN_ACME)
    assert got == 413 and resp["index"] == 1
    assert _total_records(pipeline) == before, "nothing of a refused request may reach Kafka"


def test_kafkas_limit_applies_when_it_is_the_smaller_one(pipeline) -> None:
    g = _start_gateway(pipeline, AIOPS_INGEST_MAX_EVENT_BYTES="2000000")
    got, resp = _post(g.url("/v1/events/alerts"), orjson.dumps(_big_alert(1_200_000)), TOKEN_ACME)
    assert got == 413 and "message.max.bytes" in resp["error"] and resp["limit"] < 1_000_000
    assert _total_records(pipeline) == 0


def test_what_the_gateway_accepts_the_worker_stores(pipeline, roomy_gateway) -> None:
    near = _big_alert(250_000)  # just under the shared 256 KiB limit
    got, resp = _post(roomy_gateway.url("/v1/events/alerts"), orjson.dumps([near, _alert(1)]),
                      TOKEN_ACME)
    assert got == 202, resp
    worker = pipeline.start_worker()
    pipeline.wait_caught_up(worker)
    worker.stop()  # it owns the embedded ClickHouse
    sink = pipeline.clickhouse()
    try:
        counts = sink.counts()
    finally:
        sink.close()
    assert counts["alerts"] == 2 and counts["dlq"] == 0, counts


GRAFANA = {  # Grafana unified alerting's webhook contact point, as its docs show it
    "receiver": "noc-webhook", "status": "firing", "orgId": 1,
    "alerts": [
        {"status": "firing",
         "labels": {"alertname": "High memory usage", "team": "blue", "zone": "us-1"},
         "annotations": {"description": "The system has high memory usage",
                         "runbook_url": "https://myrunbook.com/runbook/1234",
                         "summary": "This alert was triggered for zone us-1"},
         "startsAt": "2026-11-23T09:51:03.157076+02:00", "endsAt": "0001-01-01T00:00:00Z",
         "generatorURL": "https://play.grafana.org/alerting/1afz29v7z/edit",
         "fingerprint": "c6eadffa33fcdf37",
         "silenceURL": "https://play.grafana.org/alerting/silence/new?alertmanager=grafana",
         "dashboardURL": "https://play.grafana.org/d/abc", "panelURL": "", "imageURL": "",
         "values": {"B": 44.23943737541908, "C": 1}, "valueString": "[ var='B' value=44.2 ]"},
        {"status": "resolved",
         "labels": {"alertname": "High CPU usage", "team": "blue", "zone": "eu-1"},
         "annotations": {"summary": "This alert was triggered for zone eu-1"},
         "startsAt": "2026-11-23T09:56:03.157076+02:00",
         "endsAt": "2026-11-23T10:26:03.157076+02:00",
         "generatorURL": "https://play.grafana.org/alerting/d1rdpdv7k/edit",
         "fingerprint": "bc97ff14869b13e3", "silenceURL": "", "dashboardURL": "",
         "panelURL": "", "values": None, "valueString": ""}],
    "groupLabels": {"alertname": "High memory usage"}, "commonLabels": {"team": "blue"},
    "commonAnnotations": {}, "externalURL": "https://play.grafana.org/",
    "version": "1", "groupKey": '{}:{alertname="High memory usage"}', "truncatedAlerts": 0,
    "title": "[FIRING:2]  (blue)", "state": "alerting",
    "message": "**Firing**\n\nLabels:\n - alertname = High memory usage\n"}


def test_grafanas_webhook_is_accepted_and_stored_with_its_alert_times(pipeline, gateway) -> None:
    for route in ("/v1/grafana", "/v1/alertmanager"):  # its own route, and Alertmanager's
        got, resp = _post(gateway.url(route), orjson.dumps(GRAFANA), TOKEN_ACME)
        assert got == 202 and resp["accepted"] == 2, (route, resp)
    bad = {"version": "4", "alerts": [_alert(0, silenceURL="x")]}  # Alertmanager stays strict
    got, resp = _post(gateway.url("/v1/alertmanager"), orjson.dumps(bad), TOKEN_ACME)
    assert got == 400 and "silenceURL" in resp["error"] and resp["index"] == 0, resp
    records = _records(pipeline, "telemetry.alerts")
    assert len(records) == 4 and {r["source"] for r in records} == {"grafana/noc-webhook"}
    by_name = {r["data"]["labels"]["alertname"]: r for r in records}
    mem, cpu = by_name["High memory usage"], by_name["High CPU usage"]
    assert mem["data"]["fingerprint"] == "c6eadffa33fcdf37" and mem["tenant_id"] == "acme"
    assert mem["data"]["labels"] == {"alertname": "High memory usage", "team": "blue",
                                     "zone": "us-1"}
    notes = mem["data"]["annotations"]
    assert notes["grafana_values"] == "B=44.23943737541908, C=1"
    assert notes["grafana_dashboard_url"] == "https://play.grafana.org/d/abc"
    assert "grafana_panel_url" not in notes and "silenceURL" not in mem["data"]
    # event time: startsAt while firing, endsAt once resolved; never the arrival time
    assert datetime.fromisoformat(mem["time"]) == datetime.fromisoformat(
        "2026-11-23T09:51:03.157076+02:00")
    assert datetime.fromisoformat(cpu["time"]) == datetime.fromisoformat(
        "2026-11-23T10:26:03.157076+02:00")
    worker = pipeline.start_worker()
    pipeline.wait_caught_up(worker)
    worker.stop()  # it owns the embedded ClickHouse
    sink = pipeline.clickhouse()
    try:
        rows = sink.query("SELECT alertname, status, toString(event_time) AS t, "
                          "annotations['grafana_values'] AS v FROM aiops.alerts FINAL "
                          "ORDER BY alertname")
    finally:
        sink.close()
    assert len(rows) == 4 and {r["alertname"] for r in rows} == set(by_name)
    assert {r["t"][:19] for r in rows} == {"2026-11-23 07:51:03", "2026-11-23 08:26:03"}


def _raw(port: int, head: bytes) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=0.2)
    s.sendall(head)
    return s


def _trickle(port: int, head: bytes, limit_s: float) -> tuple[bytes, float, bool]:
    """Send ``head``, then a byte every 0.2 s; (answer, seconds to it, connection closed)."""
    s, started, answer = _raw(port, head), time.monotonic(), b""
    try:
        while time.monotonic() - started < limit_s:
            try:
                chunk = s.recv(65536)
            except TimeoutError:
                with contextlib.suppress(OSError):
                    s.sendall(b" ")
                continue
            except ConnectionResetError:
                return answer, time.monotonic() - started, True
            if not chunk:
                return answer, time.monotonic() - started, True
            answer += chunk
        return answer, time.monotonic() - started, False
    finally:
        s.close()


def test_slow_clients_get_408_and_lose_their_connection(gateway) -> None:
    head = (f"POST /v1/events/metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN_ACME}"
            "\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n[").encode()
    with ThreadPoolExecutor(40) as pool:
        bodies = [pool.submit(_trickle, gateway.web_port, head, 15) for _ in range(30)]
        headers = [pool.submit(_trickle, gateway.web_port, b"POST /v1/events/metrics HTTP/1.1"
                               b"\r\nHost: x\r\nX-Slow: ", 15) for _ in range(10)]
        for f in bodies:
            answer, took, closed = f.result()
            assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
            assert b"AIOPS_GATEWAY_BODY_TIMEOUT_S" in answer
            assert closed and took < 2 + 3, took  # AIOPS_GATEWAY_BODY_TIMEOUT_S=2 in the fixture
        for f in headers:  # still sending headers: closed at AIOPS_GATEWAY_IDLE_TIMEOUT_S=3
            answer, took, closed = f.result()
            assert closed and took < 3 + 3, (took, answer[:200])
    got, _ = _post(gateway.url("/v1/events/metrics"), orjson.dumps(_metric(1)), TOKEN_ACME)
    assert got == 202, "the gateway still serves well-behaved clients"


def test_broken_bodies_get_a_4xx_and_a_vanished_client_no_5xx(gateway) -> None:
    head = (f"POST /v1/events/metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN_ACME}"
            "\r\n").encode()
    for extra, want in ((b"Content-Encoding: gzip\r\nContent-Length: 5\r\n\r\nhello", b" 400 "),
                        (b"Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n", b" 400 ")):
        answer, _, _ = _trickle(gateway.web_port, head + extra, 5)
        assert want in answer.split(b"\r\n")[0], answer[:200]
    s = _raw(gateway.web_port, head + b"Content-Length: 1000\r\n\r\n0123456789")
    s.close()  # gone before its body arrived
    time.sleep(0.5)
    metrics = gateway.get("/metrics")
    assert 'status="499"' in metrics and 'status="500"' not in metrics


@contextlib.contextmanager
def _in_process_gateway(bootstrap: str, prefix: str, **gateway: object):
    """The gateway app on a thread of this process, so a test can break its Kafka."""
    from aiohttp import web

    from config.settings import GatewaySettings, KafkaSettings, Settings
    from connectors.gateway.app import PRODUCER, create_gateway
    from connectors.gateway.auth import TokenTable

    settings = Settings(kafka=KafkaSettings(bootstrap=bootstrap, topic_prefix=prefix),
                        gateway=GatewaySettings(**gateway))
    app = create_gateway(settings, TokenTable({"acme": [TOKEN_ACME]}))
    runner, port = web.AppRunner(app), free_port()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start() -> None:
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()

    asyncio.run_coroutine_threadsafe(start(), loop).result(30)
    try:
        yield f"http://127.0.0.1:{port}", app[PRODUCER]
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


def _post_full(url: str, body: bytes) -> tuple[int, dict, dict]:
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {TOKEN_ACME}"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, dict(resp.headers), orjson.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), orjson.loads(err.read() or b"{}")


def test_no_broker_means_503_with_retry_after() -> None:
    with _in_process_gateway(f"127.0.0.1:{free_port()}", "nowhere.", ack_timeout_s=2) as (url, _):
        started = time.monotonic()
        got, headers, resp = _post_full(url + "/v1/events/metrics", orjson.dumps(_metric(1)))
        assert got == 503 and headers["Retry-After"] == "5", resp
        assert time.monotonic() - started < 2 + 3
        assert "same request" in resp["error"]


def test_a_retry_after_a_partial_503_stores_each_event_once(pipeline) -> None:
    from connectors.gateway.producer import DeliveryFailed

    with _in_process_gateway(pipeline.bootstrap, pipeline.prefix) as (url, producer):
        real_send = producer.send

        async def half_then_fail(records, timeout_s):
            await real_send(records[: len(records) // 2], timeout_s)
            raise DeliveryFailed("broker went away mid-request (simulated)")

        for route, body in (("/v1/events/alerts", [_alert(i) for i in range(6)]),
                            ("/v1/alertmanager", {"version": "4", "receiver": "r",
                                                  "alerts": [_alert(i) for i in range(6)]})):
            producer.send = half_then_fail
            got, headers, _ = _post_full(url + route, orjson.dumps(body))
            assert got == 503 and "Retry-After" in headers
            producer.send = real_send
            got, _, resp = _post_full(url + route, orjson.dumps(body))  # the client's retry
            assert got == 202 and len(set(resp["ids"])) == 6
            # a later, byte-identical Alertmanager repeat is a notification of its own
            again, _, resp2 = _post_full(url + route, orjson.dumps(body))
            assert again == 202
            assert (set(resp2["ids"]) == set(resp["ids"])) == (route == "/v1/events/alerts")
    records = _records(pipeline, "telemetry.alerts")
    assert len(records) == 2 * (3 + 6 + 6)  # Kafka holds the retried half twice...
    worker = pipeline.start_worker()
    pipeline.wait_caught_up(worker)
    worker.stop()  # it owns the embedded ClickHouse
    sink = pipeline.clickhouse()
    try:
        assert sink.counts()["alerts"] == 6 + 6 + 6  # ...the sink keeps one row per event id
    finally:
        sink.close()


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-2**63, 2**63 - 1) | st.floats(allow_nan=False,
                                                                             allow_infinity=False)
    | st.text(max_size=20) | st.sampled_from(["firing", "resolved", "4", "1", "0001-01-01",
                                             "2026-11-23T12:00:00Z", "alertname"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["alerts", "version", "orgId", "labels", "annotations", "status",
                         "startsAt", "endsAt", "data", "id", "time", "type", "tenant_id",
                         "alertname", "values", "name", "value", "timestamp", "resource",
                         "fingerprint", "receiver"]) | st.text(max_size=8), inner, max_size=6),
    max_leaves=25)
BODIES = st.one_of(st.binary(max_size=300), JSONISH.map(orjson.dumps),
                   st.lists(JSONISH, max_size=3).map(
                       lambda xs: b"\n".join(orjson.dumps(x) for x in xs)))


def test_random_input_never_gets_a_5xx(pipeline, gateway) -> None:
    routes = ["/v1/alertmanager", "/v1/grafana", "/v1/events/metrics", "/v1/events/alerts",
              "/v1/events/tickets", "/v1/events/help", "/v1/events/nope"]
    seen: Counter = Counter()

    @settings(max_examples=400, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(route=st.sampled_from(routes), body=BODIES,
           content_type=st.sampled_from(["application/json", "application/x-ndjson",
                                         "text/plain", "application/json; charset=latin-1"]),
           token=st.sampled_from([TOKEN_ACME, TOKEN_ACME, "x" * 20, "é\u00ff"]))
    def check(route, body, content_type, token) -> None:
        req = urllib.request.Request(gateway.url(route), data=body, method="POST",
                                     headers={"Content-Type": content_type,
                                              "Authorization": f"Bearer {token}"})
        try:
            with urllib.request.urlopen(req, timeout=20) as resp:
                status = resp.status
        except urllib.error.HTTPError as err:
            status = err.code
        seen[status] += 1
        assert 200 <= status < 500, (route, body[:200], status)

    check()
    assert seen[400] > 50, seen  # the fuzzing reached validation
    gateway.check_alive()
    assert 'status="500"' not in gateway.get("/metrics")
