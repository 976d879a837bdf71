"""docs/tables.md and the named-query section of docs/querying.md are generated from the code:
they fail here, naming the fix, as soon as a column comment, a table or a query changes."""

from __future__ import annotations

from pipelines.docgen import ROOT, main, outputs
from pipelines.named_queries import NAMED_QUERIES
from schemas.clickhouse import TABLES
from schemas.rollups import rollup_tables


def test_generated_docs_are_up_to_date() -> None:
    stale = [str(p.relative_to(ROOT)) for p, text in outputs().items() if p.read_text() != text]
    assert not stale, f"{stale} differ from what the code generates: run python -m pipelines.docgen"
    assert main(["--check"]) == 0


def test_generated_docs_name_every_table_column_and_query() -> None:
    docs = outputs()
    tables = next(text for p, text in docs.items() if p.name == "tables.md")
    querying = next(text for p, text in docs.items() if p.name == "querying.md")
    for t in TABLES.values():
        assert f"## `{t.name}`" in tables
        for c in t.column_defs():
            assert f"| `{c.name}` |" in tables and c.comment in tables, (t.name, c.name)
    for name in rollup_tables():
        assert f"`{name}`" in tables, name
    for q in NAMED_QUERIES.values():
        assert f"### `{q.name}`" in querying and q.sql.strip() in querying
