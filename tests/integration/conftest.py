"""Integration fixtures: the real local Kafka and Redis (`make test` starts them), a fresh
topic prefix, consumer group and embedded ClickHouse directory per test."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from config.settings import ClickHouseSettings
from connectors.clickhouse import ClickHouseSink, open_clickhouse
from connectors.kafka_io import (
    KafkaUnavailable,
    check_broker,
    delete_groups,
    delete_topics,
    ensure_topics,
    make_producer,
    produce_retrying,
)
from pipelines.runner import WorkerProcess, targets_for, wait_caught_up
from pipelines.stages import stage_env
from schemas.registry import sink_topics
from schemas.topics import INPUT_TOPICS, TOPICS

BOOTSTRAP = os.environ.get("AIOPS_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
SERVER_URL = os.environ.get("AIOPS_TEST_CLICKHOUSE_URL")
REDIS_URL = os.environ.get("AIOPS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def bootstrap() -> str:
    try:
        check_broker(BOOTSTRAP, timeout_s=15)
    except KafkaUnavailable as exc:
        pytest.fail(f"{exc}\nIntegration tests need the real broker: run `make test`, which "
                    "starts it, or `aiops services up` first.", pytrace=False)
    return BOOTSTRAP


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=5).ping()
    except redis.RedisError as exc:
        pytest.fail(f"no Redis at {REDIS_URL} ({exc}); run `make test` or `aiops services up`",
                    pytrace=False)
    return REDIS_URL


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PipelineRun:
    """One isolated pipeline: its own topics, group, ClickHouse directory and worker(s)."""

    bootstrap: str
    workdir: Path
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    extra_env: dict[str, str] = field(default_factory=dict)
    workers: list[WorkerProcess] = field(default_factory=list)

    @property
    def prefix(self) -> str:
        return f"it-{self.run_id}."

    @property
    def group(self) -> str:
        return f"it-{self.run_id}"

    @property
    def chdb_path(self) -> Path:
        return self.workdir / "chdb"

    def env(self) -> dict[str, str]:
        """Ingest only; every registered stage off (a test turns on the one it needs) and in a
        consumer group of this run (``<group>-<stage>``)."""
        stages = stage_env(self.group, enabled=set())
        return {"AIOPS_KAFKA_BOOTSTRAP": self.bootstrap, "AIOPS_KAFKA_TOPIC_PREFIX": self.prefix,
                "AIOPS_INGEST_GROUP_ID": self.group,
                "AIOPS_CLICKHOUSE_CHDB_PATH": str(self.chdb_path),
                "AIOPS_INGEST_BATCH_MAX_WAIT_S": "0.2", **stages, **self.extra_env}

    def start_worker(self, port: int | None = None, **env: str) -> WorkerProcess:
        """``port``: reuse a killed worker's web port, i.e. its slot (and transactional ids)."""
        n = len(self.workers)
        w = WorkerProcess({**self.env(), **env}, self.workdir / f"worker-{n}.log",
                          port or free_port())
        self.workers.append(w)
        return w.start()

    def produce(self, events) -> None:
        p = make_producer(self.bootstrap)
        for e in events:
            produce_retrying(p, self.prefix + e.topic, e.value, e.key)
        assert p.flush(60) == 0, "events not acknowledged by Kafka"

    def wait_caught_up(self, worker: WorkerProcess | None = None, timeout_s: float = 180) -> None:
        targets = targets_for(self.bootstrap, [self.prefix + t for t in INPUT_TOPICS])
        wait_caught_up(self.bootstrap, self.group, targets, timeout_s=timeout_s, worker=worker)

    def wait_stage_then_ingest(self, worker: WorkerProcess, stage: str, topic: str,
                               timeout_s: float = 180) -> None:
        """Wait for a stage's group to consume ``topic``, then for ingest to write its output."""
        source = targets_for(self.bootstrap, [self.prefix + topic])
        wait_caught_up(self.bootstrap, f"{self.group}-{stage}", source, timeout_s=timeout_s,
                       worker=worker)
        sinks = targets_for(self.bootstrap, [self.prefix + t for t in sink_topics()])
        wait_caught_up(self.bootstrap, self.group, sinks, timeout_s=timeout_s, worker=worker)

    def clickhouse(self) -> ClickHouseSink:
        return open_clickhouse(ClickHouseSettings(chdb_path=self.chdb_path), owner="tests")


@pytest.fixture
def pipeline(bootstrap: str, tmp_path: Path) -> Iterator[PipelineRun]:
    run = PipelineRun(bootstrap, tmp_path)
    ensure_topics(bootstrap, run.prefix)
    yield run
    for w in run.workers:
        w.stop(timeout_s=15)  # a graceful stop leaves the consumer groups, so they can go
    delete_topics(bootstrap, [run.prefix + t.name for t in TOPICS])
    delete_groups(bootstrap, [run.group] + [g for k, g in run.env().items()
                                            if k.endswith("_GROUP_ID")])


@pytest.fixture(params=["chdb", "server"])
def sink(request, tmp_path):
    """A fresh database on each transport: embedded, and a server when
    AIOPS_TEST_CLICKHOUSE_URL names one (the same DDL and queries)."""
    if request.param == "server":
        if not SERVER_URL:
            pytest.skip("no ClickHouse server here: set AIOPS_TEST_CLICKHOUSE_URL "
                        "(e.g. http://default:@127.0.0.1:8123 with docker compose up) to run")
        settings = ClickHouseSettings(url=SERVER_URL, database=f"t_{uuid.uuid4().hex[:12]}")
    else:
        settings = ClickHouseSettings(chdb_path=tmp_path / "chdb")
    s = open_clickhouse(settings, owner="tests")
    yield s
    if request.param == "server":
        s.transport.command(f"DROP DATABASE IF EXISTS {settings.database}")
    s.close()
