"""The help-desk half of the demo's summary: for each injected fault, the correlated incident
with its alerts, tickets (urgency, sentiment) and help spike; then what the help center lacks."""

from __future__ import annotations

import click
import orjson

from connectors.clickhouse import ClickHouseSink
from schemas.clickhouse import sql_string

_SEVERITY = "indexOf(['info', 'warning', 'error', 'critical'], severity)"


def helpdesk_summary(sink: ClickHouseSink, db: str, limit: int = 6) -> None:
    correlated = sink.query(
        f"SELECT tenant_id, correlation_id, argMax(state, version) AS state, "
        f"argMax(title, version) AS title, argMax(severity, version) AS severity, "
        f"argMax(incident_ids, version) AS incidents, argMax(ticket_ids, version) AS tickets, "
        f"argMax(spike_ids, version) AS spikes, argMax(evidence, version) AS evidence, "
        f"argMax(confidence, version) AS confidence, min(first_seen) AS first "
        f"FROM {db}.correlated_incidents FINAL GROUP BY tenant_id, correlation_id "
        f"ORDER BY length(incidents) > 0 DESC, {_SEVERITY} DESC, length(tickets) DESC "
        f"LIMIT {limit}")
    if correlated:
        click.secho("\nCorrelated incidents (alerts + tickets + help spikes, correlation stage):",
                    bold=True)
    for c in correlated:
        click.echo(f"  {c['tenant_id']:<8} {c['state']:<9} {c['severity']:<9} "
                   f"{c['title'][:90]}  (confidence {c['confidence']:.2f}, from {c['first']} UTC)")
        _alerts(sink, db, c)
        _tickets(sink, db, c)
        for e in orjson.loads(c["evidence"] or "[]"):
            if e["kind"] == "help_spike":
                click.echo(f"      help spike  {e['title'][:60]}  ({e['why'][:120]})")
    _gaps(sink, db)


def _alerts(sink: ClickHouseSink, db: str, c: dict) -> None:
    if not c["incidents"]:
        click.echo("      no alert saw it: reported by people only")
        return
    rows = sink.query(
        f"SELECT incident_id, argMax(title, version) AS title, max(alert_count) AS n "
        f"FROM {db}.incidents FINAL WHERE tenant_id = {sql_string(c['tenant_id'])} AND "
        f"has({_array(c['incidents'])}, incident_id) GROUP BY incident_id")
    for r in rows:
        click.echo(f"      incident    {r['title'][:60]}  ({r['n']} alerts)")


def _tickets(sink: ClickHouseSink, db: str, c: dict) -> None:
    if not c["tickets"]:
        return
    rows = sink.query(
        f"SELECT ticket_id, argMin(subject, seq) AS subject, argMin(language, seq) AS lang, "
        f"max(urgent) AS urgent, argMax(sentiment, seq) AS sentiment, max(escalated) AS esc "
        f"FROM {db}.ticket_insights FINAL WHERE tenant_id = {sql_string(c['tenant_id'])} AND "
        f"has({_array(c['tickets'])}, ticket_id) GROUP BY ticket_id ORDER BY urgent DESC "
        f"LIMIT 5")
    for r in rows:
        flags = ("URGENT " if r["urgent"] else "") + ("escalated " if r["esc"] else "")
        click.echo(f"      ticket      {r['ticket_id']:<9} [{r['lang']}] {r['sentiment']:<8} "
                   f"{flags:<17}{r['subject'][:50]}")
    if len(c["tickets"]) > len(rows):
        click.echo(f"      ... and {len(c['tickets']) - len(rows)} more tickets")


def _gaps(sink: ClickHouseSink, db: str) -> None:
    gaps = sink.query(
        f"SELECT tenant_id, q AS query, count() AS searches, countIf(outcome = 'failed') AS "
        f"tickets FROM {db}.help_sessions FINAL ARRAY JOIN zero_result_queries AS q "
        f"GROUP BY tenant_id, q ORDER BY tickets DESC, searches DESC LIMIT 5")
    if gaps:
        click.secho("\nTop content gaps (searches with no result; how many ended in a ticket):",
                    bold=True)
        for g in gaps:
            click.echo(f"  {g['tenant_id']:<8} {g['query'][:40]:<40} {g['searches']:>5} "
                       f"searches, {g['tickets']:>3} followed by a ticket")
    rate = sink.query(
        f"SELECT tenant_id, countIf(outcome = 'deflected') AS d, countIf(outcome = 'failed') "
        f"AS f FROM {db}.help_sessions FINAL GROUP BY tenant_id ORDER BY tenant_id")
    if rate:
        click.echo("  deflection (sessions of known users not followed by a ticket within 30 "
                   "min): " + ", ".join(
                       f"{r['tenant_id']} {r['d'] / max(r['d'] + r['f'], 1):.1%} ({r['f']} of "
                       f"{r['d'] + r['f']} ended in a ticket)" for r in rate))
        click.echo("  more: aiops query deflection | gaps-ending-in-tickets | "
                   "helpful-share-drop   (docs/helpdesk.md)")


def _array(values: list[str]) -> str:
    return "[" + ", ".join(sql_string(v) for v in values) + "]"
