"""Named queries: the questions analysts ask every week, answered from the rollups.

Each is a SQL template over *families* of rows (``{alerts}``, ``{metrics}``, ...): at run time
each family becomes the UNION of the rollup levels and raw rows that cover the range
(``schemas.rollup_plan``), so one text answers "the last hour" and "the last year" alike, the
year at the cost of a few thousand daily rows. ``{incidents:all}`` is a family over all time.
A name that is no rollup family is a table, read as it is (``FINAL``, each event once) over the
range of its ``ts``: ``{help_sessions}``, one row per help session, has no rollup.

The tenant filter a tenant's credentials imply is not added here: the SQL endpoint (embedded) or
row policies (server) enforce it on every table read. ``tenant`` is an admin's convenience
filter, put into every subquery so the tables' sort keys (tenant first) use it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from schemas.clickhouse import sql_string
from schemas.rollup_plan import Segment, literal, plan, source_sql
from schemas.rollups import ROLLUPS


@dataclass(frozen=True, slots=True)
class NamedQuery:
    name: str
    description: str
    sql: str


_INCIDENTS = """(SELECT *, toUnixTimestamp64Milli(resolved_at) > 0 AS resolved,
        dateDiff('second', first_seen, resolved_at) AS ttr_s
    FROM {incidents} WHERE merged_into = '')"""

NAMED_QUERIES: dict[str, NamedQuery] = {q.name: q for q in (
    NamedQuery("noisiest-alertnames", "Alert names by notifications received, with the "
               "distinct alerts (fingerprints) behind them", """
SELECT tenant_id, alertname, uniqMerge(notifications) AS notifications,
       uniqMerge(firing) AS firing, uniqMerge(fingerprints) AS alerts,
       arraySort(groupUniqArray(service)) AS services, arraySort(groupUniqArray(site)) AS sites
FROM {alerts}
GROUP BY tenant_id, alertname
ORDER BY notifications DESC, tenant_id, alertname
LIMIT {limit}"""),
    NamedQuery("compression", "Compression per tenant and day (as the alert_noise view): "
               "1 - incidents / notifications, and 1 - incidents / distinct alerts", """
SELECT tenant_id, toDate(ts) AS day, uniqMerge(notifications) AS notifications,
       uniqMerge(fingerprints) AS alerts,
       uniqExactIf(incident_id, incident_id != '' AND incident_id NOT IN (
           SELECT incident_id FROM {incidents:all} WHERE merged_into != '')) AS incidents,
       round(1 - incidents / notifications, 4) AS notification_compression,
       round(1 - incidents / alerts, 4) AS fingerprint_compression
FROM {alert_assignments}
GROUP BY tenant_id, day
ORDER BY tenant_id, day"""),
    NamedQuery("mttr", "Incidents that started in the range per tenant and service: mean time "
               "to acknowledge (first alert to incident opened) and to resolve", f"""
SELECT tenant_id, service, count() AS incidents, countIf(resolved) AS resolved_incidents,
       round(avg(dateDiff('second', first_seen, opened_at))) AS mtta_s,
       round(avgIf(ttr_s, resolved)) AS mttr_s,
       round(quantileExactIf(0.9)(ttr_s, resolved)) AS p90_ttr_s
FROM {_INCIDENTS}
ARRAY JOIN if(empty(services), [''], services) AS service
GROUP BY tenant_id, service
ORDER BY tenant_id, service"""),
    NamedQuery("incidents-by-site", "Incidents that started in the range per tenant and site: "
               "how many, still open, critical, their alerts and time to resolve", f"""
SELECT tenant_id, site, count() AS incidents, countIf(NOT resolved) AS open,
       countIf(critical = 1) AS critical, sum(alert_count) AS alerts,
       round(avgIf(ttr_s, resolved)) AS mttr_s
FROM {_INCIDENTS}
ARRAY JOIN if(empty(sites), [''], sites) AS site
GROUP BY tenant_id, site
ORDER BY incidents DESC, tenant_id, site
LIMIT {{limit}}"""),
    NamedQuery("anomalies-per-series", "Series by anomalous samples, with the highest score",
               """
SELECT tenant_id, series_id, any(name) AS metric, any(host) AS host_name,
       uniqMerge(anomalous) AS anomalous, sum(verdicts) AS scored, max(max_score) AS top_score
FROM {anomalies}
GROUP BY tenant_id, series_id
HAVING anomalous > 0
ORDER BY anomalous DESC, top_score DESC, tenant_id, series_id
LIMIT {limit}"""),
    NamedQuery("article-votes", "Help-center articles by reading sessions: views, votes, the "
               "helpful share of votes, and the share of reading sessions that voted it helpful "
               "(real deflection, with tickets, is `deflection`)", """
SELECT tenant_id, article_id, sum(views) AS article_views, sum(sessions) AS reading_sessions,
       sum(upvotes) AS up, sum(downvotes) AS down,
       round(up / nullIf(up + down, 0), 3) AS helpful_share,
       round(up / nullIf(reading_sessions, 0), 3) AS helpful_vote_rate
FROM {help_activity}
GROUP BY tenant_id, article_id
ORDER BY reading_sessions DESC, tenant_id, article_id
LIMIT {limit}"""),
    NamedQuery("content-gaps", "Help-center searches that found nothing, by query text: "
               "articles to write (from the rollups, over any range; which of them ended in a "
               "ticket: `gaps-ending-in-tickets`)", """
SELECT tenant_id, query, uniqMerge(no_result) AS searches_without_result,
       uniqMerge(searches) AS all_searches,
       round(searches_without_result / all_searches, 3) AS share_without_result
FROM {help_searches}
GROUP BY tenant_id, query
HAVING searches_without_result > 0
ORDER BY searches_without_result DESC, tenant_id, query
LIMIT {limit}"""),
    NamedQuery("deflection", "Help sessions per site and article read (article '' "
               "for the site as a whole): how many were deflected, failed (the same user "
               "opened a ticket within the deflection window) or unknown (no user id), and "
               "the deflection rate, deflected / (deflected + failed)", """
SELECT tenant_id, site, article, count() AS sessions,
       countIf(outcome = 'deflected') AS deflected, countIf(outcome = 'failed') AS failed,
       countIf(outcome = 'unknown') AS unknown,
       round(deflected / nullIf(deflected + failed, 0), 3) AS deflection_rate,
       arraySlice(arraySort(groupUniqArrayIf(ticket_id, outcome = 'failed')), 1, 5) AS tickets
FROM {help_sessions}
ARRAY JOIN arrayConcat([''], articles) AS article
GROUP BY tenant_id, site, article
ORDER BY tenant_id, site, article = '' DESC, sessions DESC, article
LIMIT {limit}"""),
    NamedQuery("gaps-ending-in-tickets", "Normalised searches and chat questions of help "
               "sessions that found nothing or ended in a ticket: what the help center does "
               "not answer", """
SELECT tenant_id, query, count() AS sessions,
       countIf(has(zero_result_queries, query)) AS without_result,
       countIf(outcome = 'failed') AS ended_in_ticket,
       round(ended_in_ticket / nullIf(countIf(outcome != 'unknown'), 0), 3) AS ticket_share,
       arraySort(groupUniqArray(site)) AS sites,
       arraySlice(arraySort(groupUniqArrayIf(ticket_id, outcome = 'failed')), 1, 5) AS tickets
FROM {help_sessions}
ARRAY JOIN arrayDistinct(queries) AS query
GROUP BY tenant_id, query
HAVING without_result > 0 OR ended_in_ticket > 0
ORDER BY without_result + ended_in_ticket DESC, tenant_id, query
LIMIT {limit}"""),
    NamedQuery("helpful-share-drop", "Articles by how far their helpful share of votes fell: "
               "the newest day of the range against the days before it (both with votes); "
               "the biggest falls first", """
SELECT tenant_id, article_id,
       sumIf(upvotes, recent) AS recent_up, sumIf(downvotes, recent) AS recent_down,
       sumIf(upvotes, NOT recent) AS baseline_up, sumIf(downvotes, NOT recent) AS baseline_down,
       round(recent_up / (recent_up + recent_down), 3) AS recent_helpful_share,
       round(baseline_up / (baseline_up + baseline_down), 3) AS baseline_helpful_share,
       round(recent_helpful_share - baseline_helpful_share, 3) AS change
FROM (SELECT *, ts = max(ts) OVER (PARTITION BY tenant_id) AS recent FROM {help_activity})
GROUP BY tenant_id, article_id
HAVING recent_up + recent_down > 0 AND baseline_up + baseline_down > 0
ORDER BY change, tenant_id, article_id
LIMIT {limit}"""),
    NamedQuery("metric-summary", "Per series: samples, min, mean, max and p50/p95/p99", """
SELECT tenant_id, name, site, service, host, any(unit) AS unit_, sum(samples) AS n,
       min(min_value) AS min_, sum(sum_value) / n AS mean, max(max_value) AS max_,
       quantilesTDigestMerge(0.5, 0.95, 0.99)(digest) AS p50_p95_p99
FROM {metrics}
GROUP BY tenant_id, name, site, service, host
ORDER BY tenant_id, name, site, service, host
LIMIT {limit}"""),
)}

_FIELD = re.compile(r"\{(\w+)(?::(all))?\}")


@dataclass(frozen=True, slots=True)
class Rendered:
    sql: str
    segments: dict[str, list[Segment]]


def render(query: NamedQuery, *, database: str, since: int, until: int, now: int,
           ttl_days: Mapping[str, int], tenant: str | None = None, limit: int = 20,
           rollups: bool = True) -> Rendered:
    """The SQL of a named query over ``[since, until)`` (unix seconds)."""
    segments: dict[str, list[Segment]] = {}

    def field(m: re.Match) -> str:
        name, whole = m.group(1), m.group(2)
        if name == "limit":
            return str(int(limit))
        lo, hi = (0, 2**32) if whole else (since, until)
        family = {"incidents": "incident_summary"}.get(name, name)
        if family not in ROLLUPS:  # a table with no rollup: its own rows over the range
            if not whole:
                segments[name] = [Segment("raw", lo, hi)]
            return raw_table_sql(name, database, lo, hi, tenant)
        rollup = ROLLUPS[family]
        segs = plan(rollup, lo, hi, now, ttl_days, rollups)
        if not whole:
            segments[name] = segs
        return source_sql(rollup, database, segs, tenant)

    return Rendered(_FIELD.sub(field, query.sql.strip()), segments)


def raw_table_sql(table: str, database: str, since: int, until: int,
                  tenant: str | None = None) -> str:
    """A table's rows over ``[since, until)`` of ``ts``, each event once (``FINAL``), for
    tables that have no rollup family (``help_sessions``, say): their rows are few."""
    if table not in _raw_tables():
        raise KeyError(f"{{{table}}} is neither a rollup family nor a table")
    ten = f" AND tenant_id = {sql_string(tenant)}" if tenant is not None else ""
    return (f"(SELECT * FROM {database}.{table} FINAL WHERE ts >= {literal(since)} "
            f"AND ts < {literal(until)}{ten})")


def _raw_tables() -> set[str]:
    from schemas.clickhouse import TABLES
    from schemas.insight_tables import TABLES as INSIGHT_TABLES

    return set(TABLES) | {t.name for t in INSIGHT_TABLES}


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}


def parse_time(text: str, now: int) -> int:
    """``24h``, ``30d``, ``1y`` (that long before now), an ISO date or time, or unix seconds."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([smhdwy])", text.strip())
    if m:
        return now - int(float(m.group(1)) * _UNITS[m.group(2)])
    if re.fullmatch(r"\d{9,}", text.strip()):
        return int(text)
    try:
        t = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r}: use a duration (90m, 24h, 30d, 1y), an ISO date or time "
                         "(2026-11-01, 2026-11-01T08:00Z) or unix seconds") from None
    return int((t if t.tzinfo else t.replace(tzinfo=UTC)).timestamp())


def describe_plan(segments: Mapping[str, list[Segment]]) -> str:
    """One line per family: which table answers which part of the range."""
    def fmt(t: int) -> str:
        return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S")
    return "\n".join(
        f"-- {name}: " + ", ".join(f"{s.level} [{fmt(s.start)}, {fmt(s.end)})" for s in segs)
        for name, segs in segments.items())


def command_sql(text: str, settings, *, since: str | None, until: str | None,
                tenant: str | None, limit: int, rollups: bool, show: bool) -> tuple[str, str]:
    """(SQL to run, plan) for `aiops query TEXT`: a named query's, or TEXT itself as SQL."""
    name = text.strip()
    if name in NAMED_QUERIES:
        return named_sql(NAMED_QUERIES[name], settings, since or "24h", until, tenant, limit,
                         rollups)
    if tenant or since or until or not rollups or show:
        raise ValueError(f"{text!r} is not a named query (aiops query --list); --tenant, "
                         "--since, --until, --no-rollups and --show-sql apply to named queries")
    if re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)+", name):
        raise ValueError(f"no named query {name!r}; there are: {', '.join(NAMED_QUERIES)}")
    return text, ""


def named_sql(query: NamedQuery, settings, since: str, until: str | None, tenant: str | None,
              limit: int, rollups: bool, now: int | None = None) -> tuple[str, str]:
    """(SQL, plan description) for the command line; ``settings``: ClickHouseSettings."""
    import time

    now = int(time.time()) if now is None else now
    lo, hi = parse_time(since, now), parse_time(until, now) if until else now
    if lo >= hi:
        raise ValueError(f"--since {since} is not before --until {until or 'now'}")
    r = render(query, database=settings.database, since=lo, until=hi, now=now,
               ttl_days=settings.ttl_days, tenant=tenant, limit=limit,
               rollups=rollups and settings.rollups)
    return r.sql, describe_plan(r.segments)
