"""Kafka record keys, as the topic table describes them: every key starts with the tenant."""

from __future__ import annotations

from schemas.envelope import Envelope
from schemas.events import AlertEvent, HelpInteractionEvent, MetricSampleEvent, TicketEventEvent


def series_id(ev: MetricSampleEvent) -> str:
    """Tenant, metric name and the resource attributes, in a stable order."""
    attrs = ev.data.resource.attributes()
    return "|".join([ev.tenant_id, ev.data.name, *(f"{k}={attrs[k]}" for k in sorted(attrs))])


def record_key(ev: Envelope) -> bytes:
    if isinstance(ev, MetricSampleEvent):
        key = series_id(ev)
    elif isinstance(ev, AlertEvent):
        key = ev.tenant_id  # clustering needs all of a tenant's alerts in one partition
    elif isinstance(ev, TicketEventEvent):
        key = f"{ev.tenant_id}|{ev.data.ticket_id}"
    elif isinstance(ev, HelpInteractionEvent):
        key = f"{ev.tenant_id}|{ev.data.session_id}"
    else:
        key = f"{ev.tenant_id}|{ev.id}"
    return key.encode()
