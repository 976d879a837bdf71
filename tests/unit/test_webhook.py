"""The webhook receiver: signatures, payload shapes, the retry schedule, and which answers
are retried (against a local HTTP server, no pipeline)."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from connectors.webhook import payload, signing
from connectors.webhook.sender import WebhookSender, backoff_s
from connectors.webhook.target import WebhookTarget
from schemas.notify import IncidentBrief, Notification
from schemas.routing import Receiver, Retry

T = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def note(*states: str) -> Notification:
    briefs = [IncidentBrief(incident_id=f"i{k}", version=1, state=s, title=f"web-{k} down",
                            severity="critical" if k == 0 else "warning", sites=["par1"],
                            hosts=[f"web-{k}"], first_seen=T, last_seen=T, alert_count=3,
                            runbook_urls=["https://runbooks/x"])
              for k, s in enumerate(states)]
    firing = any(s != "resolved" for s in states)
    return Notification(notification_id="n1", dedup_key="acme/hook/g/1", receiver="hook",
                        receiver_type="webhook", route="root", group_key='root:{site="par1"}',
                        group_labels={"site": "par1"},
                        status="firing" if firing else "resolved", reason="new",
                        severity="critical", title="[FIRING] web-0 down", incidents=briefs,
                        sequence=1, created_at=T, source_time=T)


def test_signature_round_trip_and_refusals() -> None:
    body = b'{"a":1}'
    header = signing.sign(b"k", body, now=1000)
    assert signing.verify(b"k", header, body, now=1010)
    assert not signing.verify(b"k", header, body + b" ", now=1010)  # body changed
    assert not signing.verify(b"other", header, body, now=1010)  # wrong secret
    assert not signing.verify(b"k", header, body, now=1000 + 301)  # replayed later
    assert not signing.verify(b"k", "v1=abc", body, now=1000)  # no time


def test_alertmanager_v4_shape() -> None:
    doc = payload.alertmanager(note("open", "resolved"), "acme")
    assert doc["version"] == "4" and doc["status"] == "firing"
    assert doc["groupLabels"] == {"site": "par1"} and doc["receiver"] == "hook"
    a0, a1 = doc["alerts"]
    assert a0["labels"] == {"alertname": "AIOpsIncident", "incident_id": "i0",
                            "severity": "critical", "tenant": "acme", "site": "par1",
                            "host": "web-0"}
    assert a0["endsAt"] == "0001-01-01T00:00:00Z" and a1["status"] == "resolved"
    assert a1["endsAt"] == "2026-11-26T10:00:00Z"
    assert a0["annotations"]["runbook_url"] == "https://runbooks/x"
    assert doc["commonLabels"] == {"alertname": "AIOpsIncident", "tenant": "acme",
                                   "site": "par1"}


def test_slack_and_json_bodies() -> None:
    import orjson

    slack = orjson.loads(payload.body(note("open"), "acme", "slack"))
    assert slack["text"].startswith("[FIRING]") and slack["blocks"][1]["type"] == "section"
    raw = orjson.loads(payload.body(note("open"), "acme", "json"))
    assert raw["tenant_id"] == "acme" and raw["dedup_key"] == "acme/hook/g/1"


def test_backoff_grows_exponentially_with_jitter_up_to_the_cap() -> None:
    r = Retry(initial_backoff=0.5, max_backoff=30, give_up_after=3600)
    rng = random.Random(1)
    for attempt, step in ((1, 0.5), (2, 1.0), (3, 2.0), (6, 16.0), (7, 30.0), (20, 30.0)):
        waits = [backoff_s(attempt, r, rng) for _ in range(200)]
        assert step / 2 <= min(waits) and max(waits) <= step
        assert max(waits) - min(waits) > step / 4  # jittered, not lockstep


@pytest.mark.parametrize("status, ok, retryable", [
    (200, True, False), (204, True, False), (500, False, True), (503, False, True),
    (429, False, True), (408, False, True), (400, False, False), (404, False, False),
    (401, False, False),
])
def test_which_answers_are_retried(status: int, ok: bool, retryable: bool) -> None:
    with WebhookTarget() as target:
        target.fail_with = None if status < 300 else status
        recv = Receiver(name="hook", type="webhook", url=target.url, timeout=2)
        sender = WebhookSender(recv, secret=b"k")
        try:
            out = sender.attempt(note("open"), "acme", 1)
        finally:
            sender.close()
    assert (out.ok, out.retryable) == (ok, retryable)
    if ok:
        [r] = target.received
        assert r.headers["X-AIOps-Dedup-Key"] == "acme/hook/g/1"
        assert signing.verify(b"k", r.headers[signing.HEADER], r.body)
    else:
        assert out.http_status == status and str(status) in out.error


def test_refused_connection_and_timeout_are_retried() -> None:
    target = WebhookTarget().start()
    url = target.url
    target.stop()  # nothing listens: connection refused
    sender = WebhookSender(Receiver(name="h", type="webhook", url=url, timeout=1), None)
    try:
        out = sender.attempt(note("open"), "acme", 1)
    finally:
        sender.close()
    assert not out.ok and out.retryable and out.http_status is None and out.error
