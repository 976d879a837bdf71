"""Valid example events for every type, as plain JSON-able dicts."""

from __future__ import annotations

import copy

T = "2026-11-23T12:00:00Z"


def envelope(etype: str, data: dict, **extra) -> dict:
    return {"specversion": "1.0", "id": "ev-1", "source": "tests", "type": etype, "time": T,
            "tenant_id": "acme", "schema_version": 1, "data": data, **extra}


VALID: dict[str, dict] = {
    "metric.sample": envelope("metric.sample", {
        "name": "system.cpu.utilization", "value": 0.42, "unit": "1", "timestamp": T,
        "resource": {"service.name": "api", "host.name": "db-7", "site": "par1",
                     "deployment.environment.name": "production", "cloud.region": "eu-west-1",
                     "k8s.pod.name": "api-5f7"}}),
    "alert": envelope("alert", {
        "status": "firing", "labels": {"alertname": "DiskFull", "severity": "critical",
                                       "host": "db-7"},
        "annotations": {"summary": "disk 91% on db-7"}, "startsAt": T,
        "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prom/graph",
        "fingerprint": "a1b2c3d4e5f60718"}),
    "ticket.event": envelope("ticket.event", {
        "ticket_id": "T-1", "action": "created", "timestamp": T, "subject": "VPN down",
        "text": "Cannot connect since 9am", "priority": "high", "requester": "ann@acme.example",
        "site": "par1"}),
    "ticket.feedback": envelope("ticket.feedback", {
        "ticket_id": "T-1", "timestamp": T, "verdict": "wrong", "urgent": False,
        "by": "noc-lead@acme.example", "comment": "one user, not a site outage"}),
    "help.interaction": envelope("help.interaction", {
        "kind": "search", "timestamp": T, "session_id": "s-1", "query": "vpn error 809",
        "result_count": 0}),
    "aiops.anomaly": envelope("aiops.anomaly", {
        "series_id": "acme|cpu|db-7", "name": "system.cpu.utilization", "timestamp": T,
        "value": 0.99, "score": 0.97, "expected": 0.4, "lower": 0.2, "upper": 0.6,
        "detector": "seasonal", "is_anomaly": True}),
    "aiops.incident": envelope("aiops.incident", {
        "incident_id": "inc-1", "version": 1, "state": "open", "title": "DB down at par1",
        "severity": "critical", "sites": ["par1"], "first_seen": T, "last_seen": T,
        "alert_fingerprints": ["a1b2"], "alert_count": 1}),
    "aiops.alert-assignment": envelope("aiops.alert-assignment", {
        "alert_event_id": "ev-0", "fingerprint": "a1b2", "kind": "new", "status": "firing",
        "incident_id": "inc-1", "template_id": "t1", "suppressed_by": [], "timestamp": T}),
    "aiops.notification": envelope("aiops.notification", {
        "notification_id": "n-1", "dedup_key": "acme/hook/g1/1", "receiver": "hook",
        "receiver_type": "webhook", "route": "root/1", "group_key": 'root/1:{site="par1"}',
        "group_labels": {"site": "par1"}, "status": "firing", "reason": "new",
        "severity": "critical", "title": "DB down at par1", "sequence": 1, "created_at": T,
        "source_time": T, "incidents": [{
            "incident_id": "inc-1", "version": 1, "state": "open", "title": "DB down",
            "severity": "critical", "first_seen": T, "last_seen": T}]}),
}


def valid(etype: str) -> dict:
    return copy.deepcopy(VALID[etype])
