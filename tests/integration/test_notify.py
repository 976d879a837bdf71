"""Notifications on the real broker and Redis: alerts -> clustering -> notify -> webhook and
Redis feed, and a webhook outage with a worker restart in the middle."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

import orjson
import pytest
import redis

from connectors.demo_source import Produced
from connectors.kafka_io import delete_groups
from connectors.redis_feed import feed
from connectors.webhook import signing
from connectors.webhook.target import WebhookTarget

SECRET = "s3cret-for-tests"
ROUTES = """receivers:
  - name: noc
    type: redis
  - name: hook
    type: webhook
    url: {url}
    format: {fmt}
    secret_env: TEST_NOTIFY_SECRET
    timeout: 2s
    retry: {{initial_backoff: 200ms, max_backoff: 2s, give_up_after: 10m}}
route:
  receiver: noc
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 24h
  routes:
    - receiver: noc
      continue: true
    - receiver: hook
"""


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")


def alert(tenant: str, host: str, t: float, runbook: str = "") -> Produced:
    ev = {"specversion": "1.0", "id": uuid.uuid4().hex, "source": "test", "type": "alert",
          "time": _iso(t), "tenant_id": tenant,
          "data": {"status": "firing", "startsAt": _iso(t),
                   "labels": {"alertname": "HostDown", "severity": "critical",
                              "host": host, "site": "par1"},
                   "annotations": {"summary": f"{host} is down", "runbook_url": runbook}}}
    return Produced("telemetry.alerts", tenant.encode(), orjson.dumps(ev), True)


def incident(tenant: str, iid: str, t: float) -> Produced:
    ev = {"specversion": "1.0", "id": f"{iid}/1", "source": "test", "type": "aiops.incident",
          "time": _iso(t), "tenant_id": tenant,
          "data": {"incident_id": iid, "version": 1, "state": "open", "title": f"{iid} down",
                   "severity": "critical", "sites": ["par1"], "first_seen": _iso(t),
                   "last_seen": _iso(t), "alert_count": 1}}
    return Produced("aiops.incidents", tenant.encode(), orjson.dumps(ev), True)


@pytest.fixture
def notify_env(pipeline, redis_url, tmp_path, monkeypatch):
    """Routing file, Redis key prefix and env for a worker running the notify path."""
    monkeypatch.setenv("TEST_NOTIFY_SECRET", SECRET)
    key_prefix = f"it-{pipeline.run_id}:"
    target = WebhookTarget(secret=SECRET.encode()).start()
    env = {"AIOPS_REDIS_URL": redis_url, "AIOPS_REDIS_KEY_PREFIX": key_prefix,
           "AIOPS_NOTIFY_ENABLED": "true", "AIOPS_DELIVER_ENABLED": "true",
           "AIOPS_NOTIFY_ROUTES_PATH": str(tmp_path / "notify.yaml")}
    client = redis.Redis.from_url(redis_url)
    yield target, env, client, key_prefix
    target.stop()
    for key in client.scan_iter(match=key_prefix + "*"):
        client.delete(key)
    client.close()
    delete_groups(pipeline.bootstrap, [f"{pipeline.group}-deliver.{r}" for r in ("noc", "hook")])


def _wait(predicate, timeout_s: float, what: str, worker=None) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if worker is not None:
            worker.check_alive()
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def test_alerts_reach_the_webhook_and_the_feed_once_per_tenant(pipeline, notify_env,
                                                               tmp_path) -> None:
    target, env, client, prefix = notify_env
    (tmp_path / "notify.yaml").write_text(ROUTES.format(url=target.url, fmt="alertmanager"))
    worker = pipeline.start_worker(AIOPS_CLUSTERING_ENABLED="true", **env)
    now = time.time()
    pipeline.produce([alert("acme", "web-1", now, "https://runbooks/hostdown"),
                      alert("globex", "db-9", now)])
    _wait(lambda: len(target.received) >= 2, 90, "two webhook requests", worker)
    bodies = {r.json()["alerts"][0]["labels"]["tenant"]: r for r in target.received}
    assert set(bodies) == {"acme", "globex"}
    acme = bodies["acme"]
    assert acme.signature_ok is True
    assert signing.verify(SECRET.encode(), acme.headers[signing.HEADER], acme.body)
    assert not signing.verify(b"wrong", acme.headers[signing.HEADER], acme.body)
    doc = acme.json()
    assert doc["version"] == "4" and doc["status"] == "firing" and doc["receiver"] == "hook"
    assert doc["alerts"][0]["labels"]["alertname"] == "AIOpsIncident"
    assert "web-1" in doc["alerts"][0]["annotations"]["summary"]

    # the live feed: each tenant's stream has its own incident and nothing of the other's
    _wait(lambda: all(client.exists(feed.stream_key(t, prefix)) for t in ("acme", "globex")),
          30, "both feeds")
    for tenant, host in (("acme", "web-1"), ("globex", "db-9")):
        entries = feed.read_tail(client, tenant, prefix=prefix)
        assert entries, tenant
        titles = " ".join(b.title for _id, n in entries for b in n.incidents)
        assert host in titles and ({"web-1", "db-9"} - {host}).pop() not in titles

    # nothing more goes out for the same incident: no repeat within repeat_interval
    time.sleep(3)
    assert sum(target.keys().values()) == 2
    pipeline.wait_caught_up(worker)
    assert worker.stop() == 0
    sink = pipeline.clickhouse()
    try:
        sent = sink.query("SELECT receiver, tenant_id, status FROM aiops.notifications FINAL")
        tries = sink.query("SELECT receiver, status, http_status FROM "
                           "aiops.notification_attempts FINAL WHERE receiver = 'hook'")
    finally:
        sink.close()
    assert sorted((r["receiver"], r["tenant_id"]) for r in sent) == [
        ("hook", "acme"), ("hook", "globex"), ("noc", "acme"), ("noc", "globex")]
    assert [(r["status"], r["http_status"]) for r in tries] == [("delivered", 200)] * 2


def test_webhook_down_60s_then_every_notification_once(pipeline, notify_env, tmp_path) -> None:
    """The target refuses connections for 60 s while 30 incidents happen, and the worker is
    restarted in the middle of its retries; after recovery each is delivered exactly once."""
    target, env, _client, _prefix = notify_env
    (tmp_path / "notify.yaml").write_text(ROUTES.format(url=target.url, fmt="json"))
    port = target.port
    worker = pipeline.start_worker(**env)
    pipeline.produce([incident("acme", "warmup", time.time())])
    _wait(lambda: len(target.received) == 1, 60, "the warm-up notification", worker)

    target.stop()
    down_at = time.monotonic()
    ids = [f"inc-{i}" for i in range(30)]
    pipeline.produce([incident("acme" if i % 2 else "globex", iid, time.time())
                      for i, iid in enumerate(ids[:15])])
    time.sleep(15)
    assert worker.stop(timeout_s=30) == 0  # mid-retry: its batch stays uncommitted
    worker = pipeline.start_worker(**env)
    pipeline.produce([incident("acme" if i % 2 else "globex", iid, time.time())
                      for i, iid in enumerate(ids[15:])])
    time.sleep(max(0.0, 60 - (time.monotonic() - down_at)))
    target.port = port
    target.start()
    _wait(lambda: len(target.keys()) >= 31, 90, "31 deliveries after recovery", worker)
    time.sleep(3)  # a duplicate would arrive now
    keys = target.keys()
    assert len(keys) == 31 and set(keys.values()) == {1}, keys
    got = {r.json()["incidents"][0]["incident_id"] for r in target.received}
    assert got == set(ids) | {"warmup"}
    pipeline.wait_caught_up(worker)
    assert worker.stop() == 0
    sink = pipeline.clickhouse()
    try:
        rows = sink.query("SELECT status, count() AS n FROM aiops.notification_attempts FINAL "
                          "WHERE receiver = 'hook' GROUP BY status")
    finally:
        sink.close()
    by = {r["status"]: r["n"] for r in rows}
    assert by.get("delivered") == 31 and by.get("retry", 0) > 0 and "failed" not in by


def test_redis_receiver_appends_each_key_once(redis_url) -> None:
    from connectors.redis_feed.receiver import RedisReceiver
    from schemas.notify import Notification

    prefix = f"it-{uuid.uuid4().hex[:8]}:"
    client = redis.Redis.from_url(redis_url)
    recv = RedisReceiver(client, prefix=prefix, max_len=100, dedup_ttl_s=60)
    t = _iso(time.time())
    n = Notification.model_validate({
        "notification_id": "n1", "dedup_key": "acme/noc/g/1", "receiver": "noc",
        "receiver_type": "redis", "route": "root", "group_key": "root:{}", "status": "firing",
        "reason": "new", "severity": "critical", "title": "x", "sequence": 1,
        "created_at": t, "source_time": t,
        "incidents": [{"incident_id": "i1", "version": 1, "state": "open", "title": "x",
                       "severity": "critical", "first_seen": t, "last_seen": t}]})
    pubsub = client.pubsub()
    pubsub.subscribe(feed.channel("acme", prefix))
    try:
        assert pubsub.get_message(timeout=2)["type"] == "subscribe"
        for attempt in (1, 2, 3):  # handed over three times (re-reads after crashes)
            assert recv.attempt(n, "acme", attempt).ok
        assert client.xlen(feed.stream_key("acme", prefix)) == 1
        [(_id, got)] = feed.read_tail(client, "acme", prefix=prefix)
        assert got == n
        msg = pubsub.get_message(timeout=2)
        assert msg["type"] == "message" and feed.decode(msg["data"]) == n
        assert pubsub.get_message(timeout=0.5) is None  # published once
        assert not client.exists(feed.stream_key("globex", prefix))
        for i in range(300):  # the stream stays capped (approximately)
            recv.attempt(n.model_copy(update={"dedup_key": f"k{i}"}), "acme", 1)
        assert client.xlen(feed.stream_key("acme", prefix)) < 250
    finally:
        pubsub.close()
        for key in client.scan_iter(match=prefix + "*"):
            client.delete(key)
        client.close()


def test_silence_made_at_run_time_mutes_then_releases(pipeline, notify_env, tmp_path,
                                                      monkeypatch) -> None:
    from click.testing import CliRunner

    from pipelines.cli import main

    target, env, client, prefix = notify_env
    (tmp_path / "notify.yaml").write_text(ROUTES.format(url=target.url, fmt="json"))
    for k, v in pipeline.env().items():
        monkeypatch.setenv(k, v)
    cli = CliRunner()
    made = cli.invoke(main, ["silence", "add", "-t", "acme", "-m", 'site="par1"',
                             "--duration", "1h", "--author", "jane", "--comment", "UPS work"])
    assert made.exit_code == 0, made.output
    sid = made.output.strip()
    listed = cli.invoke(main, ["silence", "list", "-t", "acme", "--json"])
    assert sid in listed.output and "UPS work" in listed.output
    worker = pipeline.start_worker(**env)
    pipeline.produce([incident("acme", "muted", time.time()),
                      incident("globex", "other-tenant", time.time())])
    _wait(lambda: len(target.received) >= 1, 60, "globex's notification", worker)
    time.sleep(3)
    ids = {r.json()["incidents"][0]["incident_id"] for r in target.received}
    assert ids == {"other-tenant"}  # acme's par1 incident is muted, globex's is not
    assert not client.exists(feed.stream_key("acme", prefix))
    gone = cli.invoke(main, ["silence", "expire", sid, "-t", "acme"])
    assert gone.exit_code == 0 and "expired" in gone.output
    _wait(lambda: len(target.received) >= 2, 30, "the notification after the silence",
          worker)
    assert {r.json()["incidents"][0]["incident_id"] for r in target.received} == {
        "other-tenant", "muted"}
    assert worker.stop() == 0


def test_kafka_receiver_reads_its_own_notifications(pipeline, notify_env, tmp_path,
                                                    monkeypatch) -> None:
    import threading

    from click.testing import CliRunner

    from connectors.kafka_receiver.reader import follow
    from pipelines.cli import main

    target, env, _client, _prefix = notify_env
    # acme's incidents also go to the Kafka receiver "bus"; everything to noc and hook
    routes = ROUTES.format(url=target.url, fmt="json").replace(
        "  - name: hook\n", "  - name: bus\n    type: kafka\n  - name: hook\n").replace(
        "    - receiver: hook\n", "    - receiver: bus\n      matchers: ['tenant=\"acme\"']\n"
        "      continue: true\n    - receiver: hook\n")
    (tmp_path / "notify.yaml").write_text(routes)
    worker = pipeline.start_worker(**env)
    pipeline.produce([incident("acme", "for-bus", time.time()),
                      incident("globex", "not-for-bus", time.time())])
    stop = threading.Event()
    timer = threading.Timer(30, stop.set)
    timer.start()
    got = []
    group = f"{pipeline.group}-bus-reader"
    try:
        for ev in follow(pipeline.bootstrap, pipeline.prefix + "aiops.notifications", "bus",
                         group, stop=stop):
            got.append(ev)
            stop.set()
    finally:
        stop.set()
        timer.cancel()
        timer.join()
    assert [(e.tenant_id, e.data.receiver, e.data.incidents[0].incident_id) for e in got] == [
        ("acme", "bus", "for-bus")]
    _wait(lambda: len(target.received) >= 2, 30, "both webhook requests", worker)
    for k, v in pipeline.env().items():
        monkeypatch.setenv(k, v)
    out = CliRunner().invoke(main, ["notify", "tail", "bus", "--json", "--for", "4",
                                    "--group", f"{pipeline.group}-tail"])
    assert out.exit_code == 0, out.output
    lines = [orjson.loads(x) for x in out.output.splitlines() if x.startswith("{")]
    assert [(x["tenant_id"], x["incidents"][0]["incident_id"]) for x in lines] == [
        ("acme", "for-bus")]
    assert worker.stop() == 0
    delete_groups(pipeline.bootstrap, [group, f"{pipeline.group}-tail"])


def test_a_refusing_webhook_is_not_retried_and_goes_to_the_dlq(pipeline, notify_env,
                                                               tmp_path) -> None:
    from confluent_kafka import Consumer, TopicPartition

    target, env, _client, _prefix = notify_env
    (tmp_path / "notify.yaml").write_text(ROUTES.format(url=target.url, fmt="slack"))
    target.fail_with = 404  # e.g. a webhook URL that was deleted
    worker = pipeline.start_worker(**env)
    pipeline.produce([incident("acme", "refused", time.time())])
    _wait(lambda: target.refused >= 1, 60, "the refused request", worker)
    time.sleep(2)
    assert target.refused == 1  # 4xx: one attempt, no retry
    c = Consumer({"bootstrap.servers": pipeline.bootstrap, "group.id": f"{pipeline.group}-dlq",
                  "enable.auto.commit": False})
    try:
        c.assign([TopicPartition(pipeline.prefix + "aiops.dlq", 0, 0)])
        msgs = [m for m in c.consume(10, timeout=10) if m.error() is None]
    finally:
        c.close()
    [m] = msgs
    headers = dict(m.headers())
    assert headers["reason_code"] == b"notification_undeliverable"
    assert b"HTTP 404" in headers["error"] and headers["receiver"] == b"hook"
    assert orjson.loads(m.value())["data"]["incidents"][0]["incident_id"] == "refused"
    pipeline.wait_caught_up(worker)
    assert worker.stop() == 0
    sink = pipeline.clickhouse()
    try:
        rows = sink.query("SELECT status, http_status, error FROM aiops.notification_attempts "
                          "FINAL WHERE receiver = 'hook'")
    finally:
        sink.close()
    assert [(r["status"], r["http_status"]) for r in rows] == [("failed", 404)]
    assert "404" in rows[0]["error"]
