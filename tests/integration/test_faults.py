"""Faults on the real broker, each judged by the ids produced against the ids stored, exactly.

1. The ingest worker dies between the ClickHouse insert and the offset commit: the batch is
   re-delivered, written again, and shows once in ``FINAL``.
2. Two workers run the anomaly stage in one consumer group: one is SIGKILLed inside a
   transaction and the survivor takes its partitions and their state; a second worker joins
   mid-stream (the first one busy, or held inside a transaction, which the new generation
   then refuses) and partitions move. The results equal the processor's uninterrupted run.
3. ClickHouse inserts fail for a while: the worker retries and recovers, or gives up with exit
   code 1 without committing; after a restart nothing is lost or doubled.

Where a fault must hit one exact point, the worker is the real ``aiops worker`` in a child
process started through ``_LAUNCHER``, which patches the test's fault point in before the CLI
runs: the process SIGKILLs itself there (or waits there), which an outside ``kill -9`` can only
hit by chance. Nothing of it is in the product code.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pytest
from confluent_kafka import ConsumerGroupState, KafkaException

from benchmarks.nab.data import load_corpus
from config.settings import AnomalySettings
from connectors.demo_source import Produced, mixed_events
from connectors.kafka_io import (
    admin,
    committed_offsets,
    delete_groups,
    end_offsets,
    make_producer,
)
from pipelines.runner import WorkerProcess
from pipelines.stages import stage
from schemas.registry import record_key
from schemas.topics import INPUT_TOPICS
from schemas.validation import parse_event
from tests.integration.conftest import free_port

INPUT_TABLES = ("metrics", "alerts", "ticket_events", "help_interactions", "dlq")
"""Where the ingest stage puts the input topics' records (invalid ones in ``dlq``)."""

_LAUNCHER = r"""
import os, signal, sys

point, _, nth = os.environ["FAULT_AT"].partition(":")
nth, seen = int(nth), [0]


def die(where):
    sys.stderr.write(f"FAULT: SIGKILL {where}\n")
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


if point == "ingest-commit":  # the whole batch is in ClickHouse, its offsets not committed
    from pipelines.ingest import IngestLoop

    def commit(self, records, _commit=IngestLoop.commit):
        seen[0] += 1
        if seen[0] == nth:
            die(f"before the offset commit of ingest batch {nth}")
        _commit(self, records)

    IngestLoop.commit = commit
elif point == "ingest-write":  # the first table of the batch written, the others not
    from connectors.clickhouse.transport import ChdbTransport
    from pipelines.ingest import IngestLoop

    inserts = [0]

    def process(self, records, _process=IngestLoop.process):
        seen[0] += 1
        inserts[0] = 0
        _process(self, records)

    def insert(self, table, payload, _insert=ChdbTransport.insert_json_rows):
        _insert(self, table, payload)
        inserts[0] += 1
        if seen[0] == nth and inserts[0] == 1:
            die(f"after the first insert ({table}) of ingest batch {nth}")

    IngestLoop.process = process
    ChdbTransport.insert_json_rows = insert
elif point == "stage-commit":  # outputs, state and offsets in Kafka, the transaction open
    import pipelines.stage as stage_module

    class KillingProducer:
        def __init__(self, producer):
            self._p = producer

        def __getattr__(self, name):
            return getattr(self._p, name)

        def commit_transaction(self, *args):
            seen[0] += 1
            if seen[0] == nth:
                self._p.flush(30)
                die(f"before committing stage transaction {nth}")
            return self._p.commit_transaction(*args)

    _make = stage_module.make_producer
    stage_module.make_producer = lambda *a, **kw: KillingProducer(_make(*a, **kw))
elif point == "stage-stall":  # once FAULT_DIR/stall exists, one transaction stops before its
    import pathlib         # offsets go in (group metadata in hand) until FAULT_DIR/release does
    import time
    import pipelines.stage as stage_module

    flags = pathlib.Path(os.environ["FAULT_DIR"])

    class StallingProducer:
        def __init__(self, producer):
            self._p = producer

        def __getattr__(self, name):
            return getattr(self._p, name)

        def send_offsets_to_transaction(self, *args):
            if seen[0] < nth and (flags / "stall").exists():
                seen[0] += 1
                sys.stderr.write("FAULT: stalled in a stage transaction\n")
                sys.stderr.flush()
                while not (flags / "release").exists():
                    time.sleep(0.02)
            return self._p.send_offsets_to_transaction(*args)

    _make = stage_module.make_producer
    stage_module.make_producer = lambda *a, **kw: StallingProducer(_make(*a, **kw))
else:
    raise SystemExit(f"unknown FAULT_AT {point!r}")

from pipelines.cli import main

main()
"""


class FaultyWorker(WorkerProcess):
    """``aiops worker`` with a fault at ``fault_at`` (see ``_LAUNCHER``)."""

    def __init__(self, env: dict[str, str], log_path: Path, web_port: int, fault_at: str) -> None:
        super().__init__({**env, "FAULT_AT": fault_at}, log_path, web_port)

    def start(self, timeout_s: float = 60.0) -> FaultyWorker:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", _LAUNCHER, *self.args], env=self.env, stdout=log,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.wait_healthy(timeout_s)
        return self


def start_faulty(pipeline, fault_at: str, **env: str) -> FaultyWorker:
    log = pipeline.workdir / f"worker-{len(pipeline.workers)}.log"
    w = FaultyWorker({**pipeline.env(), **env}, log, free_port(), fault_at)
    pipeline.workers.append(w)  # the fixture kills it if the test fails
    return w.start()


def wait_exit(worker: WorkerProcess, timeout_s: float = 60) -> int:
    deadline = time.monotonic() + timeout_s
    while worker.proc.poll() is None:
        assert time.monotonic() < deadline, f"worker still running; see {worker.log_path}"
        time.sleep(0.05)
    return worker.proc.returncode


def wait_log(worker: WorkerProcess, pattern: str, count: int = 1, timeout_s: float = 60
             ) -> list[str]:
    deadline = time.monotonic() + timeout_s
    while True:
        found = re.findall(pattern, worker.log_path.read_text(errors="replace"))
        if len(found) >= count:
            return found
        worker.check_alive()
        assert time.monotonic() < deadline, f"{pattern!r} not logged {count}x: {worker.log_path}"
        time.sleep(0.05)


def metric(worker: WorkerProcess, name: str) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in worker.get("/metrics").splitlines()
               if line.startswith(name) and line[len(name)] in " {")


def assigned(worker: WorkerProcess, stage_name: str) -> int:
    try:
        body = worker.get("/healthz")
    except urllib.error.HTTPError as exc:  # 503 while a stage starts
        body = exc.read().decode()
    return json.loads(body)["stages"][stage_name]["assigned_partitions"]


@pytest.fixture
def pipeline(pipeline):
    """The shared fixture, plus deleting this run's consumer groups: its own cleanup passes the
    ingest group twice (``group`` and ``AIOPS_INGEST_GROUP_ID``), which the admin API refuses
    as a whole ("Duplicate groups not allowed"), so no group of the run would be deleted."""
    yield pipeline
    for w in pipeline.workers:
        w.kill()
    groups = set([pipeline.group] + [g for k, g in pipeline.env().items()
                                     if k.endswith("_GROUP_ID")])
    deadline = time.monotonic() + 30  # a killed member stays until its session times out
    while True:
        delete_groups(pipeline.bootstrap, sorted(groups))
        client = admin(pipeline.bootstrap)
        listed = client.list_consumer_groups(request_timeout=10).result(10)
        left = groups & {g.group_id for g in listed.valid}
        if not left or time.monotonic() > deadline:
            break
        time.sleep(1)


# -- what was produced, what is stored ---------------------------------------------------------

@dataclass
class Sent:
    """Produced records: the id each must have in ClickHouse, and where it is in Kafka."""

    ids: list[str] = field(default_factory=list)
    coords: list[tuple[str, int, int]] = field(default_factory=list)

    def __iadd__(self, other: Sent) -> Sent:
        self.ids += other.ids
        self.coords += other.coords
        return self

    def committed_split(self, bootstrap: str, group: str) -> tuple[set[str], set[str]]:
        """Ids of the records below the group's committed offsets, and of those at or above."""
        done = committed_offsets(bootstrap, group, {(t, p) for t, p, _ in self.coords})
        below = {i for i, (t, p, o) in zip(self.ids, self.coords, strict=True) if o < done[t, p]}
        return below, set(self.ids) - below


def produce(pipeline, events: list[Produced]) -> Sent:
    """Produce ``events``; valid ones are stored under their event id, invalid ones in the DLQ
    under their Kafka coordinates."""
    sent = Sent()
    slots: list[tuple[str, int, int] | None] = [None] * len(events)
    errors: list[str] = []

    def delivered(i: int):
        def cb(err, msg) -> None:
            if err is not None:
                errors.append(str(err))
            else:
                slots[i] = (msg.topic(), msg.partition(), msg.offset())
        return cb

    p = make_producer(pipeline.bootstrap)
    for i, e in enumerate(events):
        while True:
            try:
                p.produce(pipeline.prefix + e.topic, e.value, key=e.key, on_delivery=delivered(i))
                break
            except BufferError:
                p.poll(0.01)
    assert p.flush(60) == 0 and not errors, errors[:3]
    for e, (t, part, off) in zip(events, slots, strict=True):
        sent.ids.append(orjson.loads(e.value)["id"] if e.valid else f"{t}/{part}/{off}")
        sent.coords.append((t, part, off))
    assert len(set(sent.ids)) == len(sent.ids), "the generator repeated an id"
    return sent


@dataclass
class Stored:
    ids: list[str]
    """Ids in ``FINAL`` over every input table and the DLQ: each once, if all is well."""
    version: dict[str, int]
    """ingested_at (ms) of the row ``FINAL`` shows: a re-delivered row replaces an older one."""
    raw_rows: int


def read_stored(pipeline) -> Stored:
    sink = pipeline.clickhouse()
    try:
        rows = [r for t in INPUT_TABLES for r in sink.query(
            f"SELECT id, toUnixTimestamp64Milli(ingested_at) AS v FROM aiops.{t} FINAL")]
        raw = sum(sink.counts(final=False)[t] for t in INPUT_TABLES)
    finally:
        sink.close()
    return Stored([r["id"] for r in rows], {r["id"]: int(r["v"]) for r in rows}, raw)


def assert_exactly_once(sent: Sent, stored: Stored) -> None:
    twice = [i for i, n in Counter(stored.ids).items() if n > 1]
    assert not twice, f"{len(twice)} ids stored twice, e.g. {twice[:3]}"
    missing = set(sent.ids) - set(stored.ids)
    assert not missing, f"{len(missing)} ids lost, e.g. {sorted(missing)[:3]}"
    extra = set(stored.ids) - set(sent.ids)
    assert not extra, f"{len(extra)} ids never produced, e.g. {sorted(extra)[:3]}"
    assert len(stored.ids) == len(sent.ids)


def assert_committed_are_stored(sent: Sent, stored: Stored, group: str, bootstrap: str
                                ) -> set[str]:
    """At least once: nothing is committed that is not in ClickHouse. Returns the ids stored
    but not committed (what the restart must re-deliver)."""
    below, above = sent.committed_split(bootstrap, group)
    have = set(stored.ids)
    lost = below - have
    assert not lost, f"{len(lost)} records committed but not stored, e.g. {sorted(lost)[:3]}"
    return above & have


# -- 1. killed between the insert and the commit -----------------------------------------------

@pytest.mark.parametrize("fault_at", ["ingest-commit:3", "ingest-write:3"])
def test_ingest_killed_between_insert_and_commit_redelivers_once(pipeline, fault_at) -> None:
    """``ingest-commit``: the whole third batch written, then SIGKILL before its commit;
    ``ingest-write``: SIGKILL after the first table of the third batch."""
    env = {"AIOPS_INGEST_BATCH_MAX_EVENTS": "500"}
    worker = start_faulty(pipeline, fault_at, **env)
    sent = produce(pipeline, mixed_events(6_000, invalid_ratio=0.02, seed=21))
    assert wait_exit(worker) == -signal.SIGKILL
    assert "FAULT: SIGKILL" in worker.log_path.read_text()

    before = read_stored(pipeline)  # the kernel released the database lock with the process
    pending = assert_committed_are_stored(sent, before, pipeline.group, pipeline.bootstrap)
    assert pending, "the kill must land after an insert and before its commit"
    if fault_at.startswith("ingest-commit"):
        # all of the interrupted batch is stored: per partition, the records right after the
        # committed offset, none beyond
        done = committed_offsets(pipeline.bootstrap, pipeline.group,
                                 {(t, p) for t, p, _ in sent.coords})
        by_tp: dict[tuple[str, int], list[int]] = {}
        for i, (t, p, o) in zip(sent.ids, sent.coords, strict=True):
            if i in pending:
                by_tp.setdefault((t, p), []).append(o)
        for tp, offs in by_tp.items():
            assert sorted(offs) == list(range(done[tp], done[tp] + len(offs))), tp

    worker = pipeline.start_worker(**env)
    pipeline.wait_caught_up(worker, timeout_s=120)
    assert worker.stop() == 0
    after = read_stored(pipeline)
    assert_exactly_once(sent, after)
    # the interrupted batch was delivered and written again: FINAL shows the newer row
    older = [i for i in pending if after.version[i] <= before.version[i]]
    assert not older, f"{len(older)} of {len(pending)} uncommitted rows were not re-delivered"
    # (the two copies are collapsed by FINAL at once and by merges soon: chdb merges small
    # parts within a second, so the raw surplus is whatever was not merged yet)
    assert after.raw_rows >= len(after.ids)
    print(f"{fault_at}: {len(pending)} rows stored but not committed at the kill, re-delivered; "
          f"raw rows {after.raw_rows} for {len(after.ids)} in FINAL")


# -- 2. two workers running the anomaly stage in one group ------------------------------------

STAGE_ENV = {"AIOPS_ANOMALY_ENABLED": "true", "AIOPS_ANOMALY_EMIT_ALL": "true",
             "AIOPS_ANOMALY_BATCH_MAX_EVENTS": "200", "AIOPS_ANOMALY_BATCH_MAX_WAIT_S": "0.1",
             "AIOPS_INGEST_SESSION_TIMEOUT_S": "6"}


def stage_only_env(pipeline, name: str) -> dict[str, str]:
    """A second worker: the anomaly stage only (the embedded database has one owner), with its
    Faust data folder apart from the first worker's."""
    (pipeline.workdir / name).mkdir(exist_ok=True)
    return {**STAGE_ENV, "AIOPS_INGEST_ENABLED": "false",
            "AIOPS_CLICKHOUSE_CHDB_PATH": str(pipeline.workdir / name / "chdb")}


@dataclass(frozen=True)
class Sample:
    partition: int
    key: bytes
    value: bytes
    event: object


def nab_samples(n_series: int = 8, per_series: int = 500) -> list[Sample]:
    """Real NAB CloudWatch series, series k on partition k % 4, interleaved in time."""
    corpus = load_corpus()
    chosen = sorted(s.name for s in corpus.series
                    if s.name.startswith("realAWSCloudwatch/"))[:n_series]
    assert len(chosen) == n_series
    per: list[list[Sample]] = []
    for k, name in enumerate(chosen):
        s = next(x for x in corpus.series if x.name == name)
        out = []
        pairs = itertools.islice(zip(s.datetimes(), s.values, strict=True), per_series)
        for i, (t, v) in enumerate(pairs):
            body = {"specversion": "1.0", "id": f"s{k}-{i}", "source": "nab",
                    "type": "metric.sample", "time": t.isoformat(), "tenant_id": "acme",
                    "data": {"name": "system.cpu.utilization", "value": float(v), "unit": "1",
                             "timestamp": t.isoformat(), "resource": {"host.name": f"h{k}"}}}
            value = orjson.dumps(body)
            ev = parse_event(value)
            out.append(Sample(k % 4, record_key(ev), value, ev))
        per.append(out)
    return [x for group in zip(*per, strict=True) for x in group]


def produce_samples(pipeline, samples: list[Sample], producer=None) -> None:
    p = producer or make_producer(pipeline.bootstrap)
    for s in samples:
        p.produce(pipeline.prefix + "telemetry.metrics", s.value, key=s.key,
                  partition=s.partition)
    assert p.flush(30) == 0


def expected_anomaly_run(samples: list[Sample], forget_at: int | None = None
                         ) -> tuple[dict[str, tuple[float, bool]], list[str]]:
    """The stage's processor alone, uninterrupted: (score, is_anomaly) per verdict id, and the
    ids of the alerts it raised. ``forget_at``: every series starts afresh at that sample, as
    if its state were lost."""
    build = stage("anomaly").build
    proc = build(AnomalySettings(emit_all=True))
    verdicts: dict[str, tuple[float, bool]] = {}
    alerts: list[str] = []
    for s in samples:
        if forget_at is not None and s.event.id.endswith(f"-{forget_at}") and (
                s.event.id.startswith("s0-")):
            proc = build(AnomalySettings(emit_all=True))
        for out in proc.on_event(s.event, partition=s.partition, now=0.0):
            if out.type == "alert":
                alerts.append(out.id)
            else:
                verdicts[out.id] = (out.data.score, out.data.is_anomaly)
    return verdicts, alerts


def assert_anomaly_results(pipeline, samples: list[Sample]) -> None:
    sink = pipeline.clickhouse()
    try:
        got = sink.query("SELECT id, score, is_anomaly FROM aiops.anomalies FINAL")
        alerts = [r["id"] for r in sink.query(
            "SELECT id FROM aiops.alerts FINAL WHERE source = 'aiops/anomaly'")]
        metrics = [r["id"] for r in sink.query("SELECT id FROM aiops.metrics FINAL")]
    finally:
        sink.close()
    want, want_alerts = expected_anomaly_run(samples)
    assert sorted(metrics) == sorted(s.event.id for s in samples)
    ids = [r["id"] for r in got]
    assert len(ids) == len(set(ids)), "a verdict stored twice"
    assert set(ids) == set(want), (len(set(want) - set(ids)), len(set(ids) - set(want)))
    wrong = [(r["id"], r["score"], want[r["id"]]) for r in got
             if abs(float(r["score"]) - want[r["id"]][0]) >= 1e-6  # the table stores Float32
             or bool(r["is_anomaly"]) != want[r["id"]][1]]
    assert not wrong, f"{len(wrong)} verdicts differ from the uninterrupted run, e.g. {wrong[:3]}"
    assert sorted(alerts) == sorted(want_alerts)
    # the comparison can tell lost state: series started afresh mid-stream score otherwise
    forgot, _ = expected_anomaly_run(samples, forget_at=200)
    assert sum(abs(forgot[i][0] - want[i][0]) >= 1e-6 for i in want) > 100


def restores(worker: WorkerProcess) -> list[tuple[int, set[int]]]:
    """(records, partitions) of every state restore the worker logged."""
    return [(int(n), {int(p) for p in parts.split(",")}) for n, parts in re.findall(
        r"anomaly: restored (\d+) state records for partitions \[([\d, ]+)\]",
        worker.log_path.read_text())]


def aborts(*workers: WorkerProcess) -> int:
    return sum(w.log_path.read_text().count("anomaly: transaction aborted") for w in workers)


def test_survivor_takes_over_a_killed_stage_worker_with_its_state(pipeline) -> None:
    """B dies with a transaction open (outputs, state and offsets written, not committed): A
    gets B's partitions once B's session times out, restores their state from the committed
    changelog only, and re-processes from the committed offsets. The pending transaction is
    aborted by the broker after its timeout (``TXN_TIMEOUT_S``), which read_committed readers
    wait for."""
    samples = nab_samples()
    a = pipeline.start_worker(**STAGE_ENV)
    b = start_faulty(pipeline, "stage-commit:5", **stage_only_env(pipeline, "b"))
    deadline = time.monotonic() + 60
    while not (assigned(a, "anomaly") == 2 and assigned(b, "anomaly") == 2):
        assert time.monotonic() < deadline, "the group did not split its partitions 2 + 2"
        time.sleep(0.1)
    produce_samples(pipeline, samples)
    assert wait_exit(b) == -signal.SIGKILL
    assert "FAULT: SIGKILL before committing stage transaction 5" in b.log_path.read_text()
    killed = time.monotonic()
    # B's offsets stay pending until the broker aborts its transaction; until then a committed
    # offset fetch (read_committed asks for stable offsets) fails after its timeout
    topic = pipeline.prefix + "telemetry.metrics"
    while True:
        try:
            committed_offsets(pipeline.bootstrap, f"{pipeline.group}-anomaly",
                              [(topic, p) for p in range(4)])
            break
        except KafkaException:
            a.check_alive()
            assert time.monotonic() - killed < 90, "B's transaction was never aborted"
    stable = time.monotonic() - killed

    pipeline.wait_stage_then_ingest(a, "anomaly", "telemetry.metrics", timeout_s=120)
    took = time.monotonic() - killed
    # A's own state lived in its memory: a restore with records is of B's partitions
    taken = [r for r in restores(a) if r[0] > 0]
    assert taken, f"A never restored B's partitions: {restores(a)}"
    assert a.stop() == 0
    assert_anomaly_results(pipeline, samples)
    print(f"offsets stable {stable:.1f}s and all caught up {took:.1f}s after the kill; "
          f"A restored {taken}; {aborts(a)} aborted transaction(s) in A")


def group_settled(bootstrap: str, group: str, members: int) -> bool:
    client = admin(bootstrap)  # keep a reference: the future dies with the client
    desc = client.describe_consumer_groups([group])[group].result(10)
    return desc.state == ConsumerGroupState.STABLE and len(desc.members) == members


@pytest.mark.parametrize("join", ["while-busy", "while-stalled-in-a-transaction"])
def test_a_worker_joining_mid_stream_moves_partitions_and_state(pipeline, join) -> None:
    """A second worker joins while the first is processing a paced stream: partitions move
    (cooperative rebalance), the newcomer restores their state; the results are those of one
    uninterrupted run. ``while-stalled-in-a-transaction``: A is held inside a transaction, its
    group metadata in hand, until the group has moved to B's generation: the offsets it then
    sends are refused, and it must abort and rewind (a GC pause or slow batch at a rebalance)."""
    samples = nab_samples()
    group = f"{pipeline.group}-anomaly"
    stalled = join != "while-busy"
    flags = pipeline.workdir / "flags"
    flags.mkdir()
    if stalled:
        a = start_faulty(pipeline, "stage-stall:1", FAULT_DIR=str(flags), **STAGE_ENV)
    else:
        a = pipeline.start_worker(**STAGE_ENV)
    b_assigned = threading.Event()
    failed: list[BaseException] = []
    topic = pipeline.prefix + "telemetry.metrics"
    tps = [(topic, p) for p in range(4)]

    def paced() -> None:  # ~400 samples/s; the last fifth only once B has partitions
        try:
            p = make_producer(pipeline.bootstrap)
            cut = len(samples) * 4 // 5
            for i in range(0, len(samples), 40):
                if i >= cut and not b_assigned.wait(60):
                    raise TimeoutError("B never got partitions")
                produce_samples(pipeline, samples[i:i + 40], p)
                time.sleep(0.1)
        except BaseException as exc:
            failed.append(exc)

    producer = threading.Thread(target=paced, name="paced-producer")
    producer.start()
    try:
        deadline = time.monotonic() + 60
        # B joins once A has state for every partition, past the detectors' warm-up
        while min(committed_offsets(pipeline.bootstrap, group, tps).values()) < 400:
            assert time.monotonic() < deadline and not failed, failed
            time.sleep(0.1)
        if stalled:
            (flags / "stall").touch()
            wait_log(a, "FAULT: stalled in a stage transaction")
        b = pipeline.start_worker(**stage_only_env(pipeline, "b"))
        if stalled:
            while not group_settled(pipeline.bootstrap, group, members=2):
                assert time.monotonic() < deadline, "the group never moved to a new generation"
                time.sleep(0.1)
            (flags / "release").touch()
        while assigned(b, "anomaly") == 0:
            assert time.monotonic() < deadline and not failed, failed
            time.sleep(0.05)
        b_assigned.set()
    finally:
        b_assigned.set()
        (flags / "release").touch()
        producer.join(120)
    assert not failed, failed
    assert end_offsets(pipeline.bootstrap, [topic]) == {tp: len(samples) // 4 for tp in tps}

    pipeline.wait_stage_then_ingest(a, "anomaly", "telemetry.metrics", timeout_s=120)
    moved = [r for r in restores(b) if r[0] > 0]
    assert moved, f"B never restored state: {restores(b)}"
    assert metric(b, "aiops_stage_outputs_total") > 0, "B processed nothing"
    n_aborts = aborts(a, b)
    if stalled:
        assert aborts(a) >= 1, "A's stale transaction was committed"
        assert [r for r in restores(a) if r[0] > 0], "A did not restore its state after the abort"
    assert b.stop() == 0
    assert a.stop() == 0
    assert_anomaly_results(pipeline, samples)
    why = re.findall(r"transaction aborted \((.*)\); rewinding", a.log_path.read_text())
    print(f"{join}: B restored {moved}; {n_aborts} aborted transaction(s): {why[:2]}")


# -- 3. ClickHouse fails for a while -----------------------------------------------------------

class Outage:
    """Inserts into some tables fail: their data folders refuse new parts (``chattr +i`` for
    root, whom permissions do not stop; ``chmod a-w`` otherwise)."""

    def __init__(self, dirs: list[Path]) -> None:
        self.dirs = dirs
        self.on = False

    def _set(self, on: bool) -> None:
        for d in self.dirs:
            if os.geteuid() == 0:
                subprocess.run(["chattr", "+i" if on else "-i", str(d)], check=True,
                               capture_output=True)
            else:
                d.chmod(0o555 if on else 0o755)
        self.on = on

    def begin(self) -> None:
        try:
            self._set(True)
        except (OSError, subprocess.CalledProcessError) as exc:
            self._set(False)
            pytest.skip(f"cannot make a table folder refuse writes here: {exc}")

    def end(self) -> None:
        if self.on:
            self._set(False)


def table_dirs(pipeline, tables: tuple[str, ...]) -> list[Path]:
    sink = pipeline.clickhouse()  # creates the tables the worker will then use
    try:
        rows = sink.query("SELECT name, data_paths FROM system.tables WHERE database = 'aiops'")
    finally:
        sink.close()
    dirs = [Path(r["data_paths"][0]) for r in rows if r["name"] in tables]
    assert len(dirs) == len(tables)
    return dirs


@pytest.mark.parametrize("outcome", ["recovers", "gives-up"])
def test_clickhouse_outage_mid_run(pipeline, outcome: str) -> None:
    """Every insert of the ingest stage fails for a while (the first batch after the outage
    begins must fail whatever it holds; a half-written batch is test 1's ``ingest-write``).
    With retries enough the worker rides it out; with one retry it stops with exit code 1 and
    commits nothing of the failed batch."""
    events = mixed_events(6_000, invalid_ratio=0.02, seed=33)
    retries, backoff = {"recovers": ("6", "0.25"), "gives-up": ("1", "0.2")}[outcome]
    env = {"AIOPS_INGEST_BATCH_MAX_EVENTS": "500", "AIOPS_INGEST_SINK_RETRIES": retries,
           "AIOPS_INGEST_SINK_RETRY_BACKOFF_S": backoff}
    outage = Outage(table_dirs(pipeline, INPUT_TABLES))
    topics = [pipeline.prefix + t for t in INPUT_TOPICS]
    worker = pipeline.start_worker(**env)
    sent = produce(pipeline, events[:3_000])
    pipeline.wait_caught_up(worker)
    first_half = end_offsets(pipeline.bootstrap, topics)
    try:
        outage.begin()
        sent += produce(pipeline, events[3_000:])
        if outcome == "recovers":
            wait_log(worker, r"insert into aiops\.\w+ failed", count=2)
            # nothing of the failing batch is committed while the sink is down
            assert committed_offsets(pipeline.bootstrap, pipeline.group,
                                     first_half) == first_half
            outage.end()
            pipeline.wait_caught_up(worker)  # raises if the worker exited meanwhile
            assert metric(worker, "aiops_sink_failures_total") >= 2
            assert worker.stop() == 0
        else:
            assert wait_exit(worker) == 1
            assert re.search(r"SinkError: insert into aiops\.\w+ failed 2 time\(s\)",
                             worker.log_path.read_text())
            assert committed_offsets(pipeline.bootstrap, pipeline.group,
                                     first_half) == first_half
            outage.end()
            pending = assert_committed_are_stored(sent, read_stored(pipeline), pipeline.group,
                                                  pipeline.bootstrap)
            assert not pending  # every table refused the batch
            worker = pipeline.start_worker(**env)
            pipeline.wait_caught_up(worker)
            assert worker.stop() == 0
    finally:
        outage.end()
    assert_exactly_once(sent, read_stored(pipeline))
