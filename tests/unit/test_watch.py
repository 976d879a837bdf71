"""The NOC view's rendering: a pure function of the folded incidents and the clock."""

from __future__ import annotations

import io
import re
import socket
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from rich.console import Console

from connectors.redis_feed.feed import OpenIncidents
from pipelines.watch import (
    CORRELATED,
    connect,
    humanize,
    render,
    safe_url,
    scope,
    visible,
    watch_command,
    watch_live,
)
from schemas.notify import IncidentBrief, Notification

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
DIM = re.compile(r"\x1b\[(?:\d+;)*2(?:;\d+)*m")


def brief(iid: str, *, severity: str = "warning", correlated: bool = False,
          state: str = "open", age_s: float = 60, idle_s: float = 5, **kw) -> IncidentBrief:
    return IncidentBrief(incident_id=iid, version=kw.pop("version", 1), state=state,
                         title=kw.pop("title", f"title {iid}"), severity=severity,
                         first_seen=NOW - timedelta(seconds=age_s),
                         last_seen=NOW - timedelta(seconds=idle_s), correlated=correlated, **kw)


def fold(*incs: IncidentBrief, keep_resolved_s: float = 60) -> OpenIncidents:
    oi = OpenIncidents(keep_resolved_s=keep_resolved_s)
    for n, inc in enumerate(incs, 1):
        ms = int(NOW.timestamp() * 1000) - 1000 + n
        oi.add(f"{ms}-0", Notification(
            notification_id=f"n{n}", dedup_key=f"d{n}", receiver="noc", receiver_type="redis",
            route="root/0", group_key="g", status="firing", reason="new",
            severity=inc.severity, title=inc.title, incidents=[inc], sequence=n,
            created_at=NOW, source_time=NOW))
    return oi


def text_of(oi: OpenIncidents, *, styles: bool = False, connection: str = "live") -> str:
    console = Console(record=True, width=200, color_system="truecolor", force_terminal=True)
    console.print(render(oi, NOW.timestamp(), tenant="acme", connection=connection))
    return console.export_text(styles=styles)


def line_with(text: str, needle: str) -> str:
    return next(line for line in text.splitlines() if needle in line)


@pytest.mark.parametrize(("seconds", "expected"), [
    (0, "0s"), (59.9, "59s"), (252, "4m 12s"), (3600, "1h 0m"), (3 * 86_400 + 7200, "3d 2h"),
    (-5, "0s"),
])
def test_age_is_humanised(seconds: float, expected: str) -> None:
    assert humanize(seconds) == expected


def test_age_column_counts_from_first_seen() -> None:
    out = text_of(fold(brief("a", age_s=252, idle_s=1)))
    assert "4m 12s" in line_with(out, "title a")


def test_correlated_first_then_severity_then_recency() -> None:
    oi = fold(brief("info-old", severity="info", idle_s=50),
              brief("crit", severity="critical"),
              brief("corr-warn", severity="warning", correlated=True),
              brief("info-new", severity="info", idle_s=1))
    out = text_of(oi)
    positions = [out.index(f"title {iid}") for iid in ("corr-warn", "crit", "info-new",
                                                       "info-old")]
    assert positions == sorted(positions)
    assert CORRELATED in line_with(out, "title corr-warn")
    assert CORRELATED not in line_with(out, "title crit")


def test_columns_scope_alerts_state_and_evidence() -> None:
    inc = brief("a", sites=["ams1"], services=["checkout"],
                hosts=["web-1", "web-2", "web-3", "web-4", "web-5"], alert_count=17,
                evidence=["ticket T-9: checkout fails", "older line"])
    assert scope(inc) == "site ams1 | svc checkout | host web-1, web-2, web-3 +2"
    line = line_with(text_of(fold(inc, brief("b"))), "title a")
    assert "site ams1" in line
    assert " 17 " in line and "open" in line
    assert "ticket T-9: checkout fails" in line and "older line" not in line
    assert scope(brief("c")) == "-"
    # no evidence yet: the title stands in for it
    assert line_with(text_of(fold(brief("b"))), "title b").count("title b") == 2


def test_severity_is_coloured_and_header_counts() -> None:
    oi = fold(brief("c1", severity="critical"), brief("c2", severity="critical"),
              brief("w", severity="warning"), brief("r", state="resolved", severity="error"))
    out = text_of(oi)
    head = out.splitlines()[0]
    assert "acme" in head and "3 open (2 critical, 1 warning)" in head
    assert "last update" in head and "ago" in head and "live" in head
    styled = text_of(oi, styles=True)
    assert re.search(r"\x1b\[[0-9;]*41m", line_with(styled, "title c1")), "critical: red"
    assert re.search(r"\x1b\[[0-9;]*33m", line_with(styled, "title w")), "warning: yellow"


def test_connection_state_shows_in_header() -> None:
    out = text_of(fold(brief("a")), connection="reconnecting… (attempt 2)")
    assert "reconnecting… (attempt 2)" in out.splitlines()[0]


def test_empty_state() -> None:
    out = text_of(OpenIncidents())
    assert "no open incidents" in out
    assert "0 open" in out and "none yet" in out


def test_resolved_is_dimmed_then_gone() -> None:
    oi = fold(brief("open"), brief("done", state="resolved", idle_s=30), keep_resolved_s=60)
    styled = text_of(oi, styles=True)
    assert DIM.search(line_with(styled, "title done"))
    assert not DIM.search(line_with(styled, "title open").split("title open")[0])
    assert "1 open" in styled
    later = NOW.timestamp() + 31
    assert [i.incident_id for i in visible(oi, later)] == ["open"]
    oi.prune(later)
    assert set(oi.incidents) == {"open"}


def test_resolved_only_still_listed_then_empty() -> None:
    oi = fold(brief("done", state="resolved", idle_s=10), keep_resolved_s=20)
    assert "title done" in text_of(oi)
    oi.keep_resolved_s = 5
    assert "no open incidents" in text_of(oi)


def test_render_does_not_mutate() -> None:
    oi = fold(brief("done", state="resolved", idle_s=100))
    text_of(oi)
    assert "done" in oi.incidents


def test_later_version_replaces_earlier() -> None:
    oi = fold(brief("a", title="first words", version=1),
              brief("a", title="second words", version=2, alert_count=4))
    out = text_of(oi)
    assert "second words" in out and "first words" not in out


def test_merged_and_suppressed_states() -> None:
    out = text_of(fold(brief("m", merged_into="inc-9"), brief("s", suppressed=True)))
    assert "merged into inc-9" in line_with(out, "title m")
    assert "open (suppressed)" in line_with(out, "title s")


def test_password_is_masked_in_messages() -> None:
    assert safe_url("redis://u:s3cret@h:6379/0") == "redis://u:***@h:6379/0"
    assert safe_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


def test_outage_while_running_shows_reconnecting_not_a_traceback() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = connect(f"redis://127.0.0.1:{port}/0", timeout_s=0.5)
    console = Console(record=True, width=200, file=io.StringIO())
    oi = fold(brief("known before the outage"))
    watch_live(client, oi, tenant="acme", prefix="aiops:", refresh_s=0.2, timeout_s=0.5,
               for_s=1.2, console=console)
    out = console.export_text()
    assert "reconnecting… (attempt 2" in out and "Connection refused" in out
    assert "title known before the outage" in out, "the last known incidents stay listed"


@pytest.mark.parametrize("args", [["--tenant", "Bad Tenant", "--once"], ["--json"]])
def test_usage_errors_exit_2_before_touching_redis(args: list[str]) -> None:
    result = CliRunner().invoke(watch_command, args)
    assert result.exit_code == 2
    assert "tenant_id must be" in result.output or "--json needs --once" in result.output
