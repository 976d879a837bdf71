"""`aiops watch` against the real Redis: tenant isolation, folding, errors and the live loop.

Each test writes under its own key prefix (AIOPS_REDIS_KEY_PREFIX=it-<uuid>:) and deletes
its keys after.
"""

from __future__ import annotations

import io
import os
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson
import pytest
import redis
from click.testing import CliRunner, Result
from rich.console import Console

from connectors.redis_feed import feed
from pipelines.watch import connect, load, watch_command, watch_live
from schemas.notify import IncidentBrief, Notification
from tests.integration.conftest import free_port


@dataclass
class Feed:
    client: redis.Redis
    prefix: str

    def append(self, tenant: str, iid: str, title: str, *, version: int = 1,
               state: str = "open", idle_s: float = 1, severity: str = "warning") -> str:
        now = datetime.now(UTC)
        inc = IncidentBrief(incident_id=iid, version=version, state=state, title=title,
                            severity=severity, first_seen=now - timedelta(minutes=5),
                            last_seen=now - timedelta(seconds=idle_s), alert_count=version)
        n = Notification(notification_id=uuid.uuid4().hex, dedup_key=uuid.uuid4().hex,
                         receiver="noc", receiver_type="redis", route="root/0",
                         group_key=iid, status="resolved" if state == "resolved" else "firing",
                         reason="new", severity=severity, title=title, incidents=[inc],
                         sequence=version, created_at=now, source_time=now)
        return feed.append(self.client, n, tenant, prefix=self.prefix)


@pytest.fixture
def redis_feed(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Feed]:
    prefix = f"it-{uuid.uuid4().hex[:12]}:"
    monkeypatch.setenv("AIOPS_REDIS_URL", redis_url)
    monkeypatch.setenv("AIOPS_REDIS_KEY_PREFIX", prefix)
    monkeypatch.setenv("COLUMNS", "200")  # rich: wide enough that titles are not wrapped
    client = redis.Redis.from_url(redis_url, socket_timeout=5)
    yield Feed(client, prefix)
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


def watch(*args: str) -> Result:
    return CliRunner().invoke(watch_command, list(args))


def listed(*args: str) -> list[dict]:
    result = watch(*args, "--once", "--json")
    assert result.exit_code == 0, result.output
    return orjson.loads(result.stdout)


def test_a_tenant_never_sees_another_tenants_incidents(redis_feed: Feed) -> None:
    redis_feed.append("acme", "a-1", "acme disk full")
    redis_feed.append("globex", "g-1", "globex cpu hot")
    result = watch("--tenant", "acme", "--once")
    assert result.exit_code == 0, result.output
    assert "acme disk full" in result.stdout and "globex" not in result.stdout
    assert [i["incident_id"] for i in listed("--tenant", "globex")] == ["g-1"]


def test_later_version_replaces_earlier_and_resolved_leaves(redis_feed: Feed) -> None:
    redis_feed.append("acme", "a-1", "cpu high", version=1)
    redis_feed.append("acme", "a-1", "cpu very high", version=2, severity="critical")
    rows = listed("--tenant", "acme")
    assert [(r["title"], r["version"], r["severity"]) for r in rows] == [
        ("cpu very high", 2, "critical")]
    redis_feed.append("acme", "a-1", "cpu very high", version=3, state="resolved", idle_s=5)
    kept = watch("--tenant", "acme", "--once", "--keep-resolved", "30")
    assert "cpu very high" in kept.stdout and "resolved" in kept.stdout
    assert "0 open" in kept.stdout
    gone = watch("--tenant", "acme", "--once", "--keep-resolved", "2")
    assert "cpu very high" not in gone.stdout and "no open incidents" in gone.stdout
    assert listed("--tenant", "acme", "--keep-resolved", "2") == []


def test_tenant_is_found_when_alone_and_must_be_chosen_among_several(redis_feed: Feed) -> None:
    redis_feed.append("acme", "a-1", "acme disk full")
    alone = watch("--once")
    assert alone.exit_code == 0, alone.output
    assert "acme disk full" in alone.stdout
    redis_feed.append("globex", "g-1", "globex cpu hot")
    several = watch("--once")
    assert several.exit_code == 2
    assert "several tenants have a feed: acme, globex" in several.output
    assert "--tenant" in several.output


def test_unknown_tenant_waits_with_a_note(redis_feed: Feed) -> None:
    redis_feed.append("acme", "a-1", "acme disk full")
    result = watch("--tenant", "initech", "--once")
    assert result.exit_code == 0
    assert "no open incidents" in result.stdout
    assert "tenant 'initech' has no feed yet" in result.stderr and "acme" in result.stderr


def test_redis_down_at_start_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    monkeypatch.setenv("AIOPS_REDIS_URL", url)
    for args in (["--tenant", "acme", "--once"], ["--tenant", "acme"], []):
        result = watch(*args)
        assert result.exit_code == 1
        assert f"cannot reach Redis at {url}" in result.output
        assert "aiops services up redis" in result.output
        assert "Traceback" not in result.output


def test_live_view_shows_an_entry_appended_while_it_runs(redis_feed: Feed) -> None:
    tenant = f"live-{uuid.uuid4().hex[:8]}"
    redis_feed.append(tenant, "i-1", "there before the start")
    results: list[Result] = []
    runner = threading.Thread(target=lambda: results.append(
        watch("--tenant", tenant, "--refresh", "0.2", "--for", "3")))
    runner.start()
    try:
        wait_until_blocked_reading(redis_feed.client)
        redis_feed.append(tenant, "i-2", "appended while watching", severity="critical")
    finally:
        runner.join(timeout=20)
    assert not runner.is_alive() and results
    assert results[0].exit_code == 0, results[0].output
    out = results[0].stdout
    assert "appended while watching" in out and "there before the start" in out
    assert out.index("appended while watching") < out.index("there before the start")
    assert "1 critical" in out and "live" in out


def test_live_view_recovers_after_redis_errors(redis_feed: Feed, redis_url: str) -> None:
    """Errors mid-run (a restart, a failover) show 'reconnecting…', then the view resyncs."""
    redis_feed.append("acme", "a-1", "before the outage")
    client = connect(redis_url, timeout_s=2)
    incidents = load(client, "acme", redis_feed.prefix, 60)
    flaky = Flaky(client, failures=2)
    redis_feed.append("acme", "a-2", "during the outage")
    console = Console(record=True, width=200, file=io.StringIO())
    try:
        watch_live(flaky, incidents, tenant="acme", prefix=redis_feed.prefix, refresh_s=0.2,
                   timeout_s=2, for_s=2.5, console=console)
    finally:
        client.close()
    out = console.export_text()
    assert flaky.failed == 2
    assert "before the outage" in out and "during the outage" in out
    assert "reconnecting" not in out and "live" in out


class Flaky:
    """A Redis client whose first reads fail as if the server were restarting."""

    def __init__(self, client: redis.Redis, failures: int) -> None:
        self.client, self.left, self.failed = client, failures, 0

    def xread(self, *args, **kwargs):
        if self.left:
            self.left -= 1
            self.failed += 1
            raise redis.ConnectionError("Connection reset by peer (simulated)")
        return self.client.xread(*args, **kwargs)

    def xrevrange(self, *args, **kwargs):
        return self.client.xrevrange(*args, **kwargs)


def wait_until_blocked_reading(client: redis.Redis, timeout_s: float = 15) -> None:
    """Until this process's watcher is blocked in XREAD: its first read of the tail is done,
    so what is appended next can only arrive through the live loop."""
    name = f"aiops-watch-{os.getpid()}"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if any(c.get("name") == name and c.get("cmd") == "xread" and "b" in c.get("flags", "")
               for c in client.client_list()):
            return
        time.sleep(0.02)
    raise AssertionError(f"no Redis client named {name} blocked in XREAD")
