"""Reading the embedded ClickHouse while a real worker owns it: `aiops query`, clickhouse-connect
and tenant-scoped credentials against the worker's ClickHouse HTTP endpoint."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import clickhouse_connect
import orjson
import pytest
from clickhouse_connect.driver.exceptions import DatabaseError

from connectors.clickhouse import ServerTransport
from connectors.demo_source import Produced
from schemas.registry import event_type
from tests.unit.examples import valid

pytestmark = pytest.mark.integration

TOKENS = {"acme": "acme-sql-token-0123456789", "globex": "globex-sql-token-0123456789"}
ADMIN = "admin-sql-token-0123456789"


def _events() -> list[Produced]:
    """Metrics, incidents, alerts and their assignments of two tenants (acme 3 each, globex 2
    each)."""
    out = []
    for tenant, n in (("acme", 3), ("globex", 2)):
        for i in range(n):
            for etype in ("metric.sample", "aiops.incident", "alert", "aiops.alert-assignment"):
                ev = valid(etype)
                ev.update(id=f"{tenant}-{etype}-{i}", tenant_id=tenant)
                if etype in ("aiops.incident", "aiops.alert-assignment"):
                    ev["data"]["incident_id"] = f"inc-{tenant}-{i}"
                out.append(Produced(event_type(etype).topic, tenant.encode(),
                                    orjson.dumps(ev), True))
    return out


def _aiops_query(worker, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipelines.cli", "query", *args],
                          env={**worker.env, **env}, capture_output=True, text=True, timeout=120)


def _client(worker, user: str, password: str):
    return clickhouse_connect.get_client(host="127.0.0.1", port=worker.web_port,
                                         username=user, password=password)


def test_zero_config_local_worker_answers_aiops_query_and_clients(pipeline) -> None:
    """No token anywhere and a loopback web host: the demo's setup, reads just work."""
    w = pipeline.start_worker()
    pipeline.produce(_events())
    pipeline.wait_caught_up(w)

    out = _aiops_query(w, "SELECT tenant_id, count() AS n FROM aiops.metrics_v "
                          "GROUP BY tenant_id ORDER BY tenant_id", "--format", "json")
    assert out.returncode == 0, out.stderr
    assert [orjson.loads(x) for x in out.stdout.splitlines()] == [
        {"tenant_id": "acme", "n": 3}, {"tenant_id": "globex", "n": 2}]
    csv = _aiops_query(w, "SELECT tenant_id, count() AS n FROM aiops.metrics GROUP BY 1 "
                          "ORDER BY 1", "--format", "csv")
    assert csv.stdout == "tenant_id,n\nacme,3\nglobex,2\n", csv.stderr
    table = _aiops_query(w, "SELECT count() AS n FROM aiops.incidents_current")
    assert table.returncode == 0 and table.stdout.split()[-1] == "5", table.stderr

    rows = _client(w, "default", "").query("SELECT count() FROM aiops.alerts FINAL").result_rows
    assert rows == [(5,)]
    # the pipeline's own server transport reads a running worker as it reads a server
    server = ServerTransport(f"http://default:@127.0.0.1:{w.web_port}", "aiops")
    try:
        assert server.query_rows("SELECT id FROM aiops.incidents_current ORDER BY id LIMIT 1"
                                 ) == [{"id": "acme-aiops.incident-0"}]
    finally:
        server.close()
    bad = _aiops_query(w, "DROP TABLE aiops.metrics")
    assert bad.returncode != 0 and "READONLY" in bad.stderr and "164" in bad.stderr
    with urllib.request.urlopen(w.url("/ping"), timeout=5) as resp:
        assert resp.read() == b"Ok.\n"


def test_tenants_see_only_their_rows_and_nobody_writes(pipeline) -> None:
    tokens = ",".join(f"{t}={tok}" for t, tok in TOKENS.items())
    w = pipeline.start_worker(AIOPS_GATEWAY_TOKENS=tokens, AIOPS_WEB_ADMIN_TOKEN=ADMIN)
    pipeline.produce(_events())
    pipeline.wait_caught_up(w)

    admin = _client(w, "admin", ADMIN)
    acme = _client(w, "acme", TOKENS["acme"])
    by_tenant = "SELECT tenant_id, count() FROM aiops.{} GROUP BY tenant_id ORDER BY tenant_id"
    for table in ("metrics", "metrics_v", "incidents_current"):
        assert admin.query(by_tenant.format(table)).result_rows == [("acme", 3), ("globex", 2)]
        assert acme.query(by_tenant.format(table)).result_rows == [("acme", 3)]
    # views, FINAL, subqueries and joins all read through the tenant's filter
    assert acme.command("SELECT count() FROM aiops.alerts AS a FINAL JOIN aiops.metrics AS m "
                        "ON a.tenant_id = m.tenant_id WHERE m.tenant_id != 'acme'") == 0
    df = acme.query_df("SELECT * FROM aiops.incidents_v")
    assert set(df["tenant_id"]) == {"acme"}

    for sql, code in [
        ("SELECT * FROM aiops.metrics SETTINGS additional_table_filters = {'aiops.metrics': '1'}",
         164),                                                       # no own filters
        ("SELECT count() FROM merge('aiops', '^metrics$')", 497),   # bypasses the filters
        ("SELECT query FROM system.processes", 497),
        ("INSERT INTO aiops.metrics (id, tenant_id) VALUES ('x', 'globex')", 164),
        ("DROP TABLE aiops.metrics", 164),
        ("SELECT 1; DROP TABLE aiops.metrics", 62),
        ("SELECT tenant_id FROM aiops.metrics WHERE", 62),
        ("SELECT nope FROM aiops.metrics", 47),
    ]:
        with pytest.raises(DatabaseError) as err:
            acme.command(sql)
        assert f"Code: {code}." in str(err.value), (sql, str(err.value))
    noise = "SELECT tenant_id, notifications, incidents FROM aiops.alert_noise ORDER BY 1"
    assert admin.query(noise).result_rows == [("acme", 3, 3), ("globex", 2, 2)]
    assert acme.query(noise).result_rows == [("acme", 3, 3)]
    assert acme.command("SELECT count() > 0 FROM system.tables WHERE database = 'aiops'") == 1
    for sql in ("DROP TABLE aiops.metrics", "SELECT 1 INTO OUTFILE 'leak.txt'",
                "SELECT file('/etc/hostname')"):
        with pytest.raises(DatabaseError, match=r"READONLY|ACCESS_DENIED"):
            admin.command(sql)
    with pytest.raises(DatabaseError, match="AUTHENTICATION_FAILED"):
        _client(w, "acme", TOKENS["globex"])

    # a plain HTTP client gets ClickHouse's status, code header and message
    req = urllib.request.Request(w.url("/?user=acme&password=" + TOKENS["acme"]),
                                 data=b"SELEC 1", method="POST")
    with pytest.raises(urllib.error.HTTPError) as http_err:
        urllib.request.urlopen(req, timeout=10)
    assert http_err.value.code == 400
    assert http_err.value.headers["X-ClickHouse-Exception-Code"] == "62"
    assert http_err.value.read().startswith(b"Code: 62. DB::Exception: Syntax error")

    # `aiops query` uses AIOPS_WEB_ADMIN_TOKEN from its environment, or a tenant's login
    out = _aiops_query(w, "SELECT DISTINCT tenant_id FROM aiops.metrics ORDER BY 1",
                       "--format", "csv")
    assert out.stdout == "tenant_id\nacme\nglobex\n", out.stderr
    out = _aiops_query(w, "SELECT DISTINCT tenant_id FROM aiops.metrics", "--format", "csv",
                       "--user", "globex", CLICKHOUSE_PASSWORD=TOKENS["globex"])
    assert out.stdout == "tenant_id\nglobex\n", out.stderr
    assert w.proc is not None and w.proc.poll() is None, "the worker must still be running"


def test_a_long_query_does_not_hold_up_ingest(pipeline) -> None:
    """A query runs on a connection of its own: inserts go on beside it (on one shared chdb
    session a 3 s query held an insert back 2.8 s)."""
    w = pipeline.start_worker()
    done: dict[str, float] = {}

    def slow() -> None:
        _client(w, "default", "").command("SELECT sleepEachRow(0.3) FROM numbers(10)")
        done["query"] = time.monotonic()

    start = time.monotonic()
    t = threading.Thread(target=slow)
    t.start()
    time.sleep(0.5)
    pipeline.produce(_events())
    pipeline.wait_caught_up(w)
    done["ingest"] = time.monotonic()
    t.join(30)
    timings = {k: round(v - start, 2) for k, v in done.items()}
    assert timings["query"] >= 2.9 and timings["ingest"] < timings["query"], timings
