"""The HTTP ingest gateway against real Kafka, and a real Alertmanager pointed at it."""

from __future__ import annotations

import subprocess
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from confluent_kafka import Consumer, TopicPartition

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


@pytest.fixture
def gateway(pipeline):
    env = {**pipeline.env(), "AIOPS_GATEWAY_TOKENS": f"acme={TOKEN_ACME},globex={TOKEN_GLOBEX}",
           "AIOPS_GATEWAY_MAX_BODY_BYTES": "65536"}
    g = WorkerProcess(env, pipeline.workdir / "gateway.log", free_port(), args=("gateway",))
    pipeline.workers.append(g)
    g.start(timeout_s=30)
    return g


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
