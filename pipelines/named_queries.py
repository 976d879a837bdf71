"""Named queries: the questions analysts ask every week, answered from the rollups.

Each is a SQL template over *families* of rows (``{alerts}``, ``{metrics}``, ...): at run time
each family becomes the UNION of the rollup levels and raw rows that cover the range
(``schemas.rollup_plan``), so one text answers "the last hour" and "the last year" alike, the
year at the cost of a few thousand daily rows. ``{incidents:all}`` is a family over all time.

The tenant filter a tenant's credentials imply is not added here: the SQL endpoint (embedded) or
row policies (server) enforce it on every table read. ``tenant`` is an admin's convenience
filter, put into every subquery so the tables' sort keys (tenant first) use it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from schemas.rollup_plan import Segment, plan, source_sql
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
    NamedQuery("deflection", "Help-center articles by reading sessions: votes, the helpful "
               "share of votes, and the deflection rate (sessions that voted it helpful, the "
               "only sign an article answered the question)", """
SELECT tenant_id, article_id, sum(views) AS article_views, sum(sessions) AS reading_sessions,
       sum(upvotes) AS up, sum(downvotes) AS down,
       round(up / nullIf(up + down, 0), 3) AS helpful_share,
       round(up / nullIf(reading_sessions, 0), 3) AS deflection_rate
FROM {help_activity}
GROUP BY tenant_id, article_id
ORDER BY reading_sessions DESC, tenant_id, article_id
LIMIT {limit}"""),
    NamedQuery("content-gaps", "Help-center searches that found nothing, by query text: "
               "articles to write", """
SELECT tenant_id, query, uniqMerge(no_result) AS searches_without_result,
       uniqMerge(searches) AS all_searches,
       round(searches_without_result / all_searches, 3) AS share_without_result
FROM {help_searches}
GROUP BY tenant_id, query
HAVING searches_without_result > 0
ORDER BY searches_without_result DESC, tenant_id, query
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
        rollup = ROLLUPS[{"incidents": "incident_summary"}.get(name, name)]
        lo, hi = (0, 2**32) if whole else (since, until)
        segs = plan(rollup, lo, hi, now, ttl_days, rollups)
        if not whole:
            segments[name] = segs
        return source_sql(rollup, database, segs, tenant)

    return Rendered(_FIELD.sub(field, query.sql.strip()), segments)


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
