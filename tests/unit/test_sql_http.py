"""The read-only SQL endpoint's pure parts: requests, credentials, settings, statement checks,
errors. The engine side (filters, readonly) runs in tests/integration/test_query_while_running."""

from __future__ import annotations

import base64
import gzip

import pytest

from connectors.clickhouse.http_api import (
    Authenticator,
    HttpRequest,
    content_type,
    credentials,
    error_reply,
    parse_request,
    sql_url,
    url_from_owner,
    worker_owner,
)
from connectors.clickhouse.readonly_sql import (
    Limits,
    Principal,
    SqlError,
    Statement,
    check_statement,
    check_tenant_tables,
    client_settings,
    parse_ast,
    pipeline_views,
    setup_statements,
    tsv_escape,
)
from connectors.gateway.auth import TokenTable
from pipelines.cli import format_csv
from schemas.clickhouse import TABLES

ACME = Principal("acme", "acme")
ADMIN = Principal("admin")
FORMATS = ["TabSeparated", "JSON", "JSONEachRow", "CSV", "Native", "Arrow"]


def req(method="POST", query=(), headers=None, body=b"") -> HttpRequest:
    return HttpRequest(method, "/", list(query), headers or {}, body)


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


# --- requests -------------------------------------------------------------------------------

def test_query_from_param_body_or_both_like_clickhouse() -> None:
    assert parse_request(req("GET", [("query", "SELECT 1")])).sql == "SELECT 1"
    assert parse_request(req(body=b"SELECT 2")).sql == "SELECT 2"
    both = parse_request(req(query=[("query", "SELECT")], body=b"3"))
    assert both.sql == "SELECT\n3"
    assert parse_request(req("GET")) is None  # a bare GET / answers "Ok."
    with pytest.raises(SqlError) as err:
        parse_request(req(body=b"  "))
    assert err.value.code == 62


def test_format_database_settings_and_query_parameters_are_split() -> None:
    q = parse_request(req(query=[
        ("default_format", "JSONCompact"), ("database", "system"), ("session_id", "s1"),
        ("query_id", "q1"), ("wait_end_of_query", "1"), ("compress", "1"),
        ("client_protocol_version", "54405"), ("max_result_rows", "10"),
        ("param_tenant", "acme"), ("user", "u"), ("password", "p")], body=b"SELECT 1"))
    assert (q.fmt, q.database) == ("JSONCompact", "system")
    assert q.settings == {"max_result_rows": "10"}
    assert q.params == {"tenant": "acme"}
    assert parse_request(req(body=b"SELECT 1")).fmt == "TabSeparated"
    assert parse_request(req(headers={"X-ClickHouse-Database": "aiops"},
                             body=b"SELECT 1")).database == "aiops"


def test_compressed_and_multipart_bodies() -> None:
    q = parse_request(req(headers={"Content-Encoding": "gzip"}, body=gzip.compress(b"SELECT 5")))
    assert q.sql == "SELECT 5"
    boundary = "xyz"
    form = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"query\"\r\n\r\n"
            f"SELECT {{n:UInt8}}\r\n--{boundary}\r\nContent-Disposition: form-data; "
            f"name=\"param_n\"\r\n\r\n7\r\n--{boundary}--\r\n").encode()
    q = parse_request(req(headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
                          body=form))
    assert (q.sql, q.params) == ("SELECT {n:UInt8}", {"n": "7"})
    with pytest.raises(SqlError) as err:
        parse_request(req(headers={"Content-Encoding": "snappy"}, body=b"x"))
    assert err.value.code == 342
    bomb = gzip.compress(b"SELECT 1 -- " + b" " * (32 << 20))
    with pytest.raises(SqlError) as err:
        parse_request(req(headers={"Content-Encoding": "gzip"}, body=bomb))
    assert error_reply(err.value).status == 413
    with pytest.raises(SqlError) as err:
        parse_request(req(headers={"Content-Encoding": "gzip"}, body=b"not gzip"))
    assert err.value.code == 354


def test_inserts_are_refused_before_their_data_is_parsed() -> None:
    with pytest.raises(SqlError) as err:
        parse_request(req(body=b"  insert INTO aiops.metrics FORMAT Native\n\x00\x01"))
    assert (err.value.code, err.value.name) == (164, "READONLY")


# --- credentials ----------------------------------------------------------------------------

def test_credentials_the_three_clickhouse_ways_and_bearer() -> None:
    assert credentials(req(headers=basic("acme", "pw:x")), {}) == ("acme", "pw:x", None)
    h = {"X-ClickHouse-User": "acme", "X-ClickHouse-Key": "k"}
    assert credentials(req(headers=h), {}) == ("acme", "k", None)
    assert credentials(req(), {"user": "acme", "password": "k"}) == ("acme", "k", None)
    assert credentials(req(headers={"Authorization": "Bearer t0k"}), {}) == ("", "", "t0k")
    assert credentials(req(), {}) == ("default", "", None)


TOKENS = TokenTable.parse("acme=acme-token-0123456789,globex=globex-token-0123456789")
ADMIN_TOKEN = "admin-token-0123456789"


def test_tenants_use_their_gateway_token_and_admin_the_admin_token() -> None:
    auth = Authenticator(ADMIN_TOKEN, TOKENS, "127.0.0.1")
    assert not auth.open_local
    assert auth.principal("acme", "acme-token-0123456789", None) == ACME
    assert auth.principal("admin", ADMIN_TOKEN, None) == ADMIN
    assert auth.principal("default", ADMIN_TOKEN, None).tenant is None
    assert auth.principal("", "", "globex-token-0123456789") == Principal("globex", "globex")
    assert auth.principal("", "", ADMIN_TOKEN).tenant is None
    for user, password in [("acme", "globex-token-0123456789"), ("acme", ADMIN_TOKEN),
                           ("admin", "acme-token-0123456789"), ("default", ""), ("acme", "")]:
        with pytest.raises(SqlError) as err:
            auth.principal(user, password, None)
        assert (err.value.code, err.value.name) == (516, "AUTHENTICATION_FAILED")
        assert error_reply(err.value).status == 401


def test_no_credentials_configured_is_open_on_loopback_only() -> None:
    local = Authenticator(None, None, "127.0.0.1")
    assert local.open_local and local.principal("whoever", "x", None).tenant is None
    assert Authenticator(None, None, "::1").open_local
    public = Authenticator(None, None, "0.0.0.0")
    assert public.refuses_all and "refusing every query" in public.describe()
    with pytest.raises(SqlError):
        public.principal("admin", "", None)
    tenants_only = Authenticator(None, TOKENS, "127.0.0.1")
    assert not tenants_only.open_local
    with pytest.raises(SqlError):
        tenants_only.principal("admin", "", None)


# --- settings -------------------------------------------------------------------------------

def test_client_settings_only_tighten_or_shape_output() -> None:
    limits = Limits(timeout_s=30, max_result_bytes=1000)
    assert client_settings({"max_result_rows": "10", "max_threads": "1", "readonly": "1",
                            "output_format_json_quote_64bit_integers": "0"}, limits) == {
        "max_result_rows": "10", "max_threads": "1",
        "output_format_json_quote_64bit_integers": "0"}
    # a client's own longer timeout (Grafana sends one) is lowered to the cap
    assert client_settings({"max_execution_time": "60"}, limits) == {"max_execution_time": "30"}
    for bad in [{"additional_table_filters": "{}"}, {"readonly": "0"}, {"max_result_rows": "0"},
                {"result_overflow_mode": "any"}, {"output_format_schema": "/tmp/x"},
                {"allow_introspection_functions": "1"}]:
        with pytest.raises(SqlError) as err:
            client_settings(bad, limits)
        assert err.value.code == 164, bad


def test_setup_filters_every_table_for_a_tenant_and_sets_readonly_last() -> None:
    stmts = setup_statements(ACME, Limits(5, 2000), "aiops", {"max_threads": "1"})
    assert stmts[-1] == "SET readonly = 1"
    assert "max_execution_time = '5'" in stmts[0] and "max_threads = '1'" in stmts[0]
    for table in TABLES:
        assert f"'aiops.{table}': 'tenant_id = \\'acme\\''" in stmts[0]
    assert "additional_table_filters" not in setup_statements(ADMIN, Limits(), "aiops", {})[0]
    # values are quoted, never spliced in
    weird = setup_statements(ADMIN, Limits(), "aiops",
                             {"date_time_output_format": "iso', readonly = '0"})[0]
    assert "'iso\\', readonly = \\'0'" in weird


def test_query_parameter_values_are_escaped_like_tabseparated() -> None:
    assert tsv_escape("a\\b\tc\nd") == "a\\\\b\\tc\\nd"


# --- statements (EXPLAIN AST text as chdb 26.9 prints it) -----------------------------------

SELECT_MERGE = """SelectWithUnionQuery (children 2)
 ExpressionList (children 1)
  SelectQuery (children 2)
   ExpressionList (children 1)
    Identifier x.a
   TablesInSelectQuery (children 2)
    TablesInSelectQueryElement (children 1)
     TableExpression (children 1)
      TableIdentifier aiops.metrics (alias x)
    TablesInSelectQueryElement (children 2)
     TableExpression (children 1)
      Function merge (alias m) (children 1)
       ExpressionList (children 2)
        Literal 'aiops'
        Literal '^m'
     TableJoin (children 1)
      Literal UInt64_1
 Identifier JSONEachRow
"""
IN_SYSTEM = """SelectWithUnionQuery (children 1)
 ExpressionList (children 1)
  SelectQuery (children 2)
   ExpressionList (children 1)
    Literal UInt64_1
   Function in (children 1)
    ExpressionList (children 2)
     Literal UInt64_1
     Identifier system.processes
"""


def test_table_functions_other_than_generators_are_refused_for_tenants() -> None:
    root = parse_ast(SELECT_MERGE)
    canonical = "SELECT x.a FROM aiops.metrics AS x JOIN merge('aiops', '^m') AS m ON 1 " \
                "FORMAT JSONEachRow"
    with pytest.raises(SqlError) as err:
        check_statement(root, canonical, ACME, FORMATS)
    assert err.value.code == 497 and "merge()" in err.value.message
    stmt = check_statement(root, canonical, ADMIN, FORMATS)
    assert stmt == Statement("JSONEachRow", frozenset({("aiops", "metrics")}))


def test_writes_outfile_and_file_reads_are_refused_for_everyone() -> None:
    insert = parse_ast("InsertQuery   (children 1)\n Identifier t\n")
    with pytest.raises(SqlError, match="InsertQuery") as err:
        check_statement(insert, "INSERT INTO t VALUES", ADMIN, FORMATS)
    assert err.value.code == 164
    one = "SelectWithUnionQuery (children 3)\n ExpressionList (children 1)\n  SelectQuery\n" \
          " Literal 'x'\n Identifier CSV\n"
    with pytest.raises(SqlError, match="INTO OUTFILE"):
        check_statement(parse_ast(one), "SELECT 1 INTO OUTFILE 'x' FORMAT CSV", ADMIN, FORMATS)
    file_fn = ("SelectWithUnionQuery (children 1)\n ExpressionList (children 1)\n  SelectQuery\n"
               "   ExpressionList (children 1)\n    Function file (children 1)\n"
               "     ExpressionList (children 1)\n      Literal '/etc/passwd'\n")
    with pytest.raises(SqlError, match="file"):
        check_statement(parse_ast(file_fn), "SELECT file('/etc/passwd')", ADMIN, FORMATS)
    assert check_statement(parse_ast("ShowProcesslistQuery\n"), "SHOW PROCESSLIST", ADMIN,
                           FORMATS).tables == frozenset()
    with pytest.raises(SqlError):
        check_statement(parse_ast("ShowProcesslistQuery\n"), "SHOW PROCESSLIST", ACME, FORMATS)


def test_format_clause_is_found_and_not_confused_with_names() -> None:
    show = parse_ast("ShowTables (children 1)\n Identifier system\n")
    assert check_statement(show, "SHOW TABLES FROM system", ACME, FORMATS).fmt is None
    json = parse_ast("ShowTables (children 2)\n Identifier aiops\n Identifier JSON\n")
    assert check_statement(json, "SHOW TABLES FROM aiops FORMAT JSON", ACME, FORMATS).fmt == \
        "JSON"
    settings = parse_ast("SelectWithUnionQuery (children 3)\n ExpressionList (children 1)\n"
                         "  SelectQuery\n Set\n Identifier CSV\n")
    assert check_statement(settings, "SELECT 1 FORMAT CSV SETTINGS max_threads = 1", ADMIN,
                           FORMATS).fmt == "CSV"


def test_tenant_tables_pipeline_and_metadata_only() -> None:
    stmt = check_statement(parse_ast(IN_SYSTEM), "SELECT 1 WHERE 1 IN (system.processes)",
                           ACME, FORMATS)
    existing = {("system", "processes"), ("system", "tables"), ("aiops", "metrics"),
                ("aiops", "metrics_v"), ("aiops", "incidents_current"), ("aiops", "mystery"),
                ("default", "other")}
    with pytest.raises(SqlError, match=r"system\.processes"):
        check_tenant_tables(stmt, ACME, "aiops", "aiops", existing)
    check_tenant_tables(stmt, ADMIN, "aiops", "aiops", existing)  # admin reads anything
    ok = Statement(None, frozenset({("aiops", "metrics"), (None, "metrics_v"),
                                    ("aiops", "incidents_current"), ("system", "tables"),
                                    (None, "my_cte"), ("INFORMATION_SCHEMA", "tables")}))
    check_tenant_tables(ok, ACME, "aiops", "aiops", existing)
    for table in [("aiops", "mystery"), ("default", "other"), (None, "processes")]:
        with pytest.raises(SqlError):
            check_tenant_tables(Statement(None, frozenset({table})), ACME,
                                "system" if table[0] is None else "aiops", "aiops", existing)
    assert {"incidents_current", "alert_noise", "metrics_v"} <= pipeline_views("aiops")


def test_odd_table_names_are_refused_for_tenants() -> None:
    ast = ("SelectWithUnionQuery (children 1)\n ExpressionList (children 1)\n  SelectQuery\n"
           "   TablesInSelectQuery (children 1)\n    TablesInSelectQueryElement (children 1)\n"
           "     TableExpression (children 1)\n      TableIdentifier a b.c.d\n")
    with pytest.raises(SqlError):
        check_statement(parse_ast(ast), "SELECT * FROM `a b`.`c.d`", ACME, FORMATS)
    assert check_statement(parse_ast(ast), "SELECT * FROM `a b`.`c.d`", ADMIN, FORMATS)


# --- errors and replies ---------------------------------------------------------------------

def test_engine_errors_keep_clickhouse_code_name_and_message() -> None:
    err = SqlError.from_engine(RuntimeError(
        "Code: 164. DB::Exception: Code: 164. DB::Exception: Cannot modify 'x' setting in "
        "readonly mode. (READONLY) (version 26.9.2.1). (READONLY)"))
    assert (err.code, err.name) == (164, "READONLY")
    assert err.text() == ("Code: 164. DB::Exception: Cannot modify 'x' setting in readonly "
                          "mode. (READONLY)")
    err = SqlError.from_engine(RuntimeError(
        "Code: 62. DB::Exception: Syntax error: failed at position 7 (1): 1. Expected one of: "
        "token. (SYNTAX_ERROR)"))
    assert (err.code, err.name) == (62, "SYNTAX_ERROR")
    reply = error_reply(err, "q1")
    assert reply.status == 400
    assert reply.headers["X-ClickHouse-Exception-Code"] == "62"
    assert reply.headers["X-ClickHouse-Query-Id"] == "q1"
    assert reply.body.startswith(b"Code: 62. DB::Exception: Syntax error")
    assert SqlError.from_engine(RuntimeError("boom")).code == 1001


def test_status_codes_follow_clickhouse() -> None:
    def status(code: int) -> int:
        return error_reply(SqlError(code, "X", "m")).status

    assert [status(c) for c in (62, 60, 81, 164, 497, 159, 396, 516, 241)] == [
        400, 404, 404, 403, 403, 408, 400, 401, 500]
    timeout = error_reply(SqlError(159, "TIMEOUT_EXCEEDED", "Timeout exceeded: 30 s."))
    assert b"AIOPS_WEB_SQL_TIMEOUT_S" in timeout.body and b".." not in timeout.body


def test_content_types() -> None:
    assert content_type("TabSeparatedWithNames").startswith("text/tab-separated-values")
    assert content_type("JSONCompact").startswith("application/json")
    assert content_type("JSONEachRow").startswith("application/x-ndjson")
    assert content_type("CSVWithNames").startswith("text/csv")
    assert content_type("Native") == content_type("Arrow") == "application/octet-stream"


# --- how `aiops query` finds the worker -----------------------------------------------------

def test_the_lock_file_names_the_workers_endpoint() -> None:
    assert sql_url("0.0.0.0", 6066) == "http://127.0.0.1:6066/"
    assert sql_url("::", 7000) == "http://[::1]:7000/"
    owner = worker_owner("127.0.0.1", 6066)
    assert url_from_owner(f"... another process (pid 42: {owner}). Only one ...") == \
        "http://127.0.0.1:6066/"
    assert url_from_owner("pid 42: aiops query") is None


def test_csv_output_of_aiops_query() -> None:
    rows = [{"a": "x,y", "b": 1, "c": {"k": "v"}, "d": None}]
    assert format_csv(rows) == 'a,b,c,d\n"x,y",1,"{""k"":""v""}",\n'
    assert format_csv([]) == ""
