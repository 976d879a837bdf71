"""Named queries through a running worker's read-only endpoint: the rollups answer as the raw
rows do, and a tenant's credentials see only that tenant whatever the command line asks."""

from __future__ import annotations

import math
import subprocess
import sys
from datetime import UTC, datetime

import orjson
import pytest

from connectors.demo_source import DemoStream

pytestmark = pytest.mark.integration

TOKENS = {"acme": "acme-named-token-0123456789", "globex": "globex-named-token-0123456789"}
ADMIN = "admin-named-token-0123456789"


def _query(worker, *args: str, **env: str) -> list[dict]:
    out = subprocess.run([sys.executable, "-m", "pipelines.cli", "query", *args,
                          "--format", "json"], env={**worker.env, **env},
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return [orjson.loads(line) for line in out.stdout.splitlines()]


def same(a: list[dict], b: list[dict]) -> bool:
    """Equal rows, floats to 1e-9 relative (sums run in another order on rollups)."""
    def eq(x, y) -> bool:
        if isinstance(x, list) and isinstance(y, list):
            return len(x) == len(y) and all(map(eq, x, y))
        if isinstance(x, float) or isinstance(y, float):
            return math.isclose(x, y, rel_tol=1e-9)
        return x == y
    return len(a) == len(b) and all(r.keys() == s.keys() and all(eq(r[k], s[k]) for k in r)
                                    for r, s in zip(a, b, strict=True))


def test_named_queries_through_a_running_worker(pipeline) -> None:
    tokens = ",".join(f"{t}={tok}" for t, tok in TOKENS.items())
    w = pipeline.start_worker(AIOPS_GATEWAY_TOKENS=tokens, AIOPS_WEB_ADMIN_TOKEN=ADMIN)
    pipeline.produce(DemoStream(3, hours=3, end=datetime.now(UTC)).all(invalid_ratio=0))
    pipeline.wait_caught_up(w)

    for name in ("noisiest-alertnames", "metric-summary", "content-gaps"):
        fast = _query(w, name, "--since", "6h", "--limit", "500")
        assert fast, name
        assert same(fast, _query(w, name, "--since", "6h", "--limit", "500", "--no-rollups")), name
        assert {r["tenant_id"] for r in fast} == {"acme", "globex", "initech"}, name
        # an admin's --tenant is a filter
        assert {r["tenant_id"] for r in _query(w, name, "--since", "6h", "--tenant", "acme")
                } == {"acme"}
        # a tenant sees its rows only, without asking, and cannot ask for another's
        mine = _query(w, name, "--since", "6h", "--limit", "500", "--user", "globex",
                      CLICKHOUSE_PASSWORD=TOKENS["globex"])
        assert same(mine, [r for r in fast if r["tenant_id"] == "globex"]), name
        assert _query(w, name, "--since", "6h", "--tenant", "acme", "--user", "globex",
                      CLICKHOUSE_PASSWORD=TOKENS["globex"]) == []
    # the rollup tables themselves are filtered for a tenant too
    rows = _query(w, "SELECT DISTINCT tenant_id FROM aiops.metrics_1h", "--user", "acme",
                  CLICKHOUSE_PASSWORD=TOKENS["acme"])
    assert rows == [{"tenant_id": "acme"}]
    assert w.proc is not None and w.proc.poll() is None, "the worker must still be running"
