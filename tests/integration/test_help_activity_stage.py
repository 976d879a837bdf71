"""The example stage on real Kafka: the table holds what the processor computes, across a
restart, one row per window and partition."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

import orjson

from connectors.kafka_io import committed_offsets, make_producer
from processors.help_activity import HelpActivityProcessor
from schemas.events import HelpInteractionEvent

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ENV = {"AIOPS_HELP_ACTIVITY_ENABLED": "true", "AIOPS_HELP_ACTIVITY_LATENESS_S": "0",
       "AIOPS_HELP_ACTIVITY_BATCH_MAX_EVENTS": "200"}


def _stream(n: int, seed: int = 5) -> list[tuple[int, HelpInteractionEvent]]:
    """(partition, event): sessions pinned to a partition, time moving forward."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        session = f"s-{rnd.randrange(40)}"
        kind = rnd.choice(["article_view"] * 4 + ["vote", "search"])
        data = {"kind": kind, "timestamp": T0 + timedelta(seconds=i * 3), "session_id": session,
                "article_id": f"kb-{rnd.randrange(5)}"}
        if kind == "vote":
            data["vote"] = rnd.choice(["up", "down"])
        if kind == "search":
            data = {**data, "query": "vpn", "result_count": 0}
        ev = HelpInteractionEvent(id=f"hi-{i}", source="test", tenant_id="acme", data=data)
        out.append((int(session[2:]) % 2, ev))
    return out


def _produce(pipeline, items) -> None:
    p = make_producer(pipeline.bootstrap)
    for partition, ev in items:
        p.produce(pipeline.prefix + "help.interactions",
                  orjson.dumps(ev.model_dump(mode="json")),
                  key=f"acme|{ev.data.session_id}".encode(), partition=partition)
    assert p.flush(30) == 0


def _expected(items) -> dict[str, tuple[int, int, int, int]]:
    want = {}
    for part in (0, 1):
        proc = HelpActivityProcessor(window_s=60, lateness_s=0)
        for partition, ev in items:
            if partition == part:
                for row in proc.on_event(ev, partition=part, now=0.0):
                    d = row.data
                    want[row.id] = (d.views, d.upvotes, d.downvotes, d.sessions)
    return want


def _stored(pipeline) -> dict[str, tuple[int, int, int, int]]:
    sink = pipeline.clickhouse()
    try:
        rows = sink.query("SELECT id, views, upvotes, downvotes, sessions "
                          "FROM aiops.help_activity FINAL")
    finally:
        sink.close()
    return {r["id"]: (r["views"], r["upvotes"], r["downvotes"], r["sessions"]) for r in rows}


def test_sigkill_mid_stream_counts_every_interaction_once(pipeline) -> None:
    """Outputs, state and offsets go in one transaction: a kill anywhere leaves them agreeing,
    and the restarted stage neither loses nor doubles a view."""
    items = _stream(3_000, seed=9)
    env = {**ENV, "AIOPS_HELP_ACTIVITY_BATCH_MAX_EVENTS": "50",
           "AIOPS_HELP_ACTIVITY_BATCH_MAX_WAIT_S": "0.05"}
    _produce(pipeline, items)
    group = f"{pipeline.group}-help-activity"
    topic = pipeline.prefix + "help.interactions"
    for _ in range(2):
        worker = pipeline.start_worker(port=pipeline.workers[-1].web_port
                                       if pipeline.workers else None, **env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # kill it somewhere in the middle
            done = committed_offsets(pipeline.bootstrap, group, [(topic, 0), (topic, 1)])
            if sum(done.values()) > (len(pipeline.workers)) * 600:
                break
            time.sleep(0.05)
        worker.kill()
    worker = pipeline.start_worker(port=pipeline.workers[-1].web_port, **env)
    pipeline.wait_stage_then_ingest(worker, "help-activity", "help.interactions")
    assert worker.stop() == 0
    assert _stored(pipeline) == _expected(items)


def test_windows_match_the_processor_across_a_restart(pipeline) -> None:
    items = _stream(1_200)
    half = len(items) // 2
    worker = pipeline.start_worker(**ENV)
    _produce(pipeline, items[:half])
    pipeline.wait_stage_then_ingest(worker, "help-activity", "help.interactions")
    assert worker.stop() == 0
    worker = pipeline.start_worker(**ENV)
    _produce(pipeline, items[half:])
    pipeline.wait_stage_then_ingest(worker, "help-activity", "help.interactions")
    assert "help-activity: restored" in worker.log_path.read_text()
    assert worker.stop() == 0

    want = _expected(items)
    sink = pipeline.clickhouse()
    try:
        rows = sink.query("SELECT id, views, upvotes, downvotes, sessions "
                          "FROM aiops.help_activity FINAL")
        total = sink.query("SELECT count() AS n FROM aiops.help_interactions FINAL "
                           "WHERE kind = 'article_view'")[0]["n"]
    finally:
        sink.close()
    got = {r["id"]: (r["views"], r["upvotes"], r["downvotes"], r["sessions"]) for r in rows}
    assert len(want) > 50
    assert got == want
    # every view is in a written window but those of each partition's last, still open one
    assert 0 < int(total) - sum(v[0] for v in got.values()) < 60
