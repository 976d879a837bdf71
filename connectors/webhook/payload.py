"""Webhook bodies: Alertmanager v4 (each incident as one alert), Slack, or the notification.

Alertmanager's webhook shape lets any tool that already takes Alertmanager's webhooks take
ours unchanged: the group is the notification's group, each incident an alert named
``AIOpsIncident`` with its id, severity, tenant and scope as labels.
"""

from __future__ import annotations

import hashlib

import orjson

from schemas.notify import IncidentBrief, Notification

_ZERO_TIME = "0001-01-01T00:00:00Z"  # Alertmanager's "not ended"
_EMOJI = {"critical": ":red_circle:", "error": ":large_orange_circle:",
          "warning": ":large_yellow_circle:", "info": ":large_blue_circle:"}


def _iso(dt) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def _alert(tenant: str, b: IncidentBrief) -> dict:
    labels = {"alertname": "AIOpsIncident", "incident_id": b.incident_id,
              "severity": b.severity, "tenant": tenant}
    for name, values in (("site", b.sites), ("service", b.services), ("host", b.hosts)):
        if values:
            labels[name] = ",".join(values[:20])
    annotations = {"summary": b.title,
                   "description": f"{b.alert_count} alert(s); state {b.state}"}
    if b.runbook_urls:
        annotations["runbook_url"] = b.runbook_urls[0]
    return {"status": "firing" if b.is_open else "resolved", "labels": labels,
            "annotations": annotations, "startsAt": _iso(b.first_seen),
            "endsAt": _ZERO_TIME if b.is_open else _iso(b.last_seen), "generatorURL": "",
            "fingerprint": hashlib.blake2b(f"{tenant}|{b.incident_id}".encode(),
                                           digest_size=8).hexdigest()}


def alertmanager(n: Notification, tenant: str) -> dict:
    alerts = [_alert(tenant, b) for b in n.incidents]
    common = dict(alerts[0]["labels"])
    for a in alerts[1:]:
        common = {k: v for k, v in common.items() if a["labels"].get(k) == v}
    return {"version": "4", "groupKey": n.group_key, "truncatedAlerts": 0, "status": n.status,
            "receiver": n.receiver, "groupLabels": n.group_labels, "commonLabels": common,
            "commonAnnotations": {} if len(alerts) > 1 else alerts[0]["annotations"],
            "externalURL": "", "alerts": alerts}


def slack(n: Notification, tenant: str) -> dict:
    lines = [f"{_EMOJI.get(b.severity, '')} *{b.title}* — {b.alert_count} alert(s)"
             + (f", sites {', '.join(b.sites[:5])}" if b.sites else "")
             + ("" if b.is_open else " _(resolved)_") for b in n.incidents[:20]]
    head = f"{n.title} ({tenant})"
    return {"text": head, "blocks": [
        {"type": "header", "text": {"type": "plain_text", "text": head[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:3000]}}]}


def body(n: Notification, tenant: str, fmt: str) -> bytes:
    if fmt == "alertmanager":
        doc = alertmanager(n, tenant)
    elif fmt == "slack":
        doc = slack(n, tenant)
    else:
        doc = {"tenant_id": tenant, **n.model_dump(mode="json")}
    return orjson.dumps(doc)
