"""Delivery: one loop per webhook or Redis receiver, from ``aiops.notifications`` to it.

Each receiver has its own consumer group (``<AIOPS_DELIVER_GROUP_ID>.<receiver>``), so a
webhook that is down holds back only its own notifications. Per batch:

1. Consume notifications; keep those addressed to this receiver.
2. Deliver them: groups in parallel (``AIOPS_DELIVER_MAX_PARALLEL``), each group's in order.
   A key already delivered (marker ``<prefix>delivered:<receiver>:<key>`` in Redis) is not
   sent again. Failures that may pass (5xx, timeouts, Redis errors) are retried with
   exponential backoff and jitter until the receiver's ``give_up_after``; others (4xx) and
   those given up go to ``aiops.dlq`` with the reason.
3. Produce every attempt (``aiops.notification-attempts``, stored in ClickHouse) and the dead
   letters, and wait for Kafka's acks.
4. Commit the offsets. A crash before this re-delivers the batch; the markers keep what was
   delivered from being sent twice (a webhook also gets ``X-AIOps-Dedup-Key`` for the window
   between its answer and the marker).

Kafka receivers need no loop: ``aiops.notifications`` is their delivery.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import orjson
import redis

from config.settings import Settings
from connectors.kafka_io import make_producer
from connectors.redis_feed.receiver import RedisReceiver, delivered_key
from connectors.webhook.sender import Outcome, WebhookSender, backoff_s
from pipelines.batch_loop import BatchLoop, produce_durably
from pipelines.metrics import WorkerMetrics
from processors.router import Record
from schemas.notify import DeliveryAttempt, DeliveryAttemptEvent, NotificationEvent
from schemas.registry import record_key
from schemas.routing import Receiver
from schemas.topics import DLQ_TOPIC
from schemas.validation import parse_event

log = logging.getLogger(__name__)
SOURCE = "aiops/deliver"


class _Stopping(Exception):
    """The worker is stopping while a delivery waits to retry: leave the batch uncommitted."""


def redis_client(settings: Settings) -> redis.Redis:
    r = settings.redis
    return redis.Redis.from_url(r.url.get_secret_value(), socket_timeout=r.socket_timeout_s,
                                socket_connect_timeout=r.socket_timeout_s)


class DeliverLoop(BatchLoop):
    def __init__(self, receiver: Receiver, settings: Settings, metrics: WorkerMetrics,
                 client: redis.Redis | None = None) -> None:
        cfg = settings.deliver
        prefix = settings.kafka.topic_prefix
        super().__init__(bootstrap=settings.kafka.bootstrap,
                         group_id=f"{cfg.group_id}.{receiver.name}",
                         # retries hold a batch up to give_up_after: stay in the group
                         max_poll_interval_s=receiver.retry.give_up_after
                         + 2 * receiver.timeout + 300,
                         topics=[prefix + "aiops.notifications"],
                         batch_max_events=cfg.batch_max_events,
                         batch_max_wait_s=cfg.batch_max_wait_s,
                         session_timeout_s=settings.ingest.session_timeout_s, metrics=metrics)
        self.name = f"deliver-{receiver.name}"
        self.receiver = receiver
        self.settings = settings
        self.key_prefix = settings.redis.key_prefix
        self.dedup_ttl_s = int(cfg.dedup_ttl_s)
        self.redis = client or redis_client(settings)
        self.sender: WebhookSender | RedisReceiver
        if receiver.type == "webhook":
            secret = None
            if receiver.secret_env:
                value = os.environ.get(receiver.secret_env)
                if not value:
                    raise ValueError(f"receiver {receiver.name!r}: its secret_env "
                                     f"{receiver.secret_env} is not set")
                secret = value.encode()
            self.sender = WebhookSender(receiver, secret)
        else:
            self.sender = RedisReceiver(self.redis, prefix=self.key_prefix,
                                        max_len=settings.redis.feed_max_len,
                                        dedup_ttl_s=self.dedup_ttl_s)
        self.attempts_topic = prefix + "aiops.notification-attempts"
        self.dlq_topic = prefix + DLQ_TOPIC
        self.producer = make_producer(settings.kafka.bootstrap)
        self.pool = ThreadPoolExecutor(cfg.max_parallel, thread_name_prefix=self.name)
        self.sleep: Callable[[float], bool] = self.stop_event.wait
        self._abandoned = False
        self.delivered = 0

    # -- one batch -----------------------------------------------------------------------------
    def process(self, records: list[Record]) -> None:
        mine: dict[str, list[tuple[Record, NotificationEvent]]] = {}
        for r in records:  # step 1
            ev = parse_event(r.value, allowed_types=("aiops.notification",))
            if isinstance(ev, NotificationEvent) and ev.data.receiver == self.receiver.name:
                mine.setdefault(ev.data.group_key, []).append((r, ev))
        if not mine:
            return
        lock = threading.Lock()
        attempts: list[DeliveryAttemptEvent] = []
        dead: list[tuple[Record, str]] = []

        first = time.monotonic()

        def run(items: list[tuple[Record, NotificationEvent]]) -> None:
            for r, ev in items:
                got, reason = self._deliver(ev, first)
                with lock:
                    attempts.extend(got)
                    if reason:
                        dead.append((r, reason))

        try:  # step 2
            for f in [self.pool.submit(run, items) for items in mine.values()]:
                f.result()
        except _Stopping:
            self._abandoned = True
        items = [(self.attempts_topic, record_key(a),
                  orjson.dumps(a.model_dump(mode="json")), None, None) for a in attempts]
        items += [(self.dlq_topic, r.key, r.value, None, [
            ("reason_code", b"notification_undeliverable"), ("error", reason.encode()),
            ("source_topic", r.topic.encode()), ("receiver", self.receiver.name.encode())])
            for r, reason in dead]
        produce_durably(self.producer, items, 30.0, "delivery attempts")  # step 3
        for r, reason in dead:
            log.error("%s: gave up on notification %s/%d/%d: %s", self.name, r.topic,
                      r.partition, r.offset, reason)

    def commit(self, records: list[Record]) -> None:  # step 4
        if self._abandoned:
            return  # stopping mid-retry: the next owner delivers what is left
        super().commit(records)

    def _deliver(self, ev: NotificationEvent, first: float
                 ) -> tuple[list[DeliveryAttemptEvent], str]:
        """Attempts for one notification, and the reason if it goes to the DLQ. ``first``:
        when the batch's first attempt began; ``give_up_after`` counts from it, so a batch
        never holds the loop much longer than that however many notifications wait."""
        n, tenant = ev.data, ev.tenant_id
        marker = delivered_key(self.key_prefix, self.receiver.name, n.dedup_key)
        out: list[DeliveryAttemptEvent] = []
        attempt = 0
        while True:
            if self._stopping():
                raise _Stopping
            attempt += 1
            try:
                seen = self.receiver.type == "webhook" and bool(self.redis.exists(marker))
            except redis.RedisError as exc:
                outcome = Outcome(False, True, None, f"Redis (delivered markers): {exc}", 0.0)
            else:
                if seen:
                    out.append(self._attempt(ev, attempt, "duplicate", Outcome(
                        True, False, None, "", 0.0)))
                    return out, ""
                outcome = self.sender.attempt(n, tenant, attempt)
                if outcome.ok and self.receiver.type == "webhook":
                    try:
                        self.redis.set(marker, b"1", ex=self.dedup_ttl_s)
                    except redis.RedisError as exc:  # delivered: the header covers a re-send
                        log.warning("%s: delivered %s but could not mark it: %s", self.name,
                                    n.dedup_key, exc)
            if outcome.ok:
                self.delivered += not outcome.duplicate
                out.append(self._attempt(ev, attempt, "duplicate" if outcome.duplicate
                                         else "delivered", outcome))
                return out, ""
            retry = self.receiver.retry
            elapsed = time.monotonic() - first
            if not outcome.retryable or elapsed >= retry.give_up_after:
                why = outcome.error if not outcome.retryable else (
                    f"gave up after {attempt} attempts in {elapsed:.0f} s: {outcome.error}")
                out.append(self._attempt(ev, attempt, "failed", outcome, why))
                return out, why
            out.append(self._attempt(ev, attempt, "retry", outcome))
            if attempt in (1, 5) or attempt % 20 == 0:
                log.warning("%s: attempt %d of %s failed (%s); retrying", self.name, attempt,
                            n.dedup_key, outcome.error)
            wait = min(backoff_s(attempt, retry), max(0.0, retry.give_up_after - elapsed))
            if self.sleep(wait):
                raise _Stopping

    def _stopping(self) -> bool:
        return self.stop_event.is_set()

    def _attempt(self, ev: NotificationEvent, attempt: int, status: str, o: Outcome,
                 error: str | None = None) -> DeliveryAttemptEvent:
        n = ev.data
        now = datetime.now(UTC)
        self.metrics.notify_attempts.labels(self.receiver.name, status).inc()
        delay = (now - n.source_time).total_seconds() * 1000
        return DeliveryAttemptEvent(
            id=f"{n.notification_id}/{self.receiver.name}/{attempt}", source=SOURCE,
            tenant_id=ev.tenant_id, time=now,
            data=DeliveryAttempt(notification_id=n.notification_id, dedup_key=n.dedup_key,
                                 receiver=self.receiver.name, receiver_type=n.receiver_type,
                                 attempt=attempt, status=status,  # type: ignore[arg-type]
                                 http_status=o.http_status, latency_ms=o.latency_ms,
                                 delay_ms=round(max(0.0, delay), 3),
                                 error=(error if error is not None else o.error)[:2000],
                                 timestamp=now))

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.sender.close()
        self.producer.flush(10)
        self.redis.close()


def drop_redis_keys(settings: Settings, prefix: str) -> int:
    """Delete every key under ``prefix`` (a throw-away run's feed and markers); returns how
    many went."""
    client = redis_client(settings)
    try:
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        for i in range(0, len(keys), 500):
            client.delete(*keys[i:i + 500])
        return len(keys)
    finally:
        client.close()


def delivery_loops(settings: Settings, metrics: WorkerMetrics) -> list[tuple[str, Callable]]:
    """(name, build) per receiver that needs a loop (webhook and Redis ones)."""
    from processors.notify.stage import load_routing

    routing = load_routing(_notify_routes(settings))
    return [(f"deliver-{r.name}", lambda r=r: DeliverLoop(r, settings, metrics))
            for r in routing.receivers if r.type in ("webhook", "redis")]


def delivery_groups(settings: Settings) -> list[str]:
    """The consumer groups of the delivery loops (to delete after a throw-away run)."""
    from processors.notify.stage import load_routing

    return [f"{settings.deliver.group_id}.{r.name}"
            for r in load_routing(_notify_routes(settings)).receivers
            if r.type in ("webhook", "redis")]


def _notify_routes(settings: Settings):
    from config.settings import section_of

    return section_of(settings, "notify").routes_path  # type: ignore[attr-defined]
