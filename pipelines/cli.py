"""The ``aiops`` command line. Every subcommand has ``--help``."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import click

from pipelines.formatting import format_csv, format_table

ROOT = Path(__file__).resolve().parents[1]
SERVICES_SCRIPT = ROOT / "scripts" / "services.sh"


def _settings():
    from config.settings import load_settings

    try:
        return load_settings()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Event-streaming AIOps pipeline: Kafka in, validated events and insights out.

    \b
    First time here?   aiops services up && aiops demo
    Configuration:     AIOPS_* environment variables (docs/configuration.md)
    """


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def services(args: tuple[str, ...]) -> None:
    """Fetch, start and stop the local Kafka broker and Redis (no Docker needed).

    \b
    aiops services up [kafka|redis|all]   fetch if needed, start, wait until ready
    aiops services status                 what runs, on which port
    aiops services down [kafka|redis] [--purge]  stop what `up` started (--purge: delete Kafka data)
    aiops services logs kafka|redis       where the logs are, last lines
    """
    if not SERVICES_SCRIPT.exists():
        raise click.ClickException(f"{SERVICES_SCRIPT} not found (is this a source checkout?)")
    sys.exit(subprocess.call(["bash", str(SERVICES_SCRIPT), *(args or ("--help",))]))


@main.command("config")
def show_config() -> None:
    """Print every setting, its effective value and the variable that sets it
    (secrets masked). See docs/configuration.md."""
    from config.settings import setting_rows

    s = _settings()
    for var, value, description in setting_rows(s):
        click.echo(f"{var:36} {value!s:28} {description}")


@main.group()
def topics() -> None:
    """Create and list the pipeline's Kafka topics (from schemas/topics.py)."""


@topics.command("create")
def topics_create() -> None:
    """Create missing topics with their partitions and retention; existing ones are kept."""
    from connectors.kafka_io import check_broker, ensure_topics

    s = _settings()
    _guard(check_broker, s.kafka.bootstrap)
    created = ensure_topics(s.kafka.bootstrap, s.kafka.topic_prefix)
    click.echo(f"created: {', '.join(created)}" if created else "all topics already exist")


@topics.command("list")
def topics_list() -> None:
    """Show the topic table: name, key, partitions, retention, event types."""
    from schemas.topics import DAY_MS, TOPICS

    for t in TOPICS:
        click.echo(f"{t.name:26} p={t.partitions:<2} retention={t.retention_ms // DAY_MS}d "
                   f"key={t.key:52} types={','.join(t.event_types) or '-'}")


def _stage_help() -> str:
    from pipelines.stages import STAGES

    lines = ["ingest: validate, dead-letter invalid input, write ClickHouse"]
    lines += [f"{st.name}: {st.description}" for st in STAGES]
    lines.append("deliver: one loop per webhook and Redis receiver of config/notify.yaml")
    return "\n".join(f"  {x}" for x in lines)


@main.command(help=f"""Run a pipeline worker: its stages, with /metrics, /healthz, the
read-only SQL endpoint and the live NOC page (/noc) on AIOPS_WEB_PORT (default 6066).

\b
Stages:
{_stage_help()}

Stops on SIGTERM/Ctrl-C after finishing its batch; exits non-zero if any part failed.
The embedded ClickHouse (the default) is owned by one worker at a time.""")
@click.option("--loglevel", default="info", show_default=True,
              type=click.Choice(["debug", "info", "warn", "error", "crit"]))
@click.option("--stages", default=None, metavar="LIST",
              help="Comma-separated stages to run (see above; default: every stage enabled by "
              "AIOPS_<STAGE>_ENABLED). Run stages in separate workers to use more cores.")
def worker(loglevel: str, stages: str | None) -> None:
    from pipelines.stages import stage_names
    from pipelines.worker import run_worker

    s = _settings()
    only = None
    if stages is not None:
        only = {x.strip() for x in stages.split(",") if x.strip()}
        unknown = only - set(stage_names())
        if unknown or not only:
            raise click.BadParameter(f"unknown stage(s) {sorted(unknown)}; use "
                                     f"{', '.join(stage_names())}", param_hint="--stages")
    logging.basicConfig(level=loglevel.upper().replace("WARN", "WARNING").replace("CRIT",
                        "CRITICAL"), format="[%(asctime)s] %(levelname)s %(name)s: %(message)s")
    _guard(run_worker, s, loglevel, only)


@main.command()
@click.option("--port", type=int, default=None, help="Override AIOPS_GATEWAY_PORT")
def gateway(port: int | None) -> None:
    """Run the HTTP ingest gateway that SREs point their tools at.

    \b
    POST /v1/alertmanager        Alertmanager webhook (v4); Grafana's is recognised here too
    POST /v1/grafana             Grafana alerting webhook contact point
    POST /v1/events/KIND         KIND = metrics|alerts|tickets|help; a JSON object, a JSON
                                 array, or NDJSON (Content-Type: application/x-ndjson)
    GET  /metrics, /healthz

    Every request needs 'Authorization: Bearer TOKEN'; the token decides the tenant
    (AIOPS_GATEWAY_TOKENS or AIOPS_GATEWAY_TOKENS_FILE). Every event is checked (the workers'
    validation and AIOPS_INGEST_MAX_EVENT_BYTES) before anything is produced: 400/413 name the
    bad item and nothing is stored. 202 is sent only after Kafka acknowledged every event;
    503 with Retry-After if it did not, and a retry of the same body stores each event once.
    """
    from connectors.gateway.app import run_gateway
    from connectors.gateway.auth import TokenConfigError

    s = _settings()
    if port is not None:
        s = s.model_copy(update={"gateway": s.gateway.model_copy(update={"port": port})})
    logging.basicConfig(level=logging.INFO,
                        format="[%(asctime)s] %(levelname)s %(name)s: %(message)s")
    try:
        _guard(run_gateway, s)
    except TokenConfigError as exc:
        raise click.ClickException(str(exc)) from None


@main.command()
@click.argument("sql", required=False)
@click.option("--list", "list_", is_flag=True, help="List the named queries and exit")
@click.option("--tenant", default=None, help="Named query: only this tenant (an admin's filter; "
              "tenant credentials are always filtered by the endpoint or row policies)")
@click.option("--since", default=None, help="Named query: start of the range: 90m, 24h, 30d, "
              "1y, an ISO date or time  [default: 24h]")
@click.option("--until", default=None, help="Named query: end of the range [default: now]")
@click.option("--limit", default=20, show_default=True, help="Named query: rows at most")
@click.option("--no-rollups", is_flag=True, help="Named query: read raw rows only (to compare)")
@click.option("--show-sql", is_flag=True, help="Named query: print its SQL, and which table "
              "answers which part of the range, instead of running it")
@click.option("--format", "fmt", default="table", type=click.Choice(["table", "json", "csv"]),
              show_default=True)
@click.option("--user", envvar="CLICKHOUSE_USER", default=None,
              help="User on a running worker's SQL endpoint: admin, or a tenant id to see only "
              "its rows [env CLICKHOUSE_USER; default admin with AIOPS_WEB_ADMIN_TOKEN]")
@click.option("--password", envvar="CLICKHOUSE_PASSWORD", default=None,
              help="Its password: AIOPS_WEB_ADMIN_TOKEN or the tenant's gateway token "
              "[env CLICKHOUSE_PASSWORD]")
def query(sql: str | None, list_: bool, tenant: str | None, since: str | None,
          until: str | None, limit: int, no_rollups: bool, show_sql: bool, fmt: str,
          user: str | None, password: str | None) -> None:
    """Run SQL, or a named query, against the pipeline's ClickHouse (embedded chdb unless
    AIOPS_CLICKHOUSE_URL).

    \b
    aiops query "SELECT ..."                       read-only SQL
    aiops query NAME [--tenant T] [--since 24h]    a named query (aiops query --list)

    While a worker owns the embedded database, the query goes to that worker's read-only SQL
    endpoint (its lock file names it; docs/querying.md); otherwise it opens the files directly.
    Tables live in the `aiops` database; the *_v views show each event once (FINAL).
    """
    import orjson

    from pipelines.named_queries import NAMED_QUERIES, command_sql

    if list_:
        rows = [{"name": q.name, "description": q.description} for q in NAMED_QUERIES.values()]
    elif not sql:
        raise click.UsageError("give SQL or a named query (aiops query --list names them)")
    else:
        s = _settings()
        try:
            sql, plan = command_sql(sql, s.clickhouse, since=since, until=until, tenant=tenant,
                                    limit=limit, rollups=not no_rollups, show=show_sql)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
        if show_sql:
            click.echo(f"{plan}\n{sql}")
            return
        rows = _query_rows(s, sql, user, password)
    if isinstance(rows, bytes):  # the SQL chose its own FORMAT: print what the worker sent
        click.echo(rows.decode(errors="replace"), nl=False)
    elif fmt == "json":
        for r in rows:
            click.echo(orjson.dumps(r, default=str).decode())
    elif fmt == "csv":
        click.echo(format_csv(rows), nl=False)
    else:
        click.echo(format_table(rows))


def _query_rows(s, sql: str, user: str | None, password: str | None) -> list[dict] | bytes:
    from connectors.clickhouse import DatabaseLocked, open_clickhouse
    from connectors.clickhouse.http_api import (
        WorkerQueryError,
        query_worker,
        rows_from_json_each_row,
        url_from_owner,
    )

    try:
        sink = open_clickhouse(s.clickhouse, owner="aiops query")
    except DatabaseLocked as exc:
        url = url_from_owner(exc.holder)
        if url is None:
            raise click.ClickException(str(exc)) from None
        if user is None and password is None and s.web.admin_token is not None:
            user, password = "admin", s.web.admin_token.get_secret_value()
        try:
            got, body = query_worker(url, sql, user, password)
        except WorkerQueryError as err:
            raise click.ClickException(f"ClickHouse (via the worker at {url}): {err}") from None
        return rows_from_json_each_row(body) if got == "JSONEachRow" else body
    try:
        return _guard(sink.query, sql)
    finally:
        sink.close()


@main.command()
@click.option("--hours", default=168.0, show_default=True,
              help="Hours of history to generate (a week: detectors learn the daily cycle)")
@click.option("--seed", default=7, show_default=True, help="Same seed, same events (and ids)")
@click.option("--invalid-ratio", default=0.01, show_default=True,
              help="Share of deliberately invalid events, to show the DLQ at work")
@click.option("--timeout", default=600.0, show_default=True, help="Seconds to wait for the worker")
def demo(hours: float, seed: int, invalid_ratio: float, timeout: float) -> None:
    """Produce a realistic mixed stream (3 tenants, 5 sites, metrics with daily seasonality and
    injected faults, alerts, tickets, help-center activity) to the local Kafka, run a worker on
    it, and summarise what landed in ClickHouse.

    Needs a broker: `aiops services up` (or `make demo`, which does everything).
    """
    from pipelines.demo import run_demo

    _guard(run_demo, _settings(), hours=hours, seed=seed, invalid_ratio=invalid_ratio,
           timeout_s=timeout)


@main.group()
def bench() -> None:
    """Benchmarks; each prints its figures, and with --json one JSON object as the last line."""


@bench.command("nab")
@click.option("--data", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="A folder in NAB's layout (<category>/<series>.csv with timestamp,value; "
              "windows.json for labels). Default: ../shared/data/nab")
@click.option("--detector", "detectors", multiple=True,
              help="Detector name (repeatable); default: every registered detector")
@click.option("--results-out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write per-row scores in NAB's results layout here")
@click.option("--plot", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write one PNG per series (windows and detections) here")
@click.option("--through-pipeline", is_flag=True,
              help="Also replay the data through Kafka and a real worker, and show that the "
              "same scores come out (first --detector, or the default)")
@click.option("--cv", is_flag=True,
              help="Leave-one-category-out cross-validation: parameters (benchmarks/nab/grids.py) "
              "and thresholds chosen on the other categories, each held-out category scored; "
              "the figure to quote")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object as the last line")
def bench_nab(data, detectors, results_out, plot, through_pipeline, cv, as_json) -> None:
    """Numenta Anomaly Benchmark: stream every series through each detector, score it with a
    NAB-faithful scorer (one threshold per profile over the corpus; standard, low-FP, low-FN)
    and print each detector's table next to published figures. Those figures are in-sample;
    --cv gives the cross-validated ones."""
    if cv:
        if results_out or plot or through_pipeline:
            raise click.UsageError("--cv does not combine with --results-out, --plot or "
                                   "--through-pipeline")
        from benchmarks.nab.cv import run_cv

        try:
            run_cv(data, list(detectors) or None, as_json=as_json)
        except (ValueError, KeyError, FileNotFoundError) as exc:
            raise click.ClickException(str(exc)) from None
        return
    from benchmarks.nab.runner import run

    s = _settings()
    result = _guard(run, data, list(detectors) or None, results_out, plot,
                    as_json and not through_pipeline)
    if through_pipeline:
        from benchmarks.nab.data import load_corpus
        from benchmarks.nab.through_pipeline import compare
        from models.registry import DEFAULT_DETECTOR

        name = detectors[0] if detectors else DEFAULT_DETECTOR
        piped = _guard(compare, s, load_corpus(data), name, False)
        if as_json:
            import json

            click.echo(json.dumps({**result, "through_pipeline": piped}))


@bench.command("anomaly")
@click.option("--detector", default=None, help="Detector name (default: the registry default)")
@click.option("--events", default=200_000, show_default=True,
              help="Samples produced for the pipeline part")
@click.option("--series", default=1_000, show_default=True, help="Series they spread over")
@click.option("--no-pipeline", is_flag=True, help="Only the detector's speed and memory")
@click.option("--single-process", is_flag=True,
              help="Run the anomaly and ingest stages in one worker (default: one each)")
@click.option("--rate", default=0, show_default=True,
              help="Pace the producer at this many samples/s (0 = flat out)")
@click.option("--demo-days", default=7.0, show_default=True,
              help="Days of the demo generator to measure false alarms and fault ranking on "
              "(0 = skip)")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object as the last line")
def bench_anomaly(detector, events, series, no_pipeline, single_process, rate, demo_days,
                  as_json) -> None:
    """Detector samples/s on one core, bytes of state per series (100,000 series), false
    alarms and fault ranking on the demo generator, and samples/s and delay through the
    running anomaly stage on the local Kafka."""
    from benchmarks.anomaly import run

    _guard(run, _settings(), detector=detector, events=events, series=series,
           pipeline=not no_pipeline, as_json=as_json, split=not single_process, rate=rate,
           demo_days=demo_days)


@bench.command("fuzz")
@click.option("--cases", default=10_000, show_default=True,
              help="Hypothesis cases for the gateway and for the validator each")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object as the last line")
def bench_fuzz(cases: int, as_json: bool) -> None:
    """Generated input (mutated valid events, arbitrary JSON and bytes) at the gateway's body
    handling and the ingest validator: no 5xx, no exception, every record a row or a dead
    letter with a reason, memory before and after (CI runs 200 cases: tests/unit/test_fuzz.py)."""
    from benchmarks.fuzz import run

    result = run(cases=cases, as_json=as_json)
    if result["gateway"]["failures"] or result["validator"]["failures"]:
        raise SystemExit(1)


@bench.command("soak")
@click.option("--minutes", default=30.0, show_default=True, help="How long to produce")
@click.option("--rate", default=20_000, show_default=True, help="Events per second")
@click.option("--every", "every_s", default=10.0, show_default=True,
              help="Seconds between memory and lag samples")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object as the last line")
def bench_soak(minutes: float, rate: int, every_s: float, as_json: bool) -> None:
    """Sustained load with every stage on (two workers: ingest+deliver, and the processor
    stages): memory over time and its slope, the largest consumer lag, and p50/p99 delays
    from produce to durable row per table."""
    from benchmarks.soak import run

    _guard(run, _settings(), minutes=minutes, rate=rate, every_s=every_s, as_json=as_json)


@bench.command("clustering")
@click.option("--seed", default=7, show_default=True)
@click.option("--seeds", default=None, metavar="A-B",
              help="One overall row per seed in the range instead (e.g. 1-10)")
@click.option("--tenants", default=3, show_default=True)
@click.option("--sites", default=3, show_default=True)
@click.option("--hours", default=6.0, show_default=True)
@click.option("--rules", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Rules file (default config/alert_rules.yaml)")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object as the last line")
def bench_clustering(seed, seeds, tenants, sites, hours, rules, as_json) -> None:
    """Alert storms with ground truth (host failure, service failure, site power loss,
    cascade, overlapping incidents, flapping, singles): compression, pairwise precision and
    recall, cross-tenant incidents, time to open, and throughput, beside a naive baseline."""
    from benchmarks.clustering.run import run, sweep
    from config.alert_rules import DEFAULT_PATH

    if seeds:
        lo, _, hi = seeds.partition("-")
        rows = _guard(sweep, range(int(lo), int(hi or lo) + 1), tenants, sites, hours,
                      rules or DEFAULT_PATH)
        if as_json:
            import json

            click.echo(json.dumps({"benchmark": "clustering-seeds", "seeds": rows}))
        return
    _guard(run, seed, as_json, tenants, sites, hours, rules or DEFAULT_PATH)


@bench.command("tickets")
@click.option("--data", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="ticket.event envelopes, one per line, in stream order; lines "
              "may carry a `labels` object (urgent, sentiment, language). Default: the shipped "
              "sets, A and C (they train the model) and B (held out), and the cross-validation "
              "over A and C")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write one JSON object per input text (id, urgent, sentiment, language, "
              "score parts)")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object as the last line")
def bench_tickets(data, out, as_json) -> None:
    """Ticket texts through the tickets stage's own code, thread state included: urgency
    precision/recall/F1, sentiment per-class and macro F1, language accuracy, beside plain
    VADER, and texts scored per second on one core."""
    from benchmarks.tickets.run import run

    _guard(run, data, out, as_json)


@bench.command("correlation")
@click.option("--generator", type=click.Choice(["a", "b", "c", "both", "all"]), default="both",
              show_default=True, help="a: the scenario generator tuned on; b: the held-out one, "
              "written independently before tuning; c: a third independent one (checked while "
              "tuning); both: a and b; all: a, b and c")
@click.option("--seeds", default=3, show_default=True, help="Scenarios per generator")
@click.option("--hours", default=12.0, show_default=True, help="Simulated hours per scenario")
@click.option("--stream", default=0, metavar="N", help="Only throughput, over one stream of "
              "at least N events (seeds joined; e.g. --stream 20000 --hours 24 --generator c)")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object as the last line")
def bench_correlation(generator, seeds, hours, stream, as_json) -> None:
    """Outages that also bring tickets and help-center searches, among unrelated tickets and
    help traffic, through the clustering, tickets, help and correlation stages' code: link
    precision and recall (ticket and help spike to incident), cross-tenant links, delay from
    the first ticket to the correlated incident, and events per second."""
    from benchmarks.correlation.run import run, stream_throughput

    if stream:
        if generator in ("both", "all"):
            raise click.UsageError("--stream measures one generator: --generator a, b or c")
        r = stream_throughput(generator, stream, hours)
        click.echo(f"throughput (correlation processor alone, one core): "
                   f"{r['events_per_s']:,} events/s over {r['events']:,} events")
        if as_json:
            import json

            click.echo(json.dumps({"benchmark": "correlation-stream", "generator": generator,
                                   **r}))
        return
    _guard(run, generator, seeds, hours, as_json)


@bench.command("pipeline")
@click.option("--events", default=200_000, show_default=True, help="Metric samples to produce")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object as the last line")
@click.option("--rate", default=0, show_default=True,
              help="Pace the producer at this many events/s (0 = as fast as it can)")
@click.option("--timeout", default=900.0, show_default=True)
def bench_pipeline(events: int, as_json: bool, rate: int, timeout: float) -> None:
    """Throughput and delay of produce -> ingest stage (validate) -> durable ClickHouse row, on the
    local Kafka, with a fresh topic prefix and a throw-away embedded ClickHouse."""
    from benchmarks.pipeline import run

    _guard(run, _settings(), events=events, as_json=as_json, timeout_s=timeout, rate=rate)


@bench.command("notify")
@click.option("--rate", default=100, show_default=True, help="New incidents per second")
@click.option("--seconds", default=30.0, show_default=True, help="How long to produce")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object as the last line")
@click.option("--timeout", default=120.0, show_default=True,
              help="How long to wait for the last delivery")
@click.option("--ingest", is_flag=True, help="Run the ingest stage in the same worker too "
              "(it stores notifications and attempts), as an all-in-one worker does")
def bench_notify(rate: int, seconds: float, as_json: bool, timeout: float,
                 ingest: bool) -> None:
    """Delay from an incident event on Kafka to the webhook request at a local HTTP server,
    through the notify stage and the delivery loop of a worker (p50/p99, delivered/expected)."""
    from benchmarks.notify import run

    _guard(run, _settings(), rate=rate, seconds=seconds, as_json=as_json, timeout_s=timeout,
           ingest=ingest)


@bench.command("query")
@click.option("--rows", default=100_000_000, show_default=True,
              help="Synthetic metric samples over a year (other tables in proportion)")
@click.option("--interval-s", default=60, show_default=True,
              help="Seconds between samples of a series (sets the number of series)")
@click.option("--baseline-rows", default=20_000_000, show_default=True,
              help="Rows also inserted without the views, for the insert-rate ratio")
@click.option("--chunk-rows", default=10_000_000, show_default=True,
              help="Rows per INSERT ... SELECT")
@click.option("--keep", is_flag=True, help="Keep the database under var/bench")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object as the last line")
def bench_query(rows, interval_s, baseline_rows, chunk_rows, keep, as_json) -> None:
    """Rollups and named queries at scale in a throw-away embedded ClickHouse (var/bench):
    insert rate with the rollup views vs without, and every named query over 1 h, 1 d, 30 d
    and 1 y from the rollups and from raw rows."""
    from benchmarks.query import run

    _guard(run, _settings(), rows=rows, interval_s=interval_s, baseline_rows=baseline_rows,
           chunk_rows=chunk_rows, as_json=as_json, keep=keep)


def _guard(fn, *args, **kwargs):
    """Known failures become one clear error line instead of a traceback."""
    from connectors.clickhouse.lock import DatabaseLocked
    from connectors.gateway.auth import TokenConfigError
    from connectors.kafka_io import KafkaUnavailable
    from pipelines.runner import WorkerFailed
    from schemas.alert_rules import RuleError

    try:
        return fn(*args, **kwargs)
    except (KafkaUnavailable, DatabaseLocked, WorkerFailed, TimeoutError,
            TokenConfigError, RuleError) as exc:
        raise click.ClickException(str(exc)) from None
    except Exception as exc:
        if type(exc).__name__ == "ChdbError":
            raise click.ClickException(f"ClickHouse: {exc}") from None
        raise


def _add_commands() -> None:
    from pipelines.silence_cli import notify_group, silence
    from pipelines.watch import watch_command

    main.add_command(silence)
    main.add_command(notify_group)
    main.add_command(watch_command, "watch")


_add_commands()

if __name__ == "__main__":
    main()
