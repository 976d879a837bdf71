"""`aiops bench query`: the analyst layer at scale, in a throw-away embedded ClickHouse.

- insert rate with the rollup views attached vs without: on the sink's own path (JSONEachRow
  batches of AIOPS_INGEST_BATCH_MAX_EVENTS rows from Python, as ingest writes) and in bulk
  (``INSERT ... SELECT FROM numbers(N)``, the engine alone, also how the data is made: Python
  would insert 100 M rows at ~150 k rows/s);
- every named query over the last hour, day, 30 days and year, from the rollups and from the
  raw rows alone (``--no-rollups``), on N metric samples spread over a year plus alerts,
  assignments, incidents, anomalies and help-center rows in proportion.
"""

from __future__ import annotations

import json
import resource
import shutil
import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click

from config.settings import Settings
from connectors.clickhouse import ChdbTransport, ClickHouseSink
from pipelines.named_queries import NAMED_QUERIES, render

YEAR = 365 * 86400
RANGES = {"1h": 3600, "1d": 86400, "30d": 30 * 86400, "1y": YEAR}
NAMES = "['system.cpu.utilization','http.server.request.duration','queue.depth','disk.used']"
SERVICES = "['api','db','web','queue','auth']"
ALERTS = "['HighCPU','SlowRequests','DiskFull','QueueBacklog','MetricAnomaly','NodeDown']"


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _metrics_sql(db: str, lo: int, hi: int, series: int, interval_ms: int, start: int) -> str:
    """Rows lo..hi of the synthetic metric samples, time-major (a block spans a few days)."""
    return f"""INSERT INTO {db}.metrics (id, tenant_id, ts, name, value, unit, site, service,
        host, resource, source, event_time)
    SELECT concat('m', toString(number)), concat('t', toString(s % 3)),
        toDateTime64({start}, 3, 'UTC')
            + toIntervalMillisecond(intDiv(number, {series}) * {interval_ms}) AS t,
        {NAMES}[s % 4 + 1], 50 + 30 * sin(toUnixTimestamp(t) / 86400 * 6.2832)
            + (cityHash64(number) % 1000) / 100, '1', concat('site-', toString(s % 5)),
        {SERVICES}[s % 5 + 1], concat('host-', toString(s)),
        map('host.name', concat('host-', toString(s)), 'site', concat('site-', toString(s % 5))),
        'bench', t
    FROM (SELECT number, number % {series} AS s FROM numbers({lo}, {hi - lo}))
    SETTINGS max_partitions_per_insert_block = 0"""


def _others_sql(db: str, n: int, start: int) -> dict[str, str]:
    """Alerts, assignments, incidents, anomalies, help rows in proportion to ``n`` samples."""
    a = max(1000, n // 200)
    step = f"toDateTime64({start}, 3, 'UTC') + toIntervalSecond(intDiv(number * {YEAR}, {a}))"
    pick = "cityHash64(number, 7) % 1000 / 1000"
    common = "'bench' AS source, ts AS event_time"
    return {
        "alerts": f"""INSERT INTO {db}.alerts (id, tenant_id, ts, status, fingerprint,
            alertname, severity, site, service, host, labels, annotations, generator_url,
            source, event_time)
        SELECT concat('a', toString(number)), concat('t', toString(number % 3)), {step} AS ts,
            ['firing', 'firing', 'resolved'][number % 3 + 1], hex(cityHash64(alertname, host)),
            {ALERTS}[toUInt32(pow({pick}, 2) * 6) + 1] AS alertname,
            if(alertname IN ('NodeDown', 'SlowRequests'), 'critical', 'warning'),
            concat('site-', toString(number % 5)), {SERVICES}[number % 5 + 1],
            concat('host-', toString(cityHash64(number) % 200)) AS host, map(), map(), '',
            {common} FROM numbers({a})""",
        "alert_assignments": f"""INSERT INTO {db}.alert_assignments (id, tenant_id, ts,
            alert_event_id, fingerprint, kind, status, incident_id, source, event_time)
        SELECT concat('a', toString(number), ':assign'), concat('t', toString(number % 3)),
            {step} AS ts, concat('a', toString(number)), hex(cityHash64(number % 997)),
            ['new', 'repeat', 'resolved'][number % 3 + 1], 'firing',
            concat('inc-', toString(intDiv(number, 12) * 3 + number % 3)), {common}
        FROM numbers({a})""",
        "incidents": f"""INSERT INTO {db}.incidents (id, tenant_id, ts, incident_id, version,
            state, title, severity, sites, services, first_seen, last_seen, alert_count,
            suppressed, source, event_time)
        SELECT concat(iid, ':v', toString(v)), concat('t', toString(i % 3)),
            first + toIntervalSecond(v * (60 + cityHash64(i) % 3600)) AS ts,
            concat('inc-', toString(i)) AS iid, v, ['open', 'updated', 'resolved'][v],
            'bench incident', if(i % 7 = 0, 'critical', 'warning'),
            [concat('site-', toString(i % 5))], [{SERVICES}[i % 5 + 1]],
            toDateTime64({start}, 3, 'UTC') + toIntervalSecond(intDiv(i * {YEAR}, {a // 4}))
                AS first, ts, v * 2, false, {common}
        FROM (SELECT intDiv(number, 3) AS i, number % 3 + 1 AS v FROM numbers({a // 4 * 3}))""",
        "anomalies": f"""INSERT INTO {db}.anomalies (id, tenant_id, ts, series_id, name, value,
            score, detector, is_anomaly, site, service, host, source, event_time)
        SELECT concat('an', toString(number)), concat('t', toString(s % 3)), {step} AS ts,
            concat('series-', toString(s)), {NAMES}[s % 4 + 1], 90, {pick} AS score,
            'bench', score > 0.7, concat('site-', toString(s % 5)), {SERVICES}[s % 5 + 1],
            concat('host-', toString(s)), {common}
        FROM (SELECT number, cityHash64(number) % 300 AS s FROM numbers({a}))""",
        "help_activity": f"""INSERT INTO {db}.help_activity (id, tenant_id, ts, article_id,
            window_s, views, upvotes, downvotes, sessions, partition, source, event_time)
        SELECT concat('h', toString(number)), concat('t', toString(number % 3)), {step} AS ts,
            concat('article-', toString(cityHash64(number) % 50)), 60, 5 + number % 20,
            number % 4, number % 3, 3 + number % 10, 0, {common} FROM numbers({a})""",
        "help_interactions": f"""INSERT INTO {db}.help_interactions (id, tenant_id, ts, kind,
            session_id, query, result_count, source, event_time)
        SELECT concat('q', toString(number)), concat('t', toString(number % 3)), {step} AS ts,
            'search', concat('s', toString(number)),
            concat('how to ', ['vpn', 'invoice', 'sso', 'reset', 'export', 'api key'][
                number % 6 + 1], ' ', toString(cityHash64(number) % 40)),
            if(cityHash64(number, 3) % 4 = 0, 0, 5), {common} FROM numbers({a})""",
    }


def _sink_path(transport: ChdbTransport, batch: int, batches: int) -> dict:
    """Rows/s through ``ClickHouseSink.write`` (JSONEachRow from Python), with and without
    the views, alternating runs; medians."""
    now = time.time()
    rates: dict[bool, list[float]] = {False: [], True: []}
    sinks = {r: ClickHouseSink(transport, f"bench_sink_{int(r)}", rollups=r) for r in rates}
    for s in sinks.values():
        s.ensure_schema()
    for run in range(batches):
        rows = [{"id": f"j{run}-{i}", "tenant_id": f"t{i % 3}", "ts": round(now - 86400 + (
            run * batch + i) // 1000 * 10, 3), "name": "system.cpu.utilization",
            "value": (i % 97) / 97, "unit": "1", "site": f"site-{i % 5}", "service": "api",
            "host": f"host-{i % 1000}", "resource": {"host.name": f"host-{i % 1000}"},
            "source": "bench", "event_time": now} for i in range(batch)]
        for with_views in ((False, True) if run % 2 else (True, False)):
            t0 = time.perf_counter()
            sinks[with_views].write({"metrics": rows})
            rates[with_views].append(batch / (time.perf_counter() - t0))
    for s in sinks.values():
        transport.command(f"DROP DATABASE {s.database}")
    plain, views = statistics.median(rates[False]), statistics.median(rates[True])
    return {"batch_rows": batch, "batches": batches, "rows_per_s_without_views": round(plain),
            "rows_per_s_with_views": round(views), "ratio": round(views / plain, 3)}


def _wait_merges(sink: ClickHouseSink, timeout_s: float = 300) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout_s:
        if int(sink.query("SELECT count() AS n FROM system.merges")[0]["n"]) == 0:
            break
        time.sleep(1)
    return round(time.perf_counter() - t0, 1)


def run(settings: Settings, *, rows: int, interval_s: int, baseline_rows: int | None,
        chunk_rows: int, as_json: bool, keep: bool, workdir: Path = Path("var/bench")) -> dict:
    say = lambda msg: click.echo(msg, err=True)  # noqa: E731  - progress, not figures
    path = workdir / f"query-{uuid.uuid4().hex[:8]}" / "chdb"
    transport = ChdbTransport(path, owner="aiops bench query")
    sink = ClickHouseSink(transport, "aiops")
    try:
        sink.ensure_schema()
        say("sink path: JSONEachRow batches with and without the rollup views ...")
        sink_path = [_sink_path(transport, batch, 10)
                     for batch in (settings.ingest.batch_max_events, 100_000)]

        series = max(1, round(rows / (YEAR / interval_s)))
        interval_ms = YEAR * 1000 * series // rows  # the samples span the year up to now
        now = int(time.time()) // 60 * 60
        start = now - YEAR
        baseline = min(rows, baseline_rows if baseline_rows is not None else 20_000_000)
        plain = ClickHouseSink(transport, "bench_plain", rollups=False)
        plain.ensure_schema()
        bulk: dict[str, list[float]] = {"views_s": [], "views_cpu": [], "plain_s": [],
                                        "plain_cpu": [], "views_rows": []}
        chunks = [(lo, min(rows, lo + chunk_rows)) for lo in range(0, rows, chunk_rows)]
        for i, (lo, hi) in enumerate(c for c in chunks if c[0] < baseline):
            # one insert at a time, alternating which goes first: the ratio
            for db in ("bench_plain", "aiops") if i % 2 else ("aiops", "bench_plain"):
                c0, t0 = _cpu(), time.perf_counter()
                transport.command(_metrics_sql(db, lo, hi, series, interval_ms, start))
                key = "views" if db == "aiops" else "plain"
                bulk[f"{key}_s"].append(time.perf_counter() - t0)
                bulk[f"{key}_cpu"].append(_cpu() - c0)
            bulk["views_rows"].append(hi - lo)
            say(f"  {hi:,} / {rows:,} metric rows (with and without views)")
        transport.command("DROP DATABASE bench_plain")
        t0 = time.perf_counter()
        rest = [c for c in chunks if c[0] >= baseline]

        def insert(chunk: tuple[int, int]) -> None:  # the rest: two at a time, to save time
            with transport.read_session() as conn:
                conn.query(_metrics_sql("aiops", *chunk, series, interval_ms, start))
            say(f"  {chunk[1]:,} / {rows:,} metric rows")

        with ThreadPoolExecutor(2) as pool:
            list(pool.map(insert, rest))
        rest_s = time.perf_counter() - t0
        base_rows = sum(bulk["views_rows"])
        insert = {
            "rows_without_views": base_rows,
            "rows_per_s_without_views": round(base_rows / sum(bulk["plain_s"])),
            "rows_per_s_with_views": round(base_rows / sum(bulk["views_s"])),
            "ratio": round(sum(bulk["plain_s"]) / sum(bulk["views_s"]), 3),
            "cpu_ratio": round(sum(bulk["plain_cpu"]) / sum(bulk["views_cpu"]), 3),
            "rest_rows_per_s_two_inserts_at_once": round(
                sum(hi - lo for lo, hi in rest) / rest_s) if rest else None,
        }
        say("alerts, assignments, incidents, anomalies, help rows ...")
        for sql in _others_sql("aiops", rows, start).values():
            transport.command(sql + " SETTINGS max_partitions_per_insert_block = 0")
        say("waiting for background merges ...")
        merge_wait = _wait_merges(sink)
        counts = {r["table"]: int(r["rows"]) for r in sink.query(
            "SELECT table, sum(rows) AS rows FROM system.parts WHERE database = 'aiops' AND "
            "active GROUP BY table")}
        latency = _queries(sink, settings, now)
    finally:
        sink.close()
        if not keep:
            shutil.rmtree(path.parent, ignore_errors=True)
    year = {n: q["1y"]["rollups_s"] for n, q in latency.items()}
    result = {"benchmark": "query", "rows": rows, "series": series,
              "interval_s": round(interval_ms / 1000, 1),
              "sink_path_insert": sink_path, "bulk_insert": insert,
              "merge_wait_s": merge_wait, "table_rows": counts, "queries": latency,
              "year_via_rollups_max_s": max(year.values()),
              "year_via_rollups_under_1s": max(year.values()) < 1.0}
    _print(result)
    if as_json:
        click.echo(json.dumps(result))
    return result


def _queries(sink: ClickHouseSink, settings: Settings, now: int) -> dict:
    out: dict[str, dict] = {}
    for name, q in NAMED_QUERIES.items():
        out[name] = {}
        for label, span in RANGES.items():
            cell = {}
            for rollups in (True, False):
                sql = render(q, database="aiops", since=now - span, until=now, now=now,
                             ttl_days=settings.clickhouse.ttl_days, rollups=rollups,
                             limit=20).sql
                t0 = time.perf_counter()
                rows = sink.query(sql)
                key = "rollups" if rollups else "raw"
                cell[f"{key}_s"] = round(time.perf_counter() - t0, 4)
                cell[f"{key}_rows"] = len(rows)
            out[name][label] = cell
            click.echo(f"  {name:22} {label:>4}  rollups {cell['rollups_s']:8.3f}s  raw "
                       f"{cell['raw_s']:8.3f}s", err=True)
    return out


def _print(r: dict) -> None:
    b = r["bulk_insert"]
    click.echo(f"data            {r['rows']:,} metric samples, {r['series']} series every "
               f"{r['interval_s']} s over a year; alerts {r['table_rows'].get('alerts', 0):,}, "
               f"incident versions {r['table_rows'].get('incidents', 0):,}")
    for s in r["sink_path_insert"]:
        click.echo(f"sink path       {s['rows_per_s_with_views']:,} rows/s with views, "
                   f"{s['rows_per_s_without_views']:,} without: {s['ratio']:.0%} "
                   f"({s['batches']} x {s['batch_rows']:,}-row JSONEachRow batches, medians)")
    click.echo(f"bulk insert     {b['rows_per_s_with_views']:,} rows/s with views, "
               f"{b['rows_per_s_without_views']:,} without: {b['ratio']:.0%} wall, "
               f"{b['cpu_ratio']:.0%} CPU ({b['rows_without_views']:,} rows each)")
    click.echo("rollup rows     " + ", ".join(
        f"{t} {r['table_rows'].get(t, 0):,}" for t in ("metrics", "metrics_1m", "metrics_1h",
                                                        "metrics_1d")))
    click.echo(f"{'named query':22} " + " ".join(f"{k:>17}" for k in RANGES))
    click.echo(f"{'(rollups / raw, s)':22} " + " ".join(f"{'':>17}" for _ in RANGES))
    for name, cells in r["queries"].items():
        click.echo(f"{name:22} " + " ".join(
            f"{c['rollups_s']:>8.3f}/{c['raw_s']:<8.3f}" for c in cells.values()))
    click.echo(f"year via rollups: slowest {r['year_via_rollups_max_s']:.3f} s "
               f"({'all under 1 s' if r['year_via_rollups_under_1s'] else 'NOT all under 1 s'})")
