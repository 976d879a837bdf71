"""Alertmanager (version 4) and Grafana webhook payloads -> alert events.

Grafana's unified alerting sends Alertmanager's payload plus fields of its own (``orgId``,
``title``, ``state``, ``message``; per alert ``values``, ``valueString``, ``silenceURL``,
``dashboardURL``, ``panelURL``, ``imageURL``) and ``version: "1"``. Its extras are dropped or
kept as ``grafana_*`` annotations; Alertmanager's own payload stays strict, so a malformed one
gets a 400 naming the field instead of silently losing data.

Ids: Alertmanager repeats a firing alert byte for byte every ``repeat_interval``, and every
notification counts for noise metrics, so an id cannot be a digest of the body alone. A body
gets a fresh stamp when first seen and keeps it until it is answered 2xx or 4xx: a retry after a
503 (Alertmanager and Grafana retry by themselves) gets the same ids, a later repeat new ones.
"""

from __future__ import annotations

import os
import time
from collections import OrderedDict
from datetime import datetime
from typing import Any

import orjson

from connectors.gateway.payloads import PayloadError, build_events, loads, request_digest
from schemas.events import AlertEvent

ALERT_FIELDS = {"status", "labels", "annotations", "startsAt", "endsAt", "generatorURL",
                "fingerprint"}
GRAFANA_ANNOTATIONS = {"dashboardURL": "grafana_dashboard_url", "panelURL": "grafana_panel_url",
                       "imageURL": "grafana_image_url", "valueString": "grafana_value_string"}
_MAX_ANNOTATION = 1024  # schemas.events.LabelMap values


def flavour(payload: Any, route: str) -> str:
    """'grafana' or 'alertmanager'; /v1/alertmanager also takes Grafana's payload, which
    Grafana's docs describe as Alertmanager-compatible, recognised by ``orgId`` or version 1."""
    if route == "grafana":
        return "grafana"
    if isinstance(payload, dict) and ("orgId" in payload or str(payload.get("version")) == "1"):
        return "grafana"
    return "alertmanager"


def _short(value: object) -> str:
    text = value if isinstance(value, str) else orjson.dumps(value).decode()
    return text if len(text) <= _MAX_ANNOTATION else text[:_MAX_ANNOTATION - 1] + "…"


def _grafana_alert(alert: dict[str, Any]) -> dict[str, Any]:
    """Alertmanager's fields of a Grafana alert; what else matters becomes annotations."""
    out = {k: v for k, v in alert.items() if k in ALERT_FIELDS}
    notes = out.get("annotations")
    if not isinstance(notes, dict):
        return out  # validation names the field
    notes = dict(notes)
    values = alert.get("values")
    if isinstance(values, dict) and values:
        notes.setdefault("grafana_values", _short(", ".join(
            f"{k}={orjson.dumps(v).decode()}" for k, v in values.items())))
    for field, note in GRAFANA_ANNOTATIONS.items():
        if alert.get(field):
            notes.setdefault(note, _short(alert[field]))
    out["annotations"] = notes
    return out


def webhook_items(payload: Any, kind: str) -> tuple[str, list[dict[str, Any]]]:
    """(source, items for ``build_events``) of a webhook payload of flavour ``kind``."""
    name = "Grafana" if kind == "grafana" else "Alertmanager"
    if not isinstance(payload, dict):
        raise PayloadError(400, f"expected a {name} webhook payload: a JSON object with an "
                           "'alerts' list")
    if kind == "grafana" and "alerts" not in payload and ("evalMatches" in payload
                                                          or "ruleName" in payload):
        raise PayloadError(400, "this is legacy Grafana alerting's payload (evalMatches, "
                           "ruleName); send from a unified alerting webhook contact point")
    alerts = payload.get("alerts")
    if not isinstance(alerts, list):
        raise PayloadError(400, f"expected a {name} webhook payload with an 'alerts' list")
    version = payload.get("version")
    if kind == "alertmanager" and version is not None and str(version) != "4":
        raise PayloadError(400, f"unsupported Alertmanager webhook version {version!r}; "
                           "this receiver speaks version 4 (Grafana: use /v1/grafana)")
    receiver = payload.get("receiver") or kind
    if not isinstance(receiver, str):
        raise PayloadError(400, f"'receiver' must be a string, got {type(receiver).__name__}")
    for i, a in enumerate(alerts):
        if not isinstance(a, dict):
            raise PayloadError(400, f"alert {i} must be a JSON object", i)
    if kind == "grafana":
        alerts = [_grafana_alert(a) for a in alerts]
    return f"{kind}/{receiver[:200]}", [{"data": a} for a in alerts]


class RetryStamps:
    """Body digest -> stamp of requests not answered 2xx/4xx yet, kept ``window_s`` at most.

    In memory: a retry that reaches another gateway replica, or this one after a restart, gets
    new ids (at-least-once, as before)."""

    def __init__(self, window_s: float = 3600.0, max_entries: int = 10_000) -> None:
        self.window_s = window_s
        self.max_entries = max_entries
        self._stamps: OrderedDict[str, tuple[float, str]] = OrderedDict()

    def stamp(self, digest: str) -> str:
        now = time.monotonic()
        while self._stamps:  # oldest first
            first, (seen, _) = next(iter(self._stamps.items()))
            if now - seen <= self.window_s and len(self._stamps) < self.max_entries:
                break
            del self._stamps[first]
        if digest in self._stamps:
            return self._stamps[digest][1]
        value = os.urandom(4).hex()
        self._stamps[digest] = (now, value)
        return value

    def settled(self, digest: str) -> None:
        """Answered 2xx or 4xx: nothing of it is stored, or all of it is and the client knows,
        so a byte-identical request from now on is a new notification."""
        self._stamps.pop(digest, None)


def webhook_events(body: bytes, tenant: str, route: str, stamps: RetryStamps, *,
                   now: datetime | None = None) -> tuple[str, list[AlertEvent]]:
    """(digest to pass to ``stamps.settled`` once answered 2xx/4xx, one event per alert
    object): repeats included, since every notification counts for noise metrics."""
    payload = loads(body)
    kind = flavour(payload, route)
    source, items = webhook_items(payload, kind)
    digest = request_digest(tenant, kind, body)
    prefix = f"{tenant}-{digest}-{stamps.stamp(digest)}"
    try:
        events = build_events("alerts", items, tenant, source=source, id_prefix=prefix, now=now)
    except PayloadError:
        stamps.settled(digest)
        raise
    return digest, events  # type: ignore[return-value]
