"""ClickHouse tables (one DDL for embedded chdb and for a server) and event -> row mappers.

Which event type goes to which table, through which mapper, is said once, in the event
registry (``schemas.registry``).

Every table is a ReplacingMergeTree whose sorting key ends in the event id (or, for the DLQ,
the Kafka coordinates), so a re-delivered event collapses into one row. Read with ``FINAL``
(or through the ``*_v`` views, which add it) to see each event once even before merges.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime

from schemas.derived import AlertAssignmentEvent, AnomalyEvent, IncidentEvent
from schemas.events import AlertEvent, HelpInteractionEvent, MetricSampleEvent, TicketEventEvent

DEFAULT_DATABASE = "aiops"

TS = "DateTime64(3, 'UTC')"
LC = "LowCardinality(String)"
ATTRS = "Map(LowCardinality(String), String)"
_COMMON_HEAD = f"id String, tenant_id {LC}, ts {TS}"
_COMMON_TAIL = f"source {LC}, event_time {TS}, ingested_at {TS} DEFAULT now64(3)"


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    columns: str
    order_by: str
    ttl_days: int
    comment: str
    version_column: str = "ingested_at"

    def ddl(self, database: str) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {database}.{self.name} ({self.columns}) "
            f"ENGINE = ReplacingMergeTree({self.version_column}) "
            f"PARTITION BY toDate(ts) ORDER BY ({self.order_by}) "
            # Retention counts from ingestion, not from the event's own time: a TTL on `ts`
            # would silently drop a backfill or replay of old data (NAB's are from 2014).
            f"TTL toDateTime(ingested_at) + INTERVAL {self.ttl_days} DAY "
            f"COMMENT '{self.comment}'",
            f"CREATE VIEW IF NOT EXISTS {database}.{self.name}_v AS "
            f"SELECT * FROM {database}.{self.name} FINAL",
        ]


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "metrics",
            f"{_COMMON_HEAD}, name {LC}, value Float64, unit {LC}, site {LC}, service {LC}, "
            f"host {LC}, resource {ATTRS}, {_COMMON_TAIL}",
            "tenant_id, name, site, host, ts, id",
            30,
            "Raw metric samples, one row per event id",
        ),
        Table(
            "alerts",
            f"{_COMMON_HEAD}, status {LC}, fingerprint String, alertname {LC}, severity {LC}, "
            f"site {LC}, service {LC}, host {LC}, labels {ATTRS}, annotations {ATTRS}, "
            f"ends_at Nullable({TS}), generator_url String, {_COMMON_TAIL}",
            "tenant_id, alertname, fingerprint, ts, id",
            90,
            "Alert notifications as received (Alertmanager v4 fields), one row per event id",
        ),
        Table(
            "ticket_events",
            f"{_COMMON_HEAD}, ticket_id String, action {LC}, subject String, text String, "
            f"priority {LC}, status {LC}, requester String, site {LC}, service {LC}, "
            f"channel {LC}, {_COMMON_TAIL}",
            "tenant_id, ticket_id, ts, id",
            365,
            "Help-desk ticket events, one row per event id",
        ),
        Table(
            "help_interactions",
            f"{_COMMON_HEAD}, kind {LC}, session_id String, user_id String, article_id String, "
            f"vote {LC}, query String, result_count Nullable(UInt32), site {LC}, service {LC}, "
            f"{_COMMON_TAIL}",
            "tenant_id, kind, ts, id",
            180,
            "Help-center interactions, one row per event id",
        ),
        Table(
            "help_activity",
            f"{_COMMON_HEAD}, article_id String, window_s UInt32, views UInt32, "
            f"upvotes UInt32, downvotes UInt32, sessions UInt32, partition Int16, "
            f"{_COMMON_TAIL}",
            "tenant_id, article_id, ts, id",
            180,
            "Help-center views, votes and sessions per article per window, one row per "
            "window and input partition (sum them)",
        ),
        Table(
            "anomalies",
            f"{_COMMON_HEAD}, series_id String, name {LC}, value Float64, score Float32, "
            f"expected Nullable(Float64), lower Nullable(Float64), upper Nullable(Float64), "
            f"detector {LC}, is_anomaly Bool, site {LC}, service {LC}, host {LC}, "
            f"resource {ATTRS}, {_COMMON_TAIL}",
            "tenant_id, name, series_id, ts, id",
            30,
            "Detector verdicts on metric samples (anomalous ones, or all if configured)",
        ),
        Table(
            "incidents",
            f"{_COMMON_HEAD}, incident_id String, version UInt32, state {LC}, title String, "
            f"severity {LC}, sites Array(LowCardinality(String)), "
            f"services Array(LowCardinality(String)), hosts Array(String), "
            f"first_seen {TS}, last_seen {TS}, alert_fingerprints Array(String), "
            f"alert_count UInt32, suppressed Bool, merged_into Nullable(String), {_COMMON_TAIL}",
            "tenant_id, incident_id, version, id",
            365,
            "Incident versions; the highest version of an incident_id is current",
        ),
        Table(
            "alert_assignments",
            f"{_COMMON_HEAD}, alert_event_id String, fingerprint String, kind {LC}, "
            f"status {LC}, incident_id String, template_id String, "
            f"suppressed_by Array(LowCardinality(String)), {_COMMON_TAIL}",
            "tenant_id, incident_id, ts, id",
            90,
            "Which incident each alert notification joined (join alerts on alert_event_id)",
        ),
        Table(
            "dlq",
            f"id String, tenant_id {LC}, ts {TS}, source_topic {LC}, partition UInt32, "
            f"offset UInt64, reason_code {LC}, error String, raw_base64 String, "
            f"raw_preview String, raw_size UInt32, ingested_at {TS} DEFAULT now64(3)",
            "source_topic, partition, offset",
            30,
            "Invalid input: one row per Kafka record (topic, partition, offset)",
        ),
    )
}



def register_table(table: Table) -> Table:
    """Add a stage's own table (the dict is extended in place); the same definition twice is
    a no-op."""
    existing = TABLES.get(table.name)
    if existing is not None and existing != table:
        raise ValueError(f"table {table.name!r} is already defined differently")
    TABLES[table.name] = table
    return table


def ch_time(value: datetime) -> float:
    """Unix seconds with millisecond precision: DateTime64(3) reads it as is, and it costs a
    tenth of formatting a date string (this runs twice per event on the ingest path)."""
    return round(value.timestamp(), 3)


def envelope_columns(ev, ts: datetime) -> dict:
    return {"id": ev.id, "tenant_id": ev.tenant_id, "ts": ch_time(ts), "source": ev.source,
            "event_time": ch_time(ev.time)}


def metric_row(ev: MetricSampleEvent) -> dict:
    d = ev.data
    r = d.resource
    return {**envelope_columns(ev, d.timestamp), "name": d.name, "value": d.value,
            "unit": d.unit,
            "site": r.site or "", "service": r.service_name or "", "host": r.host_name or "",
            "resource": r.attributes()}


def alert_row(ev: AlertEvent) -> dict:
    d = ev.data
    lab = d.labels
    return {**envelope_columns(ev, d.starts_at), "status": d.status, "fingerprint": d.fingerprint,
            "alertname": lab.get("alertname", ""), "severity": lab.get("severity", ""),
            "site": lab.get("site", ""), "service": lab.get("service", lab.get("job", "")),
            "host": lab.get("host", lab.get("instance", "")), "labels": lab,
            "annotations": d.annotations,
            "ends_at": ch_time(d.ends_at) if d.ends_at else None,
            "generator_url": d.generator_url}


def ticket_row(ev: TicketEventEvent) -> dict:
    d = ev.data
    return {**envelope_columns(ev, d.timestamp), "ticket_id": d.ticket_id, "action": d.action,
            "subject": d.subject, "text": d.text, "priority": d.priority or "",
            "status": d.status or "", "requester": d.requester or "", "site": d.site or "",
            "service": d.service or "", "channel": d.channel or ""}


def help_row(ev: HelpInteractionEvent) -> dict:
    d = ev.data
    return {**envelope_columns(ev, d.timestamp), "kind": d.kind, "session_id": d.session_id,
            "user_id": d.user_id or "", "article_id": d.article_id or "", "vote": d.vote or "",
            "query": d.query or "", "result_count": d.result_count, "site": d.site or "",
            "service": d.service or ""}


def anomaly_row(ev: AnomalyEvent) -> dict:
    d = ev.data
    r = d.resource
    return {**envelope_columns(ev, d.timestamp), "series_id": d.series_id, "name": d.name,
            "value": d.value, "score": d.score, "expected": d.expected, "lower": d.lower,
            "upper": d.upper, "detector": d.detector, "is_anomaly": d.is_anomaly,
            "site": r.site or "", "service": r.service_name or "", "host": r.host_name or "",
            "resource": r.attributes()}


def incident_row(ev: IncidentEvent) -> dict:
    d = ev.data
    return {**envelope_columns(ev, d.last_seen), "incident_id": d.incident_id, "version": d.version,
            "state": d.state, "title": d.title, "severity": d.severity, "sites": d.sites,
            "services": d.services, "hosts": d.hosts, "first_seen": ch_time(d.first_seen),
            "last_seen": ch_time(d.last_seen), "alert_fingerprints": d.alert_fingerprints,
            "alert_count": d.alert_count, "suppressed": d.suppressed,
            "merged_into": d.merged_into}


def assignment_row(ev: AlertAssignmentEvent) -> dict:
    d = ev.data
    return {**envelope_columns(ev, d.timestamp), "alert_event_id": d.alert_event_id,
            "fingerprint": d.fingerprint, "kind": d.kind, "status": d.status,
            "incident_id": d.incident_id or "", "template_id": d.template_id or "",
            "suppressed_by": d.suppressed_by}


def dlq_row(
    *, topic: str, partition: int, offset: int, timestamp_ms: int, raw: bytes | None,
    reason_code: str, error: str, tenant_id: str = "",
) -> dict:
    raw = raw or b""
    return {
        "id": f"{topic}/{partition}/{offset}", "tenant_id": tenant_id,
        "ts": max(timestamp_ms, 0) / 1000,
        "source_topic": topic, "partition": partition, "offset": offset,
        "reason_code": reason_code, "error": error,
        "raw_base64": base64.b64encode(raw).decode(),
        "raw_preview": raw[:1024].decode("utf-8", errors="replace"), "raw_size": len(raw),
    }


def extra_views(database: str) -> list[str]:
    """Views beyond the per-table ``*_v``: current incidents and alert noise per tenant."""
    return [
        f"CREATE VIEW IF NOT EXISTS {database}.incidents_current AS "
        f"SELECT * FROM {database}.incidents FINAL ORDER BY version DESC "
        "LIMIT 1 BY tenant_id, incident_id",
        # Compression as BigPanda/Moogsoft define it: 1 - incidents / notifications received
        # (repeats included), and the same over distinct fingerprints. An incident folded
        # into another is not counted: its alerts moved to the one it was folded into.
        f"CREATE VIEW IF NOT EXISTS {database}.alert_noise AS "
        "SELECT tenant_id, toDate(ts) AS day, count() AS notifications, "
        "uniqExact(fingerprint) AS fingerprints, "
        "uniqExactIf(incident_id, incident_id != '' AND incident_id NOT IN "
        f"(SELECT incident_id FROM {database}.incidents FINAL WHERE merged_into IS NOT NULL)) "
        "AS incidents, 1 - incidents / notifications AS notification_compression, "
        "1 - incidents / fingerprints AS fingerprint_compression "
        f"FROM {database}.alert_assignments FINAL WHERE kind != 'remark' "
        "GROUP BY tenant_id, day",
    ]
