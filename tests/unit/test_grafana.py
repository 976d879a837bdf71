"""The Grafana provisioning of the compose stack: files where compose mounts them, dashboards
that Grafana can load, and every panel's SQL run on the embedded engine with demo-like data,
Grafana's macros expanded as the ClickHouse plugin expands them (pkg/macros/macros.go)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from tests.unit.demo_rows import END, demo_rows

ROOT = Path(__file__).resolve().parents[2]
GRAFANA = ROOT / "deploy" / "grafana"
PLUGIN = "grafana-clickhouse-datasource"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_mounts_the_provisioning_and_installs_the_plugin() -> None:
    grafana = compose()["services"]["grafana"]
    mounts = dict(v.split(":")[:2] for v in grafana["volumes"] if v.startswith("./"))
    assert mounts == {"./deploy/grafana/provisioning": "/etc/grafana/provisioning",
                      "./deploy/grafana/dashboards": "/etc/grafana/dashboards"}
    for src in mounts:
        assert (ROOT / src).is_dir()
    assert PLUGIN in grafana["environment"]["GF_PLUGINS_PREINSTALL"].split(",")
    assert "clickhouse" in grafana["depends_on"]
    assert "configs" not in compose() or "grafana-datasources" not in compose()["configs"]


def test_provisioned_data_sources_and_dashboard_folder() -> None:
    ds = yaml.safe_load((GRAFANA / "provisioning/datasources/aiops.yml").read_text())
    ch = {d["uid"]: d for d in ds["datasources"] if d["type"] == PLUGIN}
    assert set(ch) == {"aiops-clickhouse", "aiops-clickhouse-worker"}
    server = ch["aiops-clickhouse"]["jsonData"]
    assert (server["host"], server["port"], server["protocol"], server["defaultDatabase"]) == (
        "clickhouse", 8123, "http", "aiops")
    assert ch["aiops-clickhouse-worker"]["jsonData"]["port"] == 6066
    assert sum(d.get("isDefault", False) for d in ds["datasources"]) == 1
    prov = yaml.safe_load((GRAFANA / "provisioning/dashboards/aiops.yml").read_text())
    assert [p["options"]["path"] for p in prov["providers"]] == ["/etc/grafana/dashboards"]


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_dashboard_structure(path: Path) -> None:
    d = json.loads(path.read_text())
    assert d["uid"].startswith("aiops-") and d["title"] and d["panels"]
    assert [v["name"] for v in d["templating"]["list"]] == ["datasource", "tenant"]
    ids = [p["id"] for p in d["panels"]]
    assert len(ids) == len(set(ids))
    for p in d["panels"]:
        assert p["type"] in {"stat", "table", "timeseries"} and p["title"]
        assert p["datasource"] == {"type": PLUGIN, "uid": "${datasource}"}
        assert set(p["gridPos"]) == {"x", "y", "w", "h"} and p["gridPos"]["x"] + \
            p["gridPos"]["w"] <= 24
        [target] = p["targets"]
        assert target["editorType"] == "sql" and target["rawSql"].strip()
        ts = p["type"] == "timeseries"
        assert target["format"] == (0 if ts else 1)
        if ts:
            assert re.match(r"SELECT\s+\S.* AS time\b", target["rawSql"], re.S)


# --- the SQL on the embedded engine -----------------------------------------------------------

FROM, TO, INTERVAL = END - timedelta(hours=24), END, 60


def expand(sql: str, tenant: str) -> str:
    """Grafana's template variables and the ClickHouse plugin's macros, for [FROM, TO]."""
    f, t = int(FROM.timestamp()), int(TO.timestamp())
    sql = sql.replace("${tenant:sqlstring}", "'" + tenant.replace("'", "''") + "'")
    sql = re.sub(r"\$__timeFilter\(([^)]+)\)",
                 lambda m: f"{m[1]} >= toDateTime({f}) AND {m[1]} <= toDateTime({t})", sql)
    sql = re.sub(r"\$__timeInterval\(([^)]+)\)",
                 lambda m: f"toStartOfInterval(toDateTime({m[1]}), INTERVAL {INTERVAL} second)",
                 sql)
    sql = (sql.replace("$__fromTime", f"toDateTime({f})").replace("$__toTime", f"toDateTime({t})")
           .replace("$__interval_s", str(INTERVAL)))
    assert "$" not in sql, f"a macro or variable the test does not expand: {sql}"
    return sql


def queries() -> list[tuple[str, str]]:
    out = []
    for path in DASHBOARDS:
        d = json.loads(path.read_text())
        for v in d["templating"]["list"]:
            if v["type"] == "query":
                out.append((f"{path.stem}: variable {v['name']}", v["query"]))
        out += [(f"{path.stem}: {p['title']}", p["targets"][0]["rawSql"]) for p in d["panels"]]
    return out


def test_every_panel_query_runs_on_the_embedded_engine(tmp_path: Path) -> None:
    from connectors.clickhouse import ChdbTransport, ClickHouseSink
    from schemas.clickhouse import dlq_row

    sink = ClickHouseSink(ChdbTransport(tmp_path), "aiops")
    try:
        sink.ensure_schema()
        sink.write(demo_rows())
        sink.write({"dlq": [dlq_row(topic="telemetry.metrics", partition=0, offset=i,
                                    timestamp_ms=int(TO.timestamp() * 1000) - 60_000 * i,
                                    raw=b"not json", reason_code="not_json", error="bad",
                                    tenant_id="acme") for i in range(3)]})
        empty = []
        for name, sql in queries():
            for tenant in ("__all", "acme"):
                try:
                    rows = sink.query(expand(sql, tenant))
                except Exception as exc:
                    raise AssertionError(f"{name} ({tenant}): {exc}") from None
                if tenant == "__all" and not rows:
                    empty.append(name)
                if tenant == "acme" and "variable" not in name:
                    assert {r.get("tenant_id", "acme") for r in rows} <= {"acme"}, name
    finally:
        sink.close()
    assert empty == [], f"no rows from demo-like data: {empty}"
