"""Read-only, tenant-scoped SQL on the embedded engine, enforced by the engine itself.

Each query gets a connection of its own (``ChdbTransport.read_session``), prepared with
``SET max_execution_time, max_result_bytes[, additional_table_filters = {every table:
tenant_id = '<tenant>'}]`` and then ``SET readonly = 1``. From then on ClickHouse refuses
writes, DDL and any change of a setting, in the query's SETTINGS clause included, and the
filters apply wherever a table is read: directly, with FINAL, in subqueries, joins and inside
the ``*_v``, ``incidents_current`` and ``alert_noise`` views.

chdb is clickhouse-local, and there readonly mode leaves holes a server would close, so the
statement is parsed by the engine first (``formatQuerySingleLine``: exactly one statement; its
output is the text that runs) and its AST (``EXPLAIN AST``) checked for them:

- ``INTO OUTFILE`` writes a file and the ``file()`` function reads any file of the process;
- table functions such as ``merge()`` read tables without ``additional_table_filters``;
- system tables such as ``system.processes`` show other queries' text (an INSERT's has rows).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from schemas.clickhouse import TABLES, extra_views
from schemas.rollups import rollup_tables


@dataclass(frozen=True, slots=True)
class Principal:
    user: str
    tenant: str | None = None  # None: admin, reads every tenant (still read-only)


@dataclass(frozen=True, slots=True)
class Limits:
    timeout_s: float = 30.0
    max_result_bytes: int = 100_000_000
    max_memory_bytes: int = 2_000_000_000  # a query's memory, so ingest's inserts keep theirs


@dataclass(slots=True)
class SqlQuery:
    sql: str
    fmt: str = "TabSeparated"
    database: str | None = None
    settings: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SqlResult:
    body: bytes
    fmt: str
    rows_read: int = 0
    bytes_read: int = 0
    elapsed_s: float = 0.0


class SqlError(Exception):
    """A ClickHouse-style error: its code, its symbolic name, and the message."""

    def __init__(self, code: int, name: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code, self.name, self.message, self.status = code, name, message, status

    def text(self, hint: str = "") -> str:
        message = self.message.rstrip(". ") + (f". {hint}" if hint else "")
        return f"Code: {self.code}. DB::Exception: {message}. ({self.name})"

    @classmethod
    def from_engine(cls, exc: Exception) -> SqlError:
        text = str(exc).strip()
        text = re.sub(r"^(Code: \d+\. DB::Exception: )(?=Code: \d+\.)", "", text)
        m = re.match(r"Code: (\d+)\. DB::Exception: (.*?)\.? \(([A-Z0-9_]+)\)"
                     r"(?: \(version [^)]*\)\.? \(\3\))?$", text, re.S)
        if not m:
            return cls(1001, "STD_EXCEPTION", text)
        return cls(int(m.group(1)), m.group(3), m.group(2))


def readonly_error(message: str) -> SqlError:
    return SqlError(164, "READONLY", message)


def denied(message: str) -> SqlError:
    return SqlError(497, "ACCESS_DENIED", message)


# --- settings a client may send -------------------------------------------------------------

_CAPPED = {"max_execution_time", "max_result_bytes", "max_memory_usage"}
_LIMITS = _CAPPED | {"max_result_rows", "max_rows_to_read", "max_bytes_to_read", "max_threads",
                     "max_block_size"}
_MODES = {"result_overflow_mode", "timeout_overflow_mode"}
_OUTPUT = {
    "date_time_output_format", "extremes", "join_use_nulls", "session_timezone",
    "output_format_json_quote_64bit_integers", "output_format_json_quote_64bit_floats",
    "output_format_json_quote_denormals", "output_format_json_quote_decimals",
    "output_format_json_named_tuples_as_objects", "output_format_json_array_of_rows",
    "output_format_write_statistics", "output_format_decimal_trailing_zeros",
    "output_format_csv_crlf", "output_format_tsv_crlf", "output_format_pretty_max_rows",
    "output_format_arrow_string_as_string", "output_format_arrow_low_cardinality_as_dictionary",
}


def client_settings(requested: Mapping[str, str], limits: Limits) -> dict[str, str]:
    """The settings a client asked for that only tighten limits (the endpoint's caps win) or
    shape the output; anything else is refused as a readonly server would."""
    caps = {"max_execution_time": limits.timeout_s, "max_result_bytes": limits.max_result_bytes,
            "max_memory_usage": limits.max_memory_bytes}
    out: dict[str, str] = {}
    for name, value in requested.items():
        if name == "readonly" and value in ("1", "2"):
            continue
        if name in _LIMITS:
            try:
                number = float(value)
            except ValueError:
                raise SqlError(72, "CANNOT_PARSE_NUMBER",
                               f"cannot parse {value!r} as a number for setting '{name}'") from None
            if number <= 0:
                raise readonly_error(f"Cannot modify '{name}' setting in readonly mode: "
                                     "0 (no limit) is not allowed here")
            if name in _CAPPED and number > caps[name]:
                value = str(caps[name])  # a client's own timeout (Grafana's) above the cap
        elif name in _MODES:
            if value not in ("throw", "break"):
                raise readonly_error(f"Cannot modify '{name}' setting in readonly mode")
        elif name not in _OUTPUT:
            raise readonly_error(
                f"Cannot modify '{name}' setting in readonly mode: the aiops SQL endpoint "
                "accepts only limit and output-format settings (docs/querying.md)")
        out[name] = value
    return out


def ch_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def setup_statements(who: Principal, limits: Limits, database: str,
                     requested: Mapping[str, str]) -> list[str]:
    """What runs on the query's connection before the query: limits, the tenant's filters
    (every table of ``TABLES`` and every rollup has ``tenant_id``), client settings, then
    readonly."""
    values = {"max_execution_time": str(limits.timeout_s),
              "max_result_bytes": str(limits.max_result_bytes),
              "max_memory_usage": str(limits.max_memory_bytes),
              "result_overflow_mode": "throw", **client_settings(requested, limits)}
    parts = [f"{name} = {ch_string(value)}" for name, value in values.items()]
    if who.tenant is not None:
        cond = f"tenant_id = {ch_string(who.tenant)}"
        filters = ", ".join(f"{ch_string(f'{database}.{t}')}: {ch_string(cond)}"
                            for t in [*TABLES, *rollup_tables()])
        parts.append(f"additional_table_filters = {{{filters}}}")
    return [f"SET {', '.join(parts)}", "SET readonly = 1"]


def tsv_escape(value: str) -> str:
    """A query-parameter value as ClickHouse parses it (escaped, as in TabSeparated)."""
    return (value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            .replace("\r", "\\r").replace("\0", "\\0"))


# --- the statement, as the engine parsed it -------------------------------------------------

@dataclass(slots=True)
class Node:
    kind: str
    name: str
    children: list[Node] = field(default_factory=list)

    def walk(self) -> Iterable[Node]:
        yield self
        for c in self.children:
            yield from c.walk()


def parse_ast(text: str) -> Node:
    """The tree of ``EXPLAIN AST`` output (one node a line, one space of indent a level)."""
    stack: list[tuple[int, Node]] = []
    root: Node | None = None
    for line in text.splitlines():
        if not line.strip():
            continue
        depth = len(line) - len(line.lstrip(" "))
        label = re.sub(r"\s*\(children \d+\)$", "", line.strip())
        label = re.sub(r" \(alias [^()]*\)$", "", label)
        kind, _, name = label.partition(" ")
        node = Node(kind, name.strip())
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if stack:
            stack[-1][1].children.append(node)
        elif root is None:
            root = node
        else:
            raise SqlError(49, "LOGICAL_ERROR", "unexpected EXPLAIN AST output")
        stack.append((depth, node))
    if root is None:
        raise SqlError(62, "SYNTAX_ERROR", "Empty query")
    return root


READ_KINDS = {
    "SelectWithUnionQuery", "SelectIntersectExceptQuery", "SelectQuery", "Explain",
    "ShowTables", "ShowColumns", "ShowFunctions", "ShowEngineQuery", "ShowCreateTableQuery",
    "ShowCreateViewQuery", "ShowCreateDatabaseQuery", "DescribeQuery", "ExistsTableQuery",
    "ExistsDatabaseQuery", "ExistsViewQuery",
}
ADMIN_KINDS = {"ShowProcesslistQuery"}
TABLE_FUNCTIONS = {"numbers", "numbers_mt", "zeros", "zeros_mt", "values", "generate_series",
                   "generateseries", "primes", "view", "null"}
ADMIN_TABLE_FUNCTIONS = {"merge"}
TENANT_SYSTEM_TABLES = {
    "one", "numbers", "numbers_mt", "zeros", "zeros_mt", "databases", "tables", "columns",
    "functions", "table_functions", "settings", "formats", "data_type_families",
    "time_zones", "table_engines", "build_options", "keywords", "collations",
    "aggregate_function_combinators",
}
_IN_FUNCTIONS = {"in", "notin", "globalin", "globalnotin", "nullin", "notnullin",
                 "globalnullin", "globalnotnullin"}


@dataclass(frozen=True, slots=True)
class Statement:
    fmt: str | None  # the FORMAT clause of the query, if it has one
    tables: frozenset[tuple[str | None, str]]  # (database or None, name) it reads


def check_statement(root: Node, canonical: str, who: Principal,
                    output_formats: Iterable[str]) -> Statement:
    """Refuse what readonly mode lets through; return the query's FORMAT and tables."""
    if root.kind not in READ_KINDS and not (root.kind in ADMIN_KINDS and who.tenant is None):
        raise readonly_error(
            f"Cannot execute query in readonly mode ({root.kind}): the aiops SQL endpoint runs "
            "SELECT, SHOW, DESCRIBE, EXISTS and EXPLAIN")
    if re.search(r"\bINTO OUTFILE\b", canonical):
        raise readonly_error("Cannot execute query in readonly mode: INTO OUTFILE writes a file")
    allowed_tf = TABLE_FUNCTIONS | (ADMIN_TABLE_FUNCTIONS if who.tenant is None else set())
    tables: set[tuple[str | None, str]] = set()
    for node in root.walk():
        if node.kind == "TableExpression":
            for c in node.children:
                if c.kind == "Function" and c.name.lower() not in allowed_tf:
                    raise denied(f"table function {c.name}() is not allowed on the aiops SQL "
                                 f"endpoint (allowed: {', '.join(sorted(allowed_tf))})")
                if c.kind == "TableIdentifier":
                    tables.add(_split_table(c.name, who))
        elif node.kind == "Function":
            fn = node.name.lower()
            if fn == "file" or (who.tenant is not None and fn.startswith(("dict", "joinget"))):
                raise denied(f"function {node.name}() is not allowed on the aiops SQL endpoint")
            args = node.children[0].children if node.children else []
            if fn in _IN_FUNCTIONS and len(args) == 2 and args[1].kind == "Identifier":
                tables.add(_split_table(args[1].name, who))
    return Statement(_format_of(root, canonical, output_formats), frozenset(tables))


def _split_table(name: str, who: Principal) -> tuple[str | None, str]:
    if who.tenant is not None and not re.fullmatch(r"\w+(\.\w+)?", name):
        raise denied(f"table name {name!r}: use plain database.table names")
    db, _, table = name.rpartition(".")
    return (db or None, table)


def _format_of(root: Node, canonical: str, output_formats: Iterable[str]) -> str | None:
    names = {f.lower(): f for f in output_formats}
    for child in reversed(root.children):
        if child.kind == "Set":
            continue
        if child.kind == "Identifier" and child.name.lower() in names and re.search(
                rf" FORMAT {re.escape(child.name)}(?: SETTINGS .*)?$", canonical):
            return child.name
        return None
    return None


def check_tenant_tables(stmt: Statement, who: Principal, current_db: str, pipeline_db: str,
                        existing: set[tuple[str, str]]) -> None:
    """A tenant reads the pipeline's tables (filtered), the sink's views over them and a few
    metadata tables; a name that is no table (a CTE, say) is left to the engine."""
    if who.tenant is None:
        return
    for db, name in stmt.tables:
        key = (db or current_db, name)
        if key not in existing or key[0].lower() == "information_schema":
            continue
        if key[0] == "system" and name in TENANT_SYSTEM_TABLES:
            continue
        if key[0] == pipeline_db and (name in TABLES or name in rollup_tables()
                                      or name in pipeline_views(pipeline_db)):
            continue
        raise denied(f"tenant {who.tenant!r} may not read {key[0]}.{name}: tenants read the "
                     f"{pipeline_db} tables and views and system metadata tables")


def pipeline_views(database: str) -> set[str]:
    """Views the sink creates, all over ``TABLES``: the filters apply inside them."""
    extra = {m.group(1) for v in extra_views(database)
             for m in [re.search(r"CREATE VIEW IF NOT EXISTS \S+\.(\w+)", v)] if m}
    return {f"{t}_v" for t in TABLES} | extra


# --- running it -----------------------------------------------------------------------------

_SPECIAL_FORMATS = {"dataframe", "arrowtable", "debug"}  # chdb's Python-side pseudo formats
_output_formats: list[str] = []
_timezone: list[str] = []


def server_timezone() -> str:
    return _timezone[0] if _timezone else "UTC"


def run_read(transport, q: SqlQuery, who: Principal, limits: Limits,
             pipeline_db: str) -> SqlResult:
    """Parse, check and run one statement on a connection of its own (blocking: call it from
    a thread, not the event loop)."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", q.fmt) or q.fmt.lower() in _SPECIAL_FORMATS:
        raise SqlError(73, "UNKNOWN_FORMAT", f"Unknown output format {q.fmt!r}")
    setup = setup_statements(who, limits, pipeline_db, q.settings)
    current_db = q.database or pipeline_db
    if not re.fullmatch(r"\w+", current_db):
        raise SqlError(81, "UNKNOWN_DATABASE", f"Database {current_db!r} does not exist")
    try:
        with transport.read_session() as conn:
            def run(sql: str, fmt: str = "RawBLOB", params: Mapping[str, str] | None = None):
                return conn.query(sql, fmt, params=dict(params or {}))

            for statement in setup:
                run(statement)
            run(f"USE {current_db}")
            if not _output_formats:
                _output_formats.extend(run("SELECT name FROM system.formats WHERE is_output",
                                           "TSVRaw").bytes().decode().split())
                _timezone.append(run("SELECT timezone()").bytes().decode())
            canonical = _canonical(run, q.sql)
            root = parse_ast(run("EXPLAIN AST " + canonical, "TSVRaw", q.params).bytes()
                             .decode())
            stmt = check_statement(root, canonical, who, _output_formats)
            if who.tenant is not None and stmt.tables:
                rows = run("SELECT database, name FROM system.tables", "TSVRaw")
                existing = {tuple(line.split("\t", 1)) for line in
                            rows.bytes().decode().splitlines()}
                check_tenant_tables(stmt, who, current_db, pipeline_db, existing)
            fmt = stmt.fmt or q.fmt
            res = run(canonical, fmt, q.params)
            return SqlResult(res.bytes(), fmt, res.rows_read(), res.bytes_read(),
                             res.elapsed())
    except SqlError:
        raise
    except RuntimeError as exc:  # ChdbError, or the transport closing
        raise SqlError.from_engine(exc) from None


def _canonical(run, sql: str) -> str:
    try:
        out = run("SELECT formatQuerySingleLine({q:String})", params={"q": tsv_escape(sql)})
    except RuntimeError as exc:
        err = SqlError.from_engine(exc)
        err.message = re.sub(r"\s*:?\s*In scope SELECT formatQuerySingleLine\(.*$", "",
                             err.message, flags=re.S)
        raise err from None
    return out.bytes().decode()
