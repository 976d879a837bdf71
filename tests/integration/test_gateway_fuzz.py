"""Generated requests against a real gateway and worker (the HTTP round of `aiops bench fuzz`):
every answer is 2xx or 4xx, every accepted event is stored, and the worker lives on."""

from __future__ import annotations

import urllib.error
import urllib.request

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.fuzz import CONTENT_TYPES, _examples, bodies
from tests.integration.test_gateway import TOKEN_ACME, _start_gateway

PATHS = ("/v1/alertmanager", "/v1/grafana", "/v1/events/metrics", "/v1/events/alerts",
         "/v1/events/tickets", "/v1/events/help", "/v1/events/nope")
TABLES = ("metrics", "alerts", "ticket_events", "help_interactions")


def _post(url: str, body: bytes, content_type: str) -> tuple[int, dict]:
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": content_type or "application/octet-stream",
        "Authorization": f"Bearer {TOKEN_ACME}"})
    try:
        with urllib.request.urlopen(req, timeout=20) as resp:
            return resp.status, orjson.loads(resp.read())
    except urllib.error.HTTPError as err:
        raw = err.read()
        return err.code, orjson.loads(raw) if raw.startswith(b"{") else {"raw": raw[:200]}


def test_generated_requests_get_2xx_or_4xx_and_accepted_ones_are_stored(pipeline) -> None:
    gateway = _start_gateway(pipeline)
    worker = pipeline.start_worker()
    statuses: dict[int, int] = {}
    accepted: list[str] = []

    @settings(max_examples=150, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(body=bodies(_examples()), path=st.sampled_from(PATHS),
           content_type=st.sampled_from(CONTENT_TYPES))
    def post(body: bytes, path: str, content_type: str) -> None:
        status, doc = _post(gateway.url(path), body, content_type)
        statuses[status] = statuses.get(status, 0) + 1
        assert 200 <= status < 500, (status, doc, body[:200])
        if status == 202:
            accepted.extend(doc["ids"])

    post()
    pipeline.wait_caught_up(worker)
    worker.check_alive()
    assert gateway.proc is not None and gateway.proc.poll() is None
    assert worker.stop() == 0  # it owns the embedded database until then
    assert statuses.get(202, 0) > 0 and sum(statuses.values()) >= 150, statuses
    sink = pipeline.clickhouse()
    try:
        stored = {r["id"] for t in TABLES
                  for r in sink.query(f"SELECT id FROM aiops.{t} FINAL")}
    finally:
        sink.close()
    assert set(accepted) <= stored, sorted(set(accepted) - stored)[:5]
