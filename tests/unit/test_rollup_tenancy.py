"""A tenant on the embedded SQL endpoint reads the rollups through its own filter, like every
raw table, and never the views that fill them."""

from __future__ import annotations

import pytest

from connectors.clickhouse.readonly_sql import (
    Limits,
    Principal,
    SqlError,
    Statement,
    check_tenant_tables,
    setup_statements,
)
from schemas.rollups import rollup_tables

ACME = Principal("acme", "acme")


def test_every_rollup_table_gets_the_tenant_filter() -> None:
    setup = setup_statements(ACME, Limits(), "aiops", {})[0]
    assert len(rollup_tables()) == 11
    for table in rollup_tables():
        assert f"'aiops.{table}': 'tenant_id = \\'acme\\''" in setup, table


def test_tenants_read_rollup_tables_but_not_their_views() -> None:
    existing = {("aiops", t) for t in rollup_tables()} | {
        ("aiops", f"{t}_mv") for t in rollup_tables()}
    check_tenant_tables(Statement(None, frozenset(("aiops", t) for t in rollup_tables())),
                        ACME, "aiops", "aiops", existing)
    with pytest.raises(SqlError, match="metrics_1m_mv"):
        check_tenant_tables(Statement(None, frozenset({("aiops", "metrics_1m_mv")})),
                            ACME, "aiops", "aiops", existing)
