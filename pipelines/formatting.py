"""How `aiops query` prints rows: an aligned table, or CSV (nested values as JSON)."""

from __future__ import annotations


def format_csv(rows: list[dict]) -> str:
    import csv
    import io

    import orjson

    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    if rows:
        w.writerow(list(rows[0]))
    for r in rows:
        w.writerow([v if v is None or isinstance(v, str | int | float) else
                    orjson.dumps(v, default=str).decode() for v in r.values()])
    return out.getvalue()


def format_table(rows: list[dict]) -> str:
    if not rows:
        return "(no rows)"
    cols = list(rows[0])
    cells = [[str(r.get(c, "")) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    line = "  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True))
    body = ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join([line, "  ".join("-" * w for w in widths), *body])
