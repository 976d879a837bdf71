"""The local services that `make test` starts are real and usable."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import redis
from confluent_kafka.admin import AdminClient

ROOT = Path(__file__).resolve().parents[2]


def test_kafka_is_a_real_kraft_broker(bootstrap: str) -> None:
    meta = AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10)
    assert len(meta.brokers) == 1
    assert meta.controller_id is not None and meta.controller_id >= 0


def test_redis_keys_expire(redis_url: str) -> None:
    r = redis.Redis.from_url(redis_url)
    key = f"aiops-test:{uuid.uuid4().hex}"
    try:
        assert r.set(key, "1", px=5_000, nx=True)
        assert not r.set(key, "2", px=5_000, nx=True), "NX must refuse a second writer"
        assert 0 < r.pttl(key) <= 5_000
    finally:
        r.delete(key)
        r.close()


def test_services_script_reports_status() -> None:
    out = subprocess.run(["bash", str(ROOT / "scripts" / "services.sh"), "status"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert "kafka" in out.stdout and "redis" in out.stdout
