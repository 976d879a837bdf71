"""ClickHouse tables (one DDL for embedded chdb and for a server) and event -> row mappers.

Which event type goes to which table, through which mapper, is said once, in the event
registry (``schemas.registry``).

Every table is a ReplacingMergeTree whose sorting key ends in the event id (or, for the DLQ,
the Kafka coordinates), so a re-delivered event collapses into one row. Read with ``FINAL``
(or through the ``*_v`` views, which add it) to see each event once even before merges.

Every column carries a COMMENT (``col``): docs/tables.md is generated from them
(``python -m pipelines.docgen``), so the docs cannot drift from the DDL. Rollups over these
tables: ``schemas/rollups.py``.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import datetime

from schemas.derived import AlertAssignmentEvent, AnomalyEvent, IncidentEvent
from schemas.events import AlertEvent, HelpInteractionEvent, MetricSampleEvent, TicketEventEvent

DEFAULT_DATABASE = "aiops"

TS = "DateTime64(3, 'UTC')"
LC = "LowCardinality(String)"
ATTRS = "Map(LowCardinality(String), String)"


def sql_string(value: str) -> str:
    """A ClickHouse string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def col(name: str, type_: str, comment: str) -> str:
    """One column definition with its COMMENT: docs/tables.md is generated from these."""
    return f"{name} {type_} COMMENT {sql_string(comment)}"


def cols(*defs: str) -> str:
    return ", ".join(defs)


def _head(ts: str) -> str:
    return cols(col("id", "String", "CloudEvents id of the event: the deduplication key"),
                col("tenant_id", LC, "Tenant, stamped by the ingest side from credentials"),
                col("ts", TS, f"{ts}; the partition key"))


_TAIL = cols(
    col("source", LC, "CloudEvents source"),
    col("event_time", TS, "CloudEvents time: when the event was emitted"),
    col("ingested_at", f"{TS} DEFAULT now64(3)",
        "When the row was inserted: the ReplacingMergeTree version, and where the TTL counts "
        "from"))
_RESOURCE = cols(col("site", LC, "Site (our own resource attribute)"),
                 col("service", LC, "service.name"), col("host", LC, "host.name"))


@dataclass(frozen=True, slots=True)
class ColumnDef:
    name: str
    type: str
    default: str
    comment: str


def column_defs(columns: str) -> list[ColumnDef]:
    """The column list of a DDL split back into columns (commas inside types, defaults and
    quoted comments are not separators)."""
    parts, depth, quoted, cur = [], 0, False, []
    i = 0
    while i < len(columns):
        ch = columns[i]
        if quoted and ch == "\\":
            cur.append(columns[i:i + 2])
            i += 2
            continue
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch in "([":
            depth += 1
        elif not quoted and ch in ")]":
            depth -= 1
        if ch == "," and depth == 0 and not quoted:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
        i += 1
    parts.append("".join(cur).strip())
    out = []
    for part in filter(None, parts):
        m = re.fullmatch(r"(\w+)\s+(.*?)(?:\s+DEFAULT\s+(.*?))?"
                         r"(?:\s+COMMENT\s+'((?:[^'\\]|\\.)*)')?", part, re.S)
        if m is None:
            raise ValueError(f"cannot read the column definition {part!r}")
        comment = re.sub(r"\\(.)", r"\1", m.group(4) or "")
        out.append(ColumnDef(m.group(1), m.group(2), m.group(3) or "", comment))
    return out


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
            f"{self.ttl_clause()} COMMENT {sql_string(self.comment)}",
            f"CREATE VIEW IF NOT EXISTS {database}.{self.name}_v AS "
            f"SELECT * FROM {database}.{self.name} FINAL",
        ]

    def ttl_clause(self) -> str:
        return f"TTL toDateTime({self.version_column}) + INTERVAL {self.ttl_days} DAY"

    def column_defs(self) -> list[ColumnDef]:
        return column_defs(self.columns)


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "metrics",
            cols(_head("Sample time"), col("name", LC, "Metric name, e.g. system.cpu.utilization"),
                 col("value", "Float64", "Sample value"), col("unit", LC, "UCUM unit"),
                 _RESOURCE,
                 col("resource", ATTRS, "Every resource attribute under its OpenTelemetry name"),
                 _TAIL),
            "tenant_id, name, site, host, ts, id",
            7,
            "Raw metric samples, one row per event id",
        ),
        Table(
            "alerts",
            cols(_head("Alert startsAt"), col("status", LC, "firing or resolved"),
                 col("fingerprint", "String", "Alertmanager fingerprint: one alert's identity"),
                 col("alertname", LC, "alertname label"), col("severity", LC, "severity label"),
                 col("site", LC, "site label"), col("service", LC, "service (or job) label"),
                 col("host", LC, "host (or instance) label"), col("labels", ATTRS, "All labels"),
                 col("annotations", ATTRS, "All annotations"),
                 col("ends_at", f"Nullable({TS})", "endsAt, when the alert says it ended"),
                 col("generator_url", "String", "generatorURL"), _TAIL),
            "tenant_id, alertname, fingerprint, ts, id",
            90,
            "Alert notifications as received (Alertmanager v4 fields), one row per event id",
        ),
        Table(
            "ticket_events",
            cols(_head("When the ticket event happened"), col("ticket_id", "String", "Ticket id"),
                 col("action", LC, "created, commented, status_changed or closed"),
                 col("subject", "String", "Subject"), col("text", "String", "Body or comment"),
                 col("priority", LC, "Priority"), col("status", LC, "Status after the event"),
                 col("requester", "String", "Who asked"), col("site", LC, "Site it is about"),
                 col("service", LC, "Service it is about"),
                 col("channel", LC, "email, chat, phone, ..."), _TAIL),
            "tenant_id, ticket_id, ts, id",
            365,
            "Help-desk ticket events, one row per event id",
        ),
        Table(
            "help_interactions",
            cols(_head("Interaction time"),
                 col("kind", LC, "article_view, vote, search or chat_question"),
                 col("session_id", "String", "Help-center session"),
                 col("user_id", "String", "User, if known"),
                 col("article_id", "String", "Article read or voted on"),
                 col("vote", LC, "up or down (votes only)"),
                 col("query", "String", "Search or chatbot text"),
                 col("result_count", "Nullable(UInt32)", "Results a search found (searches only)"),
                 col("site", LC, "Site"), col("service", LC, "Service"), _TAIL),
            "tenant_id, kind, ts, id",
            180,
            "Help-center interactions, one row per event id",
        ),
        Table(
            "help_activity",
            cols(_head("Window start"), col("article_id", "String", "Article"),
                 col("window_s", "UInt32", "Window length in seconds"),
                 col("views", "UInt32", "Article views in the window"),
                 col("upvotes", "UInt32", "Up votes"), col("downvotes", "UInt32", "Down votes"),
                 col("sessions", "UInt32", "Distinct sessions (they never span partitions)"),
                 col("partition", "Int16", "Input partition the row counts"), _TAIL),
            "tenant_id, article_id, ts, id",
            180,
            "Help-center views, votes and sessions per article per window, one row per "
            "window and input partition (sum them)",
        ),
        Table(
            "anomalies",
            cols(_head("Sample time"),
                 col("series_id", "String", "Series: tenant, metric name, resource attributes"),
                 col("name", LC, "Metric name"), col("value", "Float64", "Sample value"),
                 col("score", "Float32", "Anomaly score, 0..1"),
                 col("expected", "Nullable(Float64)", "Expected value, if the detector has one"),
                 col("lower", "Nullable(Float64)", "Lower edge of the normal band"),
                 col("upper", "Nullable(Float64)", "Upper edge of the normal band"),
                 col("detector", LC, "Detector name"),
                 col("is_anomaly", "Bool", "The detector's verdict"), _RESOURCE,
                 col("resource", ATTRS, "Every resource attribute"), _TAIL),
            "tenant_id, name, series_id, ts, id",
            30,
            "Detector verdicts on metric samples (anomalous ones, or all if configured)",
        ),
        Table(
            "incidents",
            cols(_head("last_seen of this version"), col("incident_id", "String", "Incident"),
                 col("version", "UInt32", "Version; the highest is current"),
                 col("state", LC, "open, updated or resolved"), col("title", "String", "Title"),
                 col("severity", LC, "Highest severity of the members"),
                 col("sites", f"Array({LC})", "Sites involved"),
                 col("services", f"Array({LC})", "Services involved"),
                 col("hosts", "Array(String)", "Hosts involved"),
                 col("first_seen", TS, "Earliest startsAt of its alerts"),
                 col("last_seen", TS, "Last activity of its alerts"),
                 col("alert_fingerprints", "Array(String)", "Member alerts"),
                 col("alert_count", "UInt32", "Number of member alerts"),
                 col("suppressed", "Bool", "Every member silenced or inhibited"),
                 col("merged_into", "Nullable(String)",
                     "Set on the last version of an incident folded into another"), _TAIL),
            "tenant_id, incident_id, version, id",
            365,
            "Incident versions; the highest version of an incident_id is current",
        ),
        Table(
            "alert_assignments",
            cols(_head("When the clustering stage handled the alert"),
                 col("alert_event_id", "String", "alerts.id of the notification"),
                 col("fingerprint", "String", "Alert fingerprint"),
                 col("kind", LC, "new, repeat, resolved, stale, refire, orphan or remark"),
                 col("status", LC, "firing or resolved"),
                 col("incident_id", "String", "Incident it joined (empty: none)"),
                 col("template_id", "String", "Mined text template"),
                 col("suppressed_by", f"Array({LC})", "silence:<name>, inhibit:<rule>"),
                 _TAIL),
            "tenant_id, incident_id, ts, id",
            90,
            "Which incident each alert notification joined (join alerts on alert_event_id)",
        ),
        Table(
            "dlq",
            cols(col("id", "String", "topic/partition/offset of the record"),
                 col("tenant_id", LC, "Tenant, when it could be read"),
                 col("ts", TS, "Kafka timestamp of the record; the partition key"),
                 col("source_topic", LC, "Topic the record came from"),
                 col("partition", "UInt32", "Its partition"), col("offset", "UInt64", "Its offset"),
                 col("reason_code", LC, "not_json, unknown_type, wrong_topic, missing_tenant, "
                     "schema or oversized"),
                 col("error", "String", "Message naming the bad field"),
                 col("raw_base64", "String", "The exact bytes, base64"),
                 col("raw_preview", "String", "First KiB as UTF-8"),
                 col("raw_size", "UInt32", "Size of the record in bytes"),
                 col("ingested_at", f"{TS} DEFAULT now64(3)",
                     "When the row was inserted: version and TTL start")),
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


head_columns = _head
"""``id``, ``tenant_id``, ``ts`` (described as given): the columns every table starts with."""
TAIL_COLUMNS = _TAIL
"""``source``, ``event_time``, ``ingested_at``: the columns every table ends with."""
