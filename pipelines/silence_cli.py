"""``aiops silence add|list|expire``: silences made at run time, kept on Kafka.

A silence is one record on the compacted ``aiops.silences`` topic, keyed ``tenant/id``; every
notify worker follows that topic (a side input), so a silence applies within a batch window
everywhere, survives restarts, and is stored in ClickHouse (``silences``) for the record.
Expiring writes the same silence again with ``ends_at`` = now.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import click
import orjson
from pydantic import ValidationError

from schemas.alert_rules import parse_duration
from schemas.envelope import _check_tenant
from schemas.notify import Silence, SilenceEvent

TOPIC = "aiops.silences"


def _tenant(_ctx, _param, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return _check_tenant(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _when(_ctx, _param, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 time "
                                 "(e.g. 2026-11-26T18:00:00Z)") from None
    if dt.tzinfo is None:
        raise click.BadParameter(f"{value!r} has no time zone (add Z or +01:00)")
    return dt.astimezone(UTC)


def read_silences(settings) -> dict[tuple[str, str], SilenceEvent]:
    """The latest version of every silence, by (tenant, id)."""
    from connectors.kafka_io import TopicFollower, check_broker

    check_broker(settings.kafka.bootstrap)
    f = TopicFollower(settings.kafka.bootstrap, settings.kafka.topic_prefix + TOPIC,
                      "aiops-silence-cli")
    try:
        records = f.catch_up()
    finally:
        f.close()
    out: dict[tuple[str, str], SilenceEvent] = {}
    for _key, value in records:
        if value is None:
            continue
        try:
            ev = SilenceEvent.model_validate_json(value)
        except ValidationError:
            continue
        out[(ev.tenant_id, ev.data.silence_id)] = ev
    return out


def write_silence(settings, tenant: str, silence: Silence) -> None:
    from connectors.kafka_io import make_producer

    ev = SilenceEvent(id=f"{silence.silence_id}@{silence.updated_at.isoformat()}",
                      source="aiops/cli", tenant_id=tenant, data=silence)
    p = make_producer(settings.kafka.bootstrap)
    p.produce(settings.kafka.topic_prefix + TOPIC,
              orjson.dumps(ev.model_dump(mode="json")),
              key=f"{tenant}/{silence.silence_id}".encode())
    if p.flush(15) != 0:
        raise click.ClickException("Kafka did not acknowledge the silence in 15 s; it may "
                                   "not be saved: check `aiops silence list`")


@click.group()
def silence() -> None:
    """Mute notifications (and alerts) of one tenant for a while, at run time.

    \b
    aiops silence add -t acme -m 'site="par1"' -m 'severity!="critical"' \\
        --duration 2h --author jane --comment "UPS maintenance, CHG-1234"
    aiops silence list [-t acme] [--all]
    aiops silence expire ID -t acme

    Matchers are Alertmanager's (=, !=, =~, !~; regexes anchored) over the labels tenant,
    kind, severity, state, site, service, host (config/notify.yaml says more). A silenced
    incident is not notified; when the silence ends it is notified at the next
    group_interval if it is still open.
    """


@silence.command("add")
@click.option("-t", "--tenant", required=True, callback=_tenant, help="Tenant it applies to")
@click.option("-m", "--matcher", "matchers", multiple=True, required=True,
              help='A matcher, e.g. \'site="par1"\'; repeat for more (all must fit)')
@click.option("--duration", default=None, help="How long from the start, e.g. 2h, 90m")
@click.option("--until", "until", default=None, callback=_when, help="End time (ISO 8601)")
@click.option("--starts", default=None, callback=_when, help="Start time (default: now)")
@click.option("--author", required=True, help="Who is silencing")
@click.option("--comment", required=True, help="Why (a ticket or change number helps)")
@click.option("--id", "silence_id", default=None, help="Id to use (default: generated)")
def add(tenant, matchers, duration, until, starts, author, comment, silence_id) -> None:
    """Create a silence and print its id."""
    from pipelines.cli import _guard, _settings

    if (duration is None) == (until is None):
        raise click.UsageError("give either --duration or --until")
    now = datetime.now(UTC)
    start = starts or now
    if duration is not None:
        try:
            end = start + timedelta(seconds=parse_duration(duration))
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--duration") from None
    else:
        end = until
    try:
        s = Silence(silence_id=silence_id or secrets.token_hex(4), matchers=list(matchers),
                    starts_at=start, ends_at=end, author=author, comment=comment,
                    created_at=now, updated_at=now)
    except ValidationError as exc:
        raise click.ClickException("; ".join(
            f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors())) from None
    from schemas.routing import LABELS

    for m in s.matchers:
        if m.name in LABELS:
            continue
        if m.op in ("!=", "!~"):
            click.secho(f"warning: {m} names no incident label, so it fits every incident "
                        f"(a missing label reads as \"\"); incident labels: "
                        f"{', '.join(LABELS)}", fg="yellow", err=True)
        else:
            click.secho(f"note: {m} names no incident label ({', '.join(LABELS)}): this "
                        "silence mutes only alerts that carry that label", err=True)
    settings = _settings()
    _guard(write_silence, settings, tenant, s)
    click.echo(s.silence_id)


@silence.command("list")
@click.option("-t", "--tenant", default=None, callback=_tenant, help="Only this tenant")
@click.option("--all", "show_all", is_flag=True, help="Expired and pending ones too")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line")
def list_(tenant, show_all, as_json) -> None:
    """Active silences (all of them with --all), soonest to end first."""
    from pipelines.cli import _guard, _settings
    from pipelines.formatting import format_table

    now = datetime.now(UTC)
    rows = []
    for (tid, _sid), ev in sorted(_guard(read_silences, _settings()).items(),
                                  key=lambda kv: kv[1].data.ends_at):
        s = ev.data
        state = ("active" if s.starts_at <= now < s.ends_at else
                 "pending" if now < s.starts_at else "expired")
        if (tenant and tid != tenant) or (state != "active" and not show_all):
            continue
        rows.append({"id": s.silence_id, "tenant": tid, "state": state,
                     "matchers": " ".join(str(m) for m in s.matchers),
                     "starts_at": s.starts_at.isoformat(), "ends_at": s.ends_at.isoformat(),
                     "author": s.author, "comment": s.comment})
    if as_json:
        for r in rows:
            click.echo(orjson.dumps(r).decode())
    elif rows:
        click.echo(format_table(rows))
    else:
        click.echo("no silences" + ("" if show_all else " active (--all shows every one)"))


@silence.command("expire")
@click.argument("silence_id")
@click.option("-t", "--tenant", required=True, callback=_tenant, help="Its tenant")
def expire(silence_id, tenant) -> None:
    """End a silence now."""
    from pipelines.cli import _guard, _settings

    settings = _settings()
    ev = _guard(read_silences, settings).get((tenant, silence_id))
    if ev is None:
        raise click.ClickException(f"no silence {silence_id!r} for tenant {tenant!r} "
                                   "(see `aiops silence list --all`)")
    now = datetime.now(UTC)
    s = ev.data
    if s.ends_at <= now:
        click.echo(f"{silence_id} had already ended at {s.ends_at.isoformat()}")
        return
    _guard(write_silence, settings, tenant, s.model_copy(update={
        "ends_at": max(now, s.starts_at), "updated_at": now}))
    click.echo(f"expired {silence_id}")


@click.group("notify")
def notify_group() -> None:
    """The notification routing file (config/notify.yaml, docs/notifications.md)."""


@notify_group.command("check")
@click.argument("path", required=False, type=click.Path(dir_okay=False))
def notify_check(path: str | None) -> None:
    """Validate a routing file (default: AIOPS_NOTIFY_ROUTES_PATH or config/notify.yaml) and
    print its receivers and routes with what each inherits."""
    from processors.notify.stage import load_routing
    from schemas.alert_rules import RuleError
    from schemas.routing import resolve

    if path is None:
        from config.settings import section_of
        from pipelines.cli import _settings

        path = section_of(_settings(), "notify").routes_path  # type: ignore[attr-defined]
    try:
        routing = load_routing(path)
    except (RuleError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("receivers:")
    for r in routing.receivers:
        extra = f" {r.url} ({r.format}{', signed' if r.secret_env else ''})" if r.url else ""
        click.echo(f"  {r.name}: {r.type}{extra}")
    click.echo("routes:")

    def show(node, depth: int) -> None:
        match = " ".join(str(m) for m in node.matchers) or "(everything)"
        cont = ", continue" if node.continue_ else ""
        click.echo(f"  {'  ' * depth}{node.path}: {match} -> {node.receiver} "
                   f"[group_by {','.join(node.group_by)}; wait {node.group_wait:g}s, "
                   f"interval {node.group_interval:g}s, repeat {node.repeat_interval:g}s{cont}]")
        for child in node.routes:
            show(child, depth + 1)

    show(resolve(routing.route), 0)


@notify_group.command("tail")
@click.argument("receiver")
@click.option("--group", default=None, help="Consumer group (default: aiops-tail-RECEIVER); "
              "a group resumes where it stopped")
@click.option("--new", "only_new", is_flag=True, help="Start at the end for a new group "
              "(default: from the beginning of the topic's retention)")
@click.option("--json", "as_json", is_flag=True, help="One notification as JSON per line")
@click.option("--for", "for_s", type=float, default=None, help="Stop after N seconds")
def notify_tail(receiver: str, group: str | None, only_new: bool, as_json: bool,
                for_s: float | None) -> None:
    """Print the notifications addressed to RECEIVER on aiops.notifications, as a Kafka
    receiver's consumer reads them (at least once, committed as printed). Ctrl-C stops."""
    import threading

    from connectors.kafka_io import check_broker
    from connectors.kafka_receiver.reader import follow
    from pipelines.cli import _guard, _settings

    s = _settings()
    _guard(check_broker, s.kafka.bootstrap)
    stop = threading.Event()
    timer = threading.Timer(for_s, stop.set) if for_s is not None else None
    if timer is not None:
        timer.daemon = True
        timer.start()
    try:
        for ev in follow(s.kafka.bootstrap, s.kafka.topic_prefix + "aiops.notifications",
                         receiver, group or f"aiops-tail-{receiver}", stop=stop,
                         from_beginning=not only_new):
            n = ev.data
            if as_json:
                click.echo(orjson.dumps({"tenant_id": ev.tenant_id,
                                         **n.model_dump(mode="json")}).decode())
            else:
                click.echo(f"{n.created_at:%H:%M:%S} {ev.tenant_id:<10} {n.status:<8} "
                           f"{n.reason:<8} {n.title}")
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        if timer is not None:
            timer.cancel()
