"""The broker restarts under load (CI owns its Kafka, so the test stops and starts it): the
gateway answers 503 with Retry-After while Kafka is away, never 500, and every event it
acknowledged with 202 is in Kafka afterwards; clients that retry get everything stored."""

from __future__ import annotations

import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import orjson

from connectors.kafka_io import check_broker
from tests.integration.test_gateway import TOKEN_ACME, _records, _start_gateway

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "services.sh"


def _services(*args: str) -> None:
    subprocess.run(["bash", str(SCRIPT), *args], check=True, capture_output=True, timeout=240)


def _post(url: str, body: bytes) -> tuple[int, dict, dict]:
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {TOKEN_ACME}"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, orjson.loads(resp.read()), dict(resp.headers)
    except urllib.error.HTTPError as err:
        return err.code, orjson.loads(err.read() or b"{}"), dict(err.headers)


def _stored_ids(pipeline) -> set[str]:
    return {doc["id"] for doc in _records(pipeline, "telemetry.metrics")}


def test_gateway_under_load_through_a_broker_restart(pipeline) -> None:
    gateway = _start_gateway(pipeline, AIOPS_GATEWAY_ACK_TIMEOUT_S="3")
    url = gateway.url("/v1/events/metrics")
    answers: list[tuple[int, list[str], dict]] = []
    stop = threading.Event()

    def body(n: int) -> tuple[bytes, list[str]]:
        ids = [f"load-{n}-{i}" for i in range(5)]
        events = [{"id": eid, "data": {"name": "system.cpu.utilization", "value": 0.5,
                                       "unit": "1", "timestamp": "2026-11-26T10:00:00Z",
                                       "resource": {"host.name": f"h{n % 7}"}}} for eid in ids]
        return orjson.dumps(events), ids

    def load() -> None:
        n = 0
        while not stop.is_set():
            raw, ids = body(n)
            status, _doc, headers = _post(url, raw)
            answers.append((status, ids, headers))
            n += 1
            time.sleep(0.02)

    t = threading.Thread(target=load, name="gateway-load")
    t.start()
    try:
        time.sleep(3)
        _services("down", "kafka")
        time.sleep(8)  # requests meet no broker: 503s
        _services("up", "kafka")
        check_broker(pipeline.bootstrap, timeout_s=60)
        time.sleep(5)  # and are taken again
    finally:
        stop.set()
        t.join(60)
        if not _broker_up(pipeline.bootstrap):
            _services("up", "kafka")

    statuses = {s for s, _ids, _h in answers}
    assert statuses <= {202, 503}, statuses  # never a 500, never a dropped connection
    unavailable = [(ids, h) for s, ids, h in answers if s == 503]
    assert unavailable, "the broker was down for 8 s under load: some requests must get 503"
    assert all(h.get("Retry-After") for _ids, h in unavailable)
    acked = {i for s, ids, _h in answers if s == 202 for i in ids}
    assert len(acked) > 100
    assert [s for s, _i, _h in answers[-5:]] == [202] * 5, "taken again after the restart"
    # a client that honours 503 sends the same request again: now it is stored
    for ids, _h in unavailable:
        n = int(ids[0].split("-")[1])
        raw, _ = body(n)
        assert _post(url, raw)[0] == 202
    stored = _stored_ids(pipeline)
    assert acked <= stored, f"acknowledged but lost: {sorted(acked - stored)[:5]}"
    assert {i for ids, _h in unavailable for i in ids} <= stored


def _broker_up(bootstrap: str) -> bool:
    try:
        check_broker(bootstrap, timeout_s=5)
        return True
    except Exception:
        return False
