"""`aiops demo`: a realistic mixed stream through a real worker, then a summary."""

from __future__ import annotations

import shutil
import time
import uuid
from collections import Counter
from pathlib import Path

import click

from config.settings import Settings, section_of
from connectors.clickhouse import open_clickhouse
from connectors.demo_source import DemoStream
from connectors.kafka_io import (
    admin,
    check_broker,
    delete_groups,
    delete_topics,
    ensure_topics,
    make_producer,
    produce_retrying,
)
from pipelines.demo_report import helpdesk_summary
from pipelines.runner import WorkerProcess, targets_for, wait_caught_up
from pipelines.stages import STAGES, env_prefix, stage_env
from schemas.registry import sink_topics
from schemas.topics import TOPICS, topic_for_type

DEMO_DB = Path("var/demo/chdb")
DEMO_REDIS_PREFIX = "demo:"
"""The demo's live feed keys (its own, so `aiops watch` shows this run and nothing else)."""


def _isolate(settings: Settings) -> tuple[Settings, dict[str, str]]:
    """Each demo run gets its own topics, consumer groups and database, so what it shows is
    exactly what it produced; the previous run's topics are deleted."""
    bootstrap = settings.kafka.bootstrap
    old = [t for t in admin(bootstrap).list_topics(timeout=10).topics if t.startswith("demo-")]
    if old:
        delete_topics(bootstrap, old)
    shutil.rmtree(DEMO_DB, ignore_errors=True)
    _clear_feed(settings)
    run = f"demo-{uuid.uuid4().hex[:6]}"
    env = {"AIOPS_KAFKA_TOPIC_PREFIX": f"{run}.", "AIOPS_INGEST_GROUP_ID": f"{run}-ingest",
           **stage_env(run), "AIOPS_CLICKHOUSE_CHDB_PATH": str(DEMO_DB),
           "AIOPS_REDIS_KEY_PREFIX": DEMO_REDIS_PREFIX}
    s = settings.model_copy(update={
        "kafka": settings.kafka.model_copy(update={"topic_prefix": f"{run}."}),
        "ingest": settings.ingest.model_copy(update={"group_id": f"{run}-ingest"}),
        "clickhouse": settings.clickhouse.model_copy(update={"chdb_path": DEMO_DB}),
        "redis": settings.redis.model_copy(update={"key_prefix": DEMO_REDIS_PREFIX}),
    })
    return s, env


def _clear_feed(settings: Settings) -> None:
    """The previous demo's live feed goes (a Redis that is down is the worker's to report)."""
    import redis

    from pipelines.deliver import drop_redis_keys

    try:
        drop_redis_keys(settings, DEMO_REDIS_PREFIX)
    except redis.RedisError as exc:
        raise click.ClickException(f"Redis at {settings.redis.url.get_secret_value()} is not "
                                   f"reachable ({exc}); start it with `aiops services up "
                                   "redis`") from None


def run_demo(settings: Settings, *, hours: float, seed: int, invalid_ratio: float,
             timeout_s: float) -> None:
    check_broker(settings.kafka.bootstrap)
    settings, env = _isolate(settings)
    k = settings.kafka
    ensure_topics(k.bootstrap, k.topic_prefix)
    click.echo(f"Generating {hours:g}h of demo data (seed {seed}) ...")
    events = DemoStream(seed, hours=hours).all(invalid_ratio)
    per_topic = Counter(e.topic for e in events)
    bad = sum(not e.valid for e in events)
    click.echo(f"  {len(events):,} events, {bad:,} deliberately invalid: "
               + ", ".join(f"{t} {n:,}" for t, n in sorted(per_topic.items())))

    log_path = Path("var/log/demo-worker.log")
    click.echo(f"Starting a worker (log: {log_path}, metrics: "
               f"http://127.0.0.1:{settings.web.port}/metrics) ...")
    worker = WorkerProcess(env, log_path, settings.web.port).start()
    try:
        producer = make_producer(k.bootstrap)
        started = time.time()
        with click.progressbar(length=len(events), label="Producing to Kafka  ") as bar:
            for i in range(0, len(events), 5_000):
                chunk = events[i:i + 5_000]
                for e in chunk:
                    produce_retrying(producer, k.topic_prefix + e.topic, e.value, e.key)
                producer.poll(0)
                bar.update(len(chunk))
            left = producer.flush(60)
        if left:
            raise click.ClickException(f"{left} events were not acknowledged by Kafka")
        for st in STAGES:  # every stage the worker runs, in order, then ingest writes it all
            if not section_of(settings, st.name).enabled:
                continue
            topics = sorted({k.topic_prefix + topic_for_type(t).name for t in st.inputs})
            _follow(f"Stage {st.name:<14}", settings, env[env_prefix(st.name) + "GROUP_ID"],
                    targets_for(k.bootstrap, topics), worker, timeout_s)
        if settings.deliver.enabled:  # the notifications reach their receivers
            from pipelines.deliver import delivery_groups

            notes = targets_for(k.bootstrap, [k.topic_prefix + "aiops.notifications"])
            dset = settings.model_copy(update={"deliver": settings.deliver.model_copy(
                update={"group_id": env["AIOPS_DELIVER_GROUP_ID"]})})
            for group in delivery_groups(dset):
                _follow(f"Delivered {group.rsplit('.', 1)[-1]:<12}", settings, group, notes,
                        worker, timeout_s)
        # what the ingest stage must write now includes the other stages' output
        targets = targets_for(k.bootstrap, [k.topic_prefix + t for t in sink_topics()])
        finished = _follow("Written to ClickHouse", settings, settings.ingest.group_id, targets,
                           worker, timeout_s)
        metrics_text = worker.get("/metrics")
    finally:
        code = worker.stop()
    if code != 0:
        raise click.ClickException(f"worker exited with code {code}; see {log_path}")
    click.echo(f"Done in {finished - started:.1f}s "
               f"({len(events) / max(finished - started, 1e-9):,.0f} events/s end to end).\n")
    _summary(settings, metrics_text)
    _cleanup(settings, env)


def _cleanup(settings: Settings, env: dict[str, str]) -> None:
    """The run's topics and consumer groups go; its database stays for the queries above."""
    k = settings.kafka
    delete_topics(k.bootstrap, [k.topic_prefix + t.name for t in TOPICS])
    from pipelines.deliver import delivery_groups

    delete_groups(k.bootstrap, [settings.ingest.group_id] + [
        env[env_prefix(st.name) + "GROUP_ID"] for st in STAGES]
        + delivery_groups(settings.model_copy(update={"deliver": settings.deliver.model_copy(
            update={"group_id": env["AIOPS_DELIVER_GROUP_ID"]})})))


def _follow(label: str, settings: Settings, group: str, targets: dict, worker: WorkerProcess,
            timeout_s: float) -> float:
    with click.progressbar(length=1, label=label) as bar:
        last = [0]

        def progress(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - last[0])
            last[0] = done

        return wait_caught_up(settings.kafka.bootstrap, group, targets, timeout_s=timeout_s,
                              worker=worker, on_progress=progress)


def _busiest_tenant(settings: Settings) -> str:
    from connectors.redis_feed import feed
    from pipelines.deliver import redis_client

    client = redis_client(settings)
    try:
        lens = {k.decode().removeprefix(feed.stream_key("", DEMO_REDIS_PREFIX)): client.xlen(k)
                for k in client.scan_iter(match=feed.stream_key("*", DEMO_REDIS_PREFIX))}
    finally:
        client.close()
    return max(lens, key=lambda t: lens[t]) if lens else "acme"


def _summary(settings: Settings, metrics_text: str) -> None:
    sink = open_clickhouse(settings.clickhouse, owner="aiops demo summary")
    try:
        db = settings.clickhouse.database
        counts = sink.counts()
        click.secho("Rows in ClickHouse (each event once):", bold=True)
        for table, n in counts.items():
            click.echo(f"  {db}.{table:<22} {n:>9,}")
        reasons = sink.query(f"SELECT reason_code, count() AS n FROM {db}.dlq FINAL "
                             "GROUP BY reason_code ORDER BY n DESC")
        if reasons:
            click.echo("  DLQ by reason: " + ", ".join(f"{r['reason_code']} {r['n']}"
                                                      for r in reasons))
        anomalies = sink.query(
            f"SELECT tenant_id, host, name, count() AS n, round(max(score), 2) AS worst, "
            f"min(ts) AS first FROM {db}.anomalies FINAL WHERE is_anomaly "
            "GROUP BY tenant_id, host, name ORDER BY n DESC LIMIT 5")
        alerts = sink.query(
            f"SELECT tenant_id, labels['host'] AS host, labels['metric'] AS metric, "
            f"groupArray(status) AS statuses FROM {db}.alerts FINAL "
            "WHERE alertname = 'MetricAnomaly' GROUP BY tenant_id, host, metric "
            "ORDER BY tenant_id, host LIMIT 8")
        if anomalies:
            click.secho("\nMost anomalous series (anomaly stage):", bold=True)
            for r in anomalies:
                click.echo(f"  {r['tenant_id']:<8} {r['host']:<14} {r['name']:<30} "
                           f"{r['n']:>4} anomalous samples, worst score {r['worst']}, "
                           f"from {r['first']} UTC")
        if alerts:
            click.secho("Alerts raised by the anomaly stage (joined the alert stream):",
                        bold=True)
            for r in alerts:
                click.echo(f"  {r['tenant_id']:<8} {r['host']:<14} {r['metric']:<30} "
                           f"{', '.join(r['statuses'])}")
        incidents = sink.query(
            f"SELECT tenant_id, state, severity, title, alert_count, first_seen "
            f"FROM {db}.incidents_current ORDER BY indexOf(['info', 'warning', 'error', "
            "'critical'], severity) DESC, alert_count DESC, first_seen LIMIT 10")
        noise = sink.query(
            f"SELECT tenant_id, sum(notifications) AS n, sum(incidents) AS i "
            f"FROM {db}.alert_noise GROUP BY tenant_id ORDER BY tenant_id")
        if incidents:
            click.secho("\nIncidents (clustering stage, latest version of each; most severe "
                        "first):", bold=True)
            for r in incidents:
                click.echo(f"  {r['tenant_id']:<8} {r['state']:<9} {r['severity']:<9} "
                           f"{r['alert_count']:>3} alerts  {r['title'][:60]}")
            click.echo("  compression: " + ", ".join(
                f"{r['tenant_id']} {int(r['n'])} notifications -> {int(r['i'])} incidents"
                for r in noise))
        sent = sink.query(
            f"SELECT receiver, receiver_type, count() AS n, uniqExact(tenant_id) AS tenants "
            f"FROM {db}.notifications FINAL GROUP BY receiver, receiver_type ORDER BY receiver")
        tries = sink.query(
            f"SELECT receiver, status, count() AS n, round(quantile(0.99)(delay_ms)) AS p99 "
            f"FROM {db}.notification_attempts FINAL GROUP BY receiver, status "
            "ORDER BY receiver, status")
        if sent:
            click.secho("\nNotifications (notify stage -> receivers, config/notify.yaml):",
                        bold=True)
            for r in sent:
                click.echo(f"  {r['receiver']:<8} ({r['receiver_type']}) {r['n']:>5} "
                           f"notifications for {r['tenants']} tenant(s)")
            for r in tries:
                click.echo(f"  delivery to {r['receiver']}: {r['n']} {r['status']}, "
                           f"p99 {r['p99']:.0f} ms from the incident version reported "
                           "(group_interval waits included)")
        helpdesk_summary(sink, db)
        hot = sink.query(
            f"SELECT tenant_id, site, host, round(max(value), 2) AS peak_cpu, "
            f"toStartOfFiveMinutes(argMax(ts, value)) AS at FROM {db}.metrics FINAL "
            "WHERE name = 'system.cpu.utilization' GROUP BY tenant_id, site, host "
            "ORDER BY peak_cpu DESC LIMIT 3")
        click.secho("\nHottest hosts (the injected faults):", bold=True)
        for r in hot:
            click.echo(f"  {r['tenant_id']:<8} {r['site']:<5} {r['host']:<14} "
                       f"cpu {r['peak_cpu']} at {r['at']} UTC")
    finally:
        sink.close()
    dlq_line = next((ln for ln in metrics_text.splitlines()
                     if ln.startswith("aiops_dlq_events_total")), None)
    click.secho("\nWhere to look next (the demo's database is var/demo/chdb):", bold=True)
    q = f"AIOPS_CLICKHOUSE_CHDB_PATH={DEMO_DB} aiops query"
    click.echo(f'  {q} "SELECT * FROM aiops.incidents_current"')
    click.echo(f'  {q} "SELECT source_topic, reason_code, error FROM aiops.dlq_v LIMIT 5"')
    click.echo(f'  {q} "SELECT * FROM aiops.alert_noise"')
    click.echo(f'  {q} "SELECT ticket_id, language, sentiment, urgent, reasons FROM '
               'aiops.ticket_insights_v LIMIT 5"')
    click.echo("  aiops worker     # keep a worker running; scrape http://127.0.0.1:"
               f"{settings.web.port}/metrics")
    click.echo("  docs/            # tables, topics, configuration, adding a processor")
    if dlq_line:
        click.echo(f"  (the worker's /metrics said e.g. {dlq_line})")
    tenant = _busiest_tenant(settings)
    click.secho("\nThe live NOC view of this demo's incidents (its Redis feed, prefix "
                f"{DEMO_REDIS_PREFIX!r}):", bold=True)
    click.echo(f"  AIOPS_REDIS_KEY_PREFIX={DEMO_REDIS_PREFIX} aiops watch --tenant {tenant}"
               "        # in the terminal; Ctrl-C to leave")
    click.echo(f"  AIOPS_REDIS_KEY_PREFIX={DEMO_REDIS_PREFIX} AIOPS_CLICKHOUSE_CHDB_PATH="
               f"{DEMO_DB} aiops worker")
    click.echo(f"      then open http://127.0.0.1:{settings.web.port}/noc?tenant={tenant} "
               "(local and no tokens set: any tenant; docs/noc.md)")
    click.echo("  aiops silence add -t TENANT -m 'site=\"par1\"' --duration 1h --author you "
               "--comment why    # docs/notifications.md")

