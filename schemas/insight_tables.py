"""ClickHouse tables, row mappers, topics and event registrations of the help-desk side
(``schemas/insights.py``): the tickets, help and correlation stages declare these."""

from __future__ import annotations

import orjson

from schemas.clickhouse import _TAIL, LC, TS, Table, _head, ch_time, col, cols, envelope_columns
from schemas.insights import (
    CorrelatedIncidentEvent,
    HelpSessionEvent,
    HelpSpikeEvent,
    TicketEscalationEvent,
    TicketExampleEvent,
    TicketInsightEvent,
)
from schemas.registry import EventType
from schemas.topics import DAY_MS, Topic


def _tenant(ev) -> str:
    return ev.tenant_id


def _json(value) -> str:
    return orjson.dumps([v.model_dump(mode="json") for v in value]).decode()


# -- tables ------------------------------------------------------------------------------------
TICKET_INSIGHTS = Table(
    "ticket_insights",
    cols(_head("When the ticket text was written"), col("ticket_id", "String", "Ticket"),
         col("text_id", "String", "Id of the ticket event the text came from"),
         col("seq", "UInt16", "0 for the creation text, then one per text in the thread"),
         col("action", LC, "created or commented (or a status change with text)"),
         col("requester", "String", "Who asked"), col("site", LC, "Site"),
         col("service", LC, "Service"), col("subject", "String", "Ticket subject"),
         col("excerpt", "String", "Start of the text"),
         col("language", LC, "ISO 639-1, hi-latn/te-latn for romanised text, und if unknown"),
         col("readable", "Bool", "Scored as read; false: a language the scorers do not read"),
         col("sentiment", LC, "negative, neutral or positive"),
         col("sentiment_score", "Float32", "-1 (negative) .. 1 (positive)"),
         col("urgency", "Float32", "0..1"), col("urgent", "Bool", "Act within the hour"),
         col("thread_urgent", "Bool", "The thread was urgent before this text"),
         col("reasons", "String", "JSON list of {kind, evidence, weight}: why"),
         col("topics", f"Array({LC})", "What the text is about"),
         col("escalated", "Bool", "This text escalated the ticket"), _TAIL),
    "tenant_id, ticket_id, ts, id", 180, "Per ticket text: language, sentiment, urgency, why.")

TICKET_ESCALATIONS = Table(
    "ticket_escalations",
    cols(_head("When the escalating text was written"), col("ticket_id", "String", "Ticket"),
         col("text_id", "String", "Ticket event that escalated it"),
         col("rules", f"Array({LC})", "urgency, sentiment_worsening, repeat_contact, sla_age"),
         col("urgency", "Float32", "0..1"), col("sentiment", LC, "Sentiment of the text"),
         col("subject", "String", "Ticket subject"), col("requester", "String", "Who asked"),
         col("site", LC, "Site"), col("service", LC, "Service"),
         col("detail", "String", "What the rules saw"), _TAIL),
    "tenant_id, ticket_id, ts, id", 180, "Tickets escalated to operations, and why.")

TICKET_EXAMPLES = Table(
    "ticket_examples",
    cols(_head("Feedback time"), col("ticket_id", "String", "Ticket"),
         col("text_id", "String", "The judged text"), col("text", "String", "Its text"),
         col("language", LC, "Language"),
         col("urgent", "Nullable(Bool)", "Right answer for urgency, if given"),
         col("sentiment", "Nullable(String)", "Right answer for sentiment, if given"),
         col("predicted_urgent", "Bool", "What the stage had said"),
         col("predicted_sentiment", LC, "What the stage had said"), _TAIL),
    "tenant_id, ticket_id, ts, id", 365, "Operator feedback turned into learning examples.")

HELP_SESSIONS = Table(
    "help_sessions",
    cols(_head("Session start"), col("session_id", "String", "Session"),
         col("user_id", "String", "User, if known"), col("site", LC, "Site"),
         col("ended_at", TS, "Last interaction"),
         col("interactions", "UInt32", "Interactions in the session"),
         col("articles", "Array(String)", "Articles read"),
         col("queries", "Array(String)", "Normalised searches and chat questions"),
         col("zero_result_queries", "Array(String)", "Normalised searches with no result"),
         col("outcome", LC, "deflected, failed (a ticket followed) or unknown (no user id)"),
         col("ticket_id", "String", "The ticket that followed, if failed"), _TAIL),
    "tenant_id, ts, session_id, id", 180, "Help sessions and whether each deflected a ticket.")

HELP_SPIKES = Table(
    "help_spikes",
    cols(_head("Window start"), col("spike_id", "String", "Spike (one per site, topic, onset)"),
         col("site", LC, "Site"), col("topic", "String", "What the traffic was about"),
         col("window_s", "UInt32", "Window length"), col("count", "UInt32", "Count in window"),
         col("expected", "Float32", "Baseline count"), col("score", "Float32", "0..1"),
         col("state", LC, "open or resolved"),
         col("sessions", "Array(String)", "Sessions that made it (capped)"),
         col("queries", "Array(String)", "Sample queries"), _TAIL),
    "tenant_id, spike_id, ts, id", 180, "Help-center traffic spikes about one topic at one site.")

CORRELATED_INCIDENTS = Table(
    "correlated_incidents",
    cols(_head("last_seen of this version"), col("correlation_id", "String", "Correlated incident"),
         col("version", "UInt32", "Version; the highest is current"),
         col("state", LC, "open, updated or resolved"), col("title", "String", "Title"),
         col("severity", LC, "Highest severity"), col("sites", f"Array({LC})", "Sites"),
         col("services", f"Array({LC})", "Services"), col("first_seen", TS, "First evidence"),
         col("last_seen", TS, "Last evidence"),
         col("incident_ids", "Array(String)", "Alert incidents joined"),
         col("ticket_ids", "Array(String)", "Tickets joined"),
         col("spike_ids", "Array(String)", "Help spikes joined"),
         col("evidence", "String", "JSON list of {kind, ref, title, why, confidence, ...}"),
         col("confidence", "Float32", "0..1"),
         col("urgent_tickets", "UInt32", "Urgent tickets joined"),
         col("negative_tickets", "UInt32", "Negative tickets joined"), _TAIL),
    "tenant_id, correlation_id, version, id", 180,
    "Incidents joined across alerts, tickets and help spikes, with evidence.")


# -- rows --------------------------------------------------------------------------------------
def insight_row(ev: TicketInsightEvent) -> dict:
    d = ev.data
    return {**envelope_columns(ev, d.timestamp), "ticket_id": d.ticket_id, "text_id": d.text_id,
            "seq": d.seq, "action": d.action, "requester": d.requester or "",
            "site": d.site or "", "service": d.service or "", "subject": d.subject,
            "excerpt": d.excerpt, "language": d.language, "readable": d.readable,
            "sentiment": d.sentiment, "sentiment_score": d.sentiment_score,
            "urgency": d.urgency, "urgent": d.urgent, "thread_urgent": d.thread_urgent,
            "reasons": _json(d.reasons), "topics": d.topics, "escalated": d.escalated}


def escalation_row(ev: TicketEscalationEvent) -> dict:
    d = ev.data
    return {**envelope_columns(ev, d.timestamp), "ticket_id": d.ticket_id, "text_id": d.text_id,
            "rules": d.rules, "urgency": d.urgency, "sentiment": d.sentiment,
            "subject": d.subject, "requester": d.requester or "", "site": d.site or "",
            "service": d.service or "", "detail": d.detail}


def example_row(ev: TicketExampleEvent) -> dict:
    d = ev.data
    return {**envelope_columns(ev, d.timestamp), "ticket_id": d.ticket_id, "text_id": d.text_id,
            "text": d.text, "language": d.language, "urgent": d.urgent,
            "sentiment": d.sentiment, "predicted_urgent": d.predicted_urgent,
            "predicted_sentiment": d.predicted_sentiment}


def session_row(ev: HelpSessionEvent) -> dict:
    d = ev.data
    return {**envelope_columns(ev, d.started_at), "session_id": d.session_id,
            "user_id": d.user_id or "", "site": d.site or "", "ended_at": ch_time(d.ended_at),
            "interactions": d.interactions, "articles": d.articles, "queries": d.queries,
            "zero_result_queries": d.zero_result_queries, "outcome": d.outcome,
            "ticket_id": d.ticket_id or ""}


def spike_row(ev: HelpSpikeEvent) -> dict:
    d = ev.data
    return {**envelope_columns(ev, d.window_start), "spike_id": d.spike_id, "site": d.site or "",
            "topic": d.topic, "window_s": d.window_s, "count": d.count, "expected": d.expected,
            "score": d.score, "state": d.state, "sessions": d.sessions, "queries": d.queries}


def correlated_row(ev: CorrelatedIncidentEvent) -> dict:
    d = ev.data
    return {**envelope_columns(ev, d.last_seen), "correlation_id": d.correlation_id,
            "version": d.version, "state": d.state, "title": d.title, "severity": d.severity,
            "sites": d.sites, "services": d.services, "first_seen": ch_time(d.first_seen),
            "last_seen": ch_time(d.last_seen), "incident_ids": d.incident_ids,
            "ticket_ids": d.ticket_ids, "spike_ids": d.spike_ids,
            "evidence": _json(d.evidence), "confidence": d.confidence,
            "urgent_tickets": d.urgent_tickets, "negative_tickets": d.negative_tickets}


# -- topics ------------------------------------------------------------------------------------
_TENANT = "tenant_id (one tenant's help-desk signals meet, in order)"
TICKET_INSIGHTS_TOPIC = Topic(
    "aiops.ticket-insights", _TENANT, 2, 30 * DAY_MS, role="derived",
    description="Per ticket text: language, sentiment, urgency, why; and escalations.")
TICKET_EXAMPLES_TOPIC = Topic(
    "aiops.ticket-examples", "tenant_id", 1, 365 * DAY_MS, role="derived",
    description="Learning examples made from operator feedback; every tickets worker reads "
    "them all (side input), so all learn the same model.")
TICKETS_STATE_TOPIC = Topic(
    "aiops.tickets-state", "tenant_id|ticket or requester", 2, 30 * DAY_MS,
    cleanup_policy="compact", role="state",
    description="Changelog of ticket threads and requester contacts; each record goes to the "
    "partition of tickets.events it was read from.")
HELP_SIGNALS_TOPIC = Topic(
    "aiops.help-signals", _TENANT, 2, 30 * DAY_MS, role="derived",
    description="Closed help sessions (deflected or not) and help-traffic spikes.")
HELP_STATE_TOPIC = Topic(
    "aiops.help-state", "tenant_id|session, user or series", 2, 14 * DAY_MS,
    cleanup_policy="compact", role="state",
    description="Changelog of open help sessions, recent sessions per user and topic "
    "baselines; each record goes to the partition of help.interactions it was read from.")
CORRELATION_STATE_TOPIC = Topic(
    "aiops.correlation-state", "tenant_id (one record per tenant)", 2, 30 * DAY_MS,
    cleanup_policy="compact", role="state",
    description="Changelog of each tenant's open correlated incidents and unmatched evidence; "
    "each record goes to the partition of aiops.incidents the tenant is read from.")

# -- event types -------------------------------------------------------------------------------
T = "2026-11-23T12:00:00Z"
INSIGHT_EVENT = EventType(
    "aiops.ticket-insight", TicketInsightEvent, "aiops.ticket-insights", _tenant,
    "ticket_insights", insight_row, example={
        "specversion": "1.0", "id": "ev-1:insight", "source": "aiops/tickets",
        "type": "aiops.ticket-insight", "time": T, "tenant_id": "acme", "data": {
            "ticket_id": "T-1", "text_id": "ev-1", "seq": 0, "action": "created",
            "timestamp": T, "requester": "ann@acme.example", "site": "par1", "service": "vpn",
            "subject": "VPN down", "excerpt": "Nobody on floor 3 can connect",
            "language": "en", "readable": True, "sentiment": "negative",
            "sentiment_score": -0.4, "urgency": 0.81, "urgent": True,
            "reasons": [{"kind": "scope", "evidence": "nobody on floor 3", "weight": 0.6}],
            "topics": ["vpn"], "escalated": True}})
ESCALATION_EVENT = EventType(
    "aiops.ticket-escalation", TicketEscalationEvent, "aiops.ticket-insights", _tenant,
    "ticket_escalations", escalation_row, example={
        "specversion": "1.0", "id": "ev-1:escalation", "source": "aiops/tickets",
        "type": "aiops.ticket-escalation", "time": T, "tenant_id": "acme", "data": {
            "ticket_id": "T-1", "text_id": "ev-1", "timestamp": T, "rules": ["urgency"],
            "urgency": 0.81, "sentiment": "negative", "subject": "VPN down", "site": "par1",
            "detail": "urgency 0.81 >= 0.6"}})
EXAMPLE_EVENT = EventType(
    "aiops.ticket-example", TicketExampleEvent, "aiops.ticket-examples", _tenant,
    "ticket_examples", example_row, example={
        "specversion": "1.0", "id": "fb-1:example", "source": "aiops/tickets",
        "type": "aiops.ticket-example", "time": T, "tenant_id": "acme", "data": {
            "ticket_id": "T-1", "text_id": "ev-1", "timestamp": T,
            "text": "Nobody on floor 3 can connect", "language": "en", "urgent": False,
            "predicted_urgent": True, "predicted_sentiment": "negative"}})
SESSION_EVENT = EventType(
    "aiops.help-session", HelpSessionEvent, "aiops.help-signals", _tenant, "help_sessions",
    session_row, example={
        "specversion": "1.0", "id": "acme|s-1:session", "source": "aiops/help",
        "type": "aiops.help-session", "time": T, "tenant_id": "acme", "data": {
            "session_id": "s-1", "user_id": "ann@acme.example", "site": "par1",
            "started_at": T, "ended_at": T, "interactions": 3, "articles": ["kb-42"],
            "queries": ["vpn error 809"], "zero_result_queries": ["vpn error 809"],
            "outcome": "failed", "ticket_id": "T-1"}})
SPIKE_EVENT = EventType(
    "aiops.help-spike", HelpSpikeEvent, "aiops.help-signals", _tenant, "help_spikes",
    spike_row, example={
        "specversion": "1.0", "id": "acme|par1|vpn|1:open", "source": "aiops/help",
        "type": "aiops.help-spike", "time": T, "tenant_id": "acme", "data": {
            "spike_id": "acme|par1|vpn|1", "site": "par1", "topic": "vpn",
            "window_start": T, "window_s": 300, "count": 42, "expected": 3.5, "score": 0.99,
            "sessions": ["s-1"], "queries": ["vpn not connecting"]}})
CORRELATED_EVENT = EventType(
    "aiops.correlated-incident", CorrelatedIncidentEvent, "aiops.incidents", _tenant,
    "correlated_incidents", correlated_row, example={
        "specversion": "1.0", "id": "acme|c-1:1", "source": "aiops/correlation",
        "type": "aiops.correlated-incident", "time": T, "tenant_id": "acme", "data": {
            "correlation_id": "c-1", "version": 1, "state": "open",
            "title": "VPN down at par1: 3 alerts, 5 tickets, help searches x12",
            "severity": "critical", "sites": ["par1"], "services": ["vpn"],
            "first_seen": T, "last_seen": T, "incident_ids": ["inc-1"],
            "ticket_ids": ["T-1"], "spike_ids": [], "evidence": [{
                "kind": "ticket", "ref": "T-1", "title": "VPN down",
                "why": "same site par1, mentions vpn, 4 min after the first alert",
                "confidence": 0.9, "joined_at": T, "urgent": True,
                "sentiment": "negative"}],
            "confidence": 0.9, "urgent_tickets": 1, "negative_tickets": 1}})

TABLES = (TICKET_INSIGHTS, TICKET_ESCALATIONS, TICKET_EXAMPLES, HELP_SESSIONS, HELP_SPIKES,
          CORRELATED_INCIDENTS)
