"""``aiops watch``: the terminal NOC view of one tenant's open incidents (issue #12).

The view reads the tenant's live feed in Redis (``connectors.redis_feed.feed``): the stream's
tail builds the list, then it blocks on new entries and redraws. Rendering is a pure function
of the folded incidents and the clock, so it is tested without Redis or a terminal.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections import Counter
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import click
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from connectors.redis_feed.feed import (
    SEVERITY_RANK,
    OpenIncidents,
    read_after,
    read_tail,
    stream_key,
)
from schemas.envelope import _check_tenant
from schemas.notify import IncidentBrief

if TYPE_CHECKING:
    import redis

SEVERITY_STYLE = {"critical": "bold white on red", "error": "bold red", "warning": "yellow",
                  "info": "cyan"}
CORRELATED = "★"
MAX_SCOPE_ITEMS = 3
BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 10.0


def humanize(seconds: float) -> str:
    """'4m 12s': two units at most, enough to tell a fresh incident from a stale one."""
    s = max(0, int(seconds))
    days, s = divmod(s, 86_400)
    hours, s = divmod(s, 3_600)
    minutes, s = divmod(s, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {s}s"
    return f"{s}s"


def scope(inc: IncidentBrief) -> str:
    """Sites, services and hosts, a few of each: the column must stay one glance wide."""
    parts = []
    for label, values in (("site", inc.sites), ("svc", inc.services), ("host", inc.hosts)):
        if values:
            more = len(values) - MAX_SCOPE_ITEMS
            parts.append(f"{label} {', '.join(values[:MAX_SCOPE_ITEMS])}"
                         + (f" +{more}" if more > 0 else ""))
    return " | ".join(parts) or "-"


def visible(incidents: OpenIncidents, now: float) -> list[IncidentBrief]:
    """What the view lists, in display order: ``prune``'s cut without mutating the fold, so
    rendering stays pure."""
    return [i for i in incidents.ordered()
            if i.is_open or now - i.last_seen.timestamp() < incidents.keep_resolved_s]


def _entry_time(entry_id: str) -> float | None:
    """A stream id starts with the Redis time (ms) it was appended: the feed's last update."""
    ms = int(entry_id.split("-", 1)[0] or 0)
    return ms / 1000 if ms else None


def _state(inc: IncidentBrief) -> str:
    state = f"merged into {inc.merged_into}" if inc.merged_into else inc.state
    return state + (" (suppressed)" if inc.suppressed else "")


def header(incidents: OpenIncidents, rows: list[IncidentBrief], now: float, *, tenant: str,
           connection: str) -> Text:
    opened = Counter(i.severity for i in rows if i.is_open)
    text = Text.assemble(("tenant ", "dim"), (tenant, "bold"), f"  {opened.total()} open")
    if opened:
        text.append(" (")
        for n, sev in enumerate(sorted(opened, key=lambda s: -SEVERITY_RANK.get(s, 0))):
            text.append(", " if n else "")
            text.append(f"{opened[sev]} {sev}", style=SEVERITY_STYLE.get(sev, ""))
        text.append(")")
    last = _entry_time(incidents.last_id)
    text.append("  last update ")
    text.append(f"{time.strftime('%H:%M:%S', time.localtime(last))} ({humanize(now - last)} ago)"
                if last else "none yet")
    text.append("  ")
    text.append(connection, style="green" if connection in ("live", "connected") else "bold red")
    return text


def render(incidents: OpenIncidents, now: float, *, tenant: str,
           connection: str = "live") -> RenderableType:
    """The whole view for ``now`` (epoch seconds): a header line, then the table or
    'no open incidents'. Resolved incidents inside --keep-resolved are dimmed."""
    rows = visible(incidents, now)
    head = header(incidents, rows, now, tenant=tenant, connection=connection)
    if not rows:
        return Group(head, Text("no open incidents", style="dim"))
    table = Table(expand=True, header_style="bold")
    table.add_column("severity", no_wrap=True)
    table.add_column("corr", no_wrap=True, justify="center")
    table.add_column("incident", ratio=3)
    table.add_column("scope", ratio=3)
    table.add_column("age", no_wrap=True, justify="right")
    table.add_column("alerts", no_wrap=True, justify="right")
    table.add_column("state", no_wrap=True)
    table.add_column("latest evidence", ratio=3)
    for inc in rows:
        table.add_row(Text(inc.severity, style=SEVERITY_STYLE.get(inc.severity, "")),
                      CORRELATED if inc.correlated else "", inc.title, scope(inc),
                      humanize(now - inc.first_seen.timestamp()), str(inc.alert_count),
                      _state(inc), inc.evidence[0] if inc.evidence else inc.title,
                      style=None if inc.is_open else "dim")
    return Group(head, table)


def safe_url(url: str) -> str:
    """The URL for messages: a password in it is masked."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def connect(url: str, timeout_s: float) -> redis.Redis:
    """A client that fails fast (no retries of its own): the live loop does the retrying, with
    backoff and a visible state. Named so ``CLIENT LIST`` shows who is blocking."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return redis.Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s,
                                retry=Retry(NoBackoff(), 0),
                                client_name=f"aiops-watch-{os.getpid()}")


def discover_tenants(client: redis.Redis, prefix: str) -> list[str]:
    """Tenants with a feed stream under ``prefix`` (SCAN, so a large keyspace is not blocked)."""
    start = len(stream_key("", prefix))
    found = set()
    for key in client.scan_iter(match=stream_key("*", prefix), count=1_000, _type="STREAM"):
        tenant = (key.decode() if isinstance(key, bytes) else key)[start:]
        try:
            found.add(_check_tenant(tenant))
        except ValueError:
            continue
    return sorted(found)


def choose_tenant(tenant: str | None, known: list[str], prefix: str) -> str:
    if tenant is not None:
        return tenant
    if len(known) == 1:
        return known[0]
    if not known:
        raise click.UsageError(f"no tenant has a feed yet (no {stream_key('*', prefix)} stream "
                               "in Redis); give --tenant T to wait for its first notification")
    raise click.UsageError(f"several tenants have a feed: {', '.join(known)}; choose one with "
                           "--tenant T")


def load(client: redis.Redis, tenant: str, prefix: str, keep_resolved_s: float) -> OpenIncidents:
    """Fold the stream's tail afresh: also the resync after an outage, because entries may
    have been trimmed meanwhile or Redis may have restarted empty (ids start over)."""
    incidents = OpenIncidents(keep_resolved_s=keep_resolved_s)
    for entry_id, n in read_tail(client, tenant, prefix=prefix):
        incidents.add(entry_id, n)
    return incidents


def watch_live(client: redis.Redis, incidents: OpenIncidents, *, tenant: str, prefix: str,
               refresh_s: float, timeout_s: float, for_s: float | None,
               console: Console) -> OpenIncidents:
    """Redraw on every new entry and at least every ``refresh_s`` (ages move); a Redis error
    shows 'reconnecting…' and is retried with exponential backoff, never raised."""
    import redis

    deadline = None if for_s is None else time.monotonic() + for_s
    block_ms = max(1, int(min(refresh_s, timeout_s / 2) * 1000))
    failures, connection = 0, "live"

    def draw() -> None:
        now = time.time()
        incidents.prune(now)
        live.update(render(incidents, now, tenant=tenant, connection=connection), refresh=True)

    with Live(render(incidents, time.time(), tenant=tenant), console=console,
              auto_refresh=False) as live:
        while deadline is None or time.monotonic() < deadline:
            try:
                if failures:
                    incidents = load(client, tenant, prefix, incidents.keep_resolved_s)
                for entry_id, n in read_after(client, tenant, incidents.last_id, block_ms,
                                              prefix=prefix):
                    incidents.add(entry_id, n)
                failures, connection = 0, "live"
            except redis.RedisError as exc:
                failures += 1
                delay = min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** (failures - 1))
                connection = (f"reconnecting… (attempt {failures}: {str(exc)[:80]}; "
                              f"next in {delay:g}s)")
                draw()
                left = delay if deadline is None else deadline - time.monotonic()
                time.sleep(max(0.0, min(delay, left)))
                continue
            draw()
    return incidents


def _settings():
    from config.settings import load_settings

    try:
        return load_settings()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


def _unreachable(url: str, exc: Exception) -> click.ClickException:
    return click.ClickException(
        f"cannot reach Redis at {safe_url(url)}: {exc}\nStart the local one with "
        "`aiops services up redis`, or point AIOPS_REDIS_URL at a running Redis.")


@click.command("watch", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--tenant", metavar="T", default=None,
              help="Tenant to watch; optional when exactly one tenant has a feed.")
@click.option("--keep-resolved", type=click.FloatRange(min=0), default=60.0, show_default=True,
              metavar="SECONDS", help="How long a resolved incident stays listed (dimmed).")
@click.option("--once", is_flag=True, help="Print the current table once and exit.")
@click.option("--json", "as_json", is_flag=True,
              help="With --once: print the listed incidents as a JSON array, in table order.")
@click.option("--refresh", type=click.FloatRange(min=0.05, max=60), default=1.0,
              show_default=True, metavar="SECONDS", help="Redraw at least this often.")
@click.option("--for", "for_s", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
              help="Exit after N seconds (demos, scripts, tests).")
def watch_command(tenant: str | None, keep_resolved: float, once: bool, as_json: bool,
                  refresh: float, for_s: float | None) -> None:
    """Watch a tenant's open incidents live in the terminal (the NOC view).

    \b
    aiops watch --tenant acme          live table, redrawn as notifications arrive
    aiops watch --once                 print the table once and exit
    aiops watch --once --json          the same incidents as JSON, for scripts

    Reads the tenant's live feed in Redis (AIOPS_REDIS_URL, keys under AIOPS_REDIS_KEY_PREFIX),
    which the Redis notification receiver writes. Columns: severity, a ★ for incidents
    correlated with ticket or help-center evidence, title, scope (sites, services, hosts), age
    since first seen, alerts, state and the latest evidence. Correlated incidents come first,
    then by severity, then the most recently active.

    Without --tenant, the only tenant with a feed is used; with several, they are listed and
    the command exits 2. If Redis cannot be reached at start it exits 1; later outages show
    "reconnecting…" and are retried with backoff. Ctrl-C exits 0. When stdout is not a
    terminal the live view prints only its final table: use --once. See docs/watch.md.
    """
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how a watch ends: exit 0
        _watch(tenant, keep_resolved, once, as_json, refresh, for_s)


def _watch(tenant: str | None, keep_resolved: float, once: bool, as_json: bool,
           refresh: float, for_s: float | None) -> None:
    import orjson
    import redis

    if as_json and not once:
        raise click.UsageError("--json needs --once (the live view is for terminals)")
    if tenant is not None:
        try:
            _check_tenant(tenant)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--tenant") from None
    s = _settings()
    url, prefix = s.redis.url.get_secret_value(), s.redis.key_prefix
    client = connect(url, s.redis.socket_timeout_s)
    try:
        try:
            client.ping()
            known = discover_tenants(client, prefix)
            tenant = choose_tenant(tenant, known, prefix)
            incidents = load(client, tenant, prefix, keep_resolved)
        except redis.RedisError as exc:
            raise _unreachable(url, exc) from None
        if tenant not in known:
            click.echo(f"note: tenant {tenant!r} has no feed yet (no {stream_key(tenant, prefix)}"
                       f"); tenants with one: {', '.join(known) or 'none'}", err=True)
        if not once:
            watch_live(client, incidents, tenant=tenant, prefix=prefix, refresh_s=refresh,
                       timeout_s=s.redis.socket_timeout_s, for_s=for_s, console=Console())
            return
        now = time.time()
        incidents.prune(now)
        if as_json:
            rows = [i.model_dump(mode="json") for i in visible(incidents, now)]
            click.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        else:
            Console().print(render(incidents, now, tenant=tenant, connection="connected"))
    finally:
        client.close()
