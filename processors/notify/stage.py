"""The ``notify`` stage: its settings, topics, tables and event types, and its registration.

Reads ``aiops.incidents`` (keyed by tenant, so a tenant's incidents meet), follows
``aiops.silences`` whole, and writes notifications to ``aiops.notifications``, where the
delivery loops (``pipelines/deliver.py``) pick them up per receiver.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from processors.protocol import Stage
from schemas.clickhouse import LC, TAIL_COLUMNS, TS, Table, ch_time, col, cols, envelope_columns
from schemas.clickhouse import head_columns as head
from schemas.notify import DeliveryAttemptEvent, NotificationEvent, SilenceEvent
from schemas.registry import EventType
from schemas.topics import DAY_MS, Topic

DEFAULT_ROUTES = Path(__file__).resolve().parents[2] / "config" / "notify.yaml"


class NotifySettings(BaseModel):
    routes_path: Path | None = Field(None, description="Receivers and routing tree (YAML; "
                                     "default: config/notify.yaml), validated at start")
    member_ttl_s: float = Field(3 * 86_400.0, gt=0, description="Forget an incident of a "
                                "notification group that was not updated this long")
    batch_max_events: int = Field(1_000, ge=1, le=100_000, description="Notify batch size")
    batch_max_wait_s: float = Field(0.05, gt=0, le=60, description="Notify batch wait: "
                                    "notifications wait at most this long (plus group_wait)")


def load_routing(path: Path | None = None):
    from config.alert_rules import load_yaml_model
    from schemas.routing import Routing

    return load_yaml_model(path or DEFAULT_ROUTES, Routing)


def _build(section: NotifySettings):
    from processors.notify.processor import NotifyProcessor

    return NotifyProcessor(load_routing(section.routes_path), member_ttl_s=section.member_ttl_s)


def notification_row(ev: NotificationEvent) -> dict:
    d = ev.data
    return {**envelope_columns(ev, d.created_at), "receiver": d.receiver,
            "receiver_type": d.receiver_type, "route": d.route, "group_key": d.group_key,
            "status": d.status, "reason": d.reason, "severity": d.severity, "title": d.title,
            "sequence": d.sequence, "dedup_key": d.dedup_key,
            "incident_ids": [b.incident_id for b in d.incidents],
            "source_time": ch_time(d.source_time)}


def attempt_row(ev: DeliveryAttemptEvent) -> dict:
    d = ev.data
    return {**envelope_columns(ev, d.timestamp), "notification_id": d.notification_id,
            "dedup_key": d.dedup_key, "receiver": d.receiver, "receiver_type": d.receiver_type,
            "attempt": d.attempt, "status": d.status, "http_status": d.http_status,
            "latency_ms": d.latency_ms, "delay_ms": d.delay_ms, "error": d.error}


def silence_row(ev: SilenceEvent) -> dict:
    d = ev.data
    return {**envelope_columns(ev, d.updated_at), "silence_id": d.silence_id,
            "matchers": [str(m) for m in d.matchers], "starts_at": ch_time(d.starts_at),
            "ends_at": ch_time(d.ends_at), "author": d.author, "comment": d.comment,
            "created_at": ch_time(d.created_at)}


TABLES = (
    Table("notifications",
          cols(head("When the notify stage emitted it"),
               col("receiver", LC, "Receiver name (config/notify.yaml)"),
               col("receiver_type", LC, "webhook, redis or kafka"),
               col("route", LC, "Path of the route that matched, e.g. root/1"),
               col("group_key", "String", "Route and group_by values of the group"),
               col("status", LC, "firing or resolved"),
               col("reason", LC, "new, changed, repeat or resolved"),
               col("severity", LC, "Worst severity of the incidents it reports"),
               col("title", "String", "Title"),
               col("sequence", "UInt32", "1 for a group's first notification, then 2, 3, ..."),
               col("dedup_key", "String", "Delivery identity: delivered at most once per key"),
               col("incident_ids", "Array(String)", "Incidents it reports"),
               col("source_time", TS, "Emit time of the newest incident version it reports"),
               TAIL_COLUMNS),
          "tenant_id, receiver, ts, id", 90,
          "Notifications the notify stage sent to its receivers, one row per notification"),
    Table("notification_attempts",
          cols(head("When the attempt ended"),
               col("notification_id", "String", "notifications.id"),
               col("dedup_key", "String", "notifications.dedup_key"),
               col("receiver", LC, "Receiver name"), col("receiver_type", LC, "webhook or redis"),
               col("attempt", "UInt16", "1 for the first attempt, then 2, 3, ..."),
               col("status", LC, "delivered, retry (another attempt follows), failed (gave "
                   "up: the notification is in the DLQ) or duplicate (delivered before)"),
               col("http_status", "Nullable(UInt16)", "Webhook answer's status, if any"),
               col("latency_ms", "Float64", "Duration of this attempt"),
               col("delay_ms", "Float64", "From notifications.source_time to this attempt's end"),
               col("error", "String", "Why it failed, empty when delivered"),
               TAIL_COLUMNS),
          "tenant_id, receiver, ts, id", 90,
          "Every attempt to deliver a notification to a webhook or Redis receiver"),
    Table("silences",
          cols(head("When this version of the silence was written"),
               col("silence_id", "String", "Silence id (aiops silence list)"),
               col("matchers", "Array(String)", "Matchers, all of which must fit"),
               col("starts_at", TS, "Start of the muting"),
               col("ends_at", TS, "End of the muting (moved to the expiry time when expired)"),
               col("author", "String", "Who made it"), col("comment", "String", "Why"),
               col("created_at", TS, "When it was first made"), TAIL_COLUMNS),
          "tenant_id, silence_id, ts, id", 400,
          "Silences made at run time (aiops silence add/expire), every version"),
)

_TIME = "2026-11-26T10:00:00Z"
_BRIEF = {"incident_id": "inc-1", "version": 1, "state": "open", "title": "HostDown on web-1",
          "severity": "critical", "sites": ["par1"], "first_seen": _TIME, "last_seen": _TIME}
_NOTIFICATION = {
    "specversion": "1.0", "id": "n1", "source": "aiops/notify", "type": "aiops.notification",
    "time": _TIME, "tenant_id": "acme",
    "data": {"notification_id": "n1", "dedup_key": "acme/noc/ab12/1", "receiver": "noc",
             "receiver_type": "redis", "route": "root/0", "group_key": 'root/0:{incident="inc-1"}',
             "group_labels": {"incident": "inc-1"}, "status": "firing", "reason": "new",
             "severity": "critical", "title": "[FIRING] HostDown on web-1",
             "incidents": [_BRIEF], "sequence": 1, "created_at": _TIME, "source_time": _TIME}}
_ATTEMPT = {
    "specversion": "1.0", "id": "n1/1", "source": "aiops/deliver",
    "type": "aiops.notification-attempt", "time": _TIME, "tenant_id": "acme",
    "data": {"notification_id": "n1", "dedup_key": "acme/hook/ab12/1", "receiver": "hook",
             "receiver_type": "webhook", "attempt": 1, "status": "retry", "http_status": 503,
             "latency_ms": 12.5, "delay_ms": 80.0, "error": "HTTP 503", "timestamp": _TIME}}
_SILENCE = {
    "specversion": "1.0", "id": "s1@2026-11-26T10:00:00Z", "source": "aiops/cli",
    "type": "aiops.silence", "time": _TIME, "tenant_id": "acme",
    "data": {"silence_id": "s1", "matchers": ['site="par1"'], "starts_at": _TIME,
             "ends_at": "2026-11-26T12:00:00Z", "author": "ops", "comment": "maintenance",
             "created_at": _TIME, "updated_at": _TIME}}

STAGE = Stage(
    "notify", inputs=("aiops.incident", "aiops.correlated-incident", "aiops.ticket-escalation"),
    outputs=("aiops.notification",), align_idle_s=0.0,  # wall-clock rhythm: no waiting
    build=_build, settings=NotifySettings, state_topic="aiops.notify-state",
    timer_interval_s=1.0, side_inputs=("aiops.silence",),
    description="route incidents to receivers: grouped, deduplicated, throttled, silenced",
    topics=(
        Topic("aiops.silences", "tenant_id/silence id", 1, 400 * DAY_MS,
              cleanup_policy="compact", role="derived",
              description="Silences made at run time (aiops silence); every worker reads it "
              "whole."),
        Topic("aiops.notify-state", "tenant|route|group labels", 2, 30 * DAY_MS,
              cleanup_policy="compact", role="state",
              description="Changelog of notification groups; each record goes to the "
              "partition of aiops.incidents its incidents came from."),
        Topic("aiops.notification-attempts", "tenant_id", 2, 30 * DAY_MS, role="derived",
              description="Every delivery attempt of a notification (written to "
              "ClickHouse)."),
    ),
    tables=TABLES,
    events=(
        EventType("aiops.notification", NotificationEvent, "aiops.notifications",
                  # one group's notifications in one partition, in order
                  lambda ev: ev.data.group_key, "notifications", notification_row,
                  example=_NOTIFICATION),
        EventType("aiops.notification-attempt", DeliveryAttemptEvent,
                  "aiops.notification-attempts", lambda ev: ev.tenant_id,
                  "notification_attempts", attempt_row, example=_ATTEMPT),
        EventType("aiops.silence", SilenceEvent, "aiops.silences",
                  lambda ev: f"{ev.tenant_id}/{ev.data.silence_id}", "silences", silence_row,
                  example=_SILENCE),
    ),
)
