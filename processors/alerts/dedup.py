"""Deduplication by fingerprint with the firing -> resolved lifecycle.

Alertmanager re-sends every firing alert on each group interval and sends it once more when it
resolves, so most notifications are repeats. One record per fingerprint tells them apart:

| record       | notification | kind      | meaning                                         |
|--------------|--------------|-----------|-------------------------------------------------|
| none         | firing       | ``new``   | first occurrence: template it, group it          |
| firing       | firing       | ``repeat``| an update of a known alert (last_seen moves)     |
| firing       | resolved     | ``resolved`` | the occurrence ended                          |
| firing       | resolved, earlier starts_at | ``stale`` | a late end of an older occurrence |
| resolved     | firing, same starts_at | ``stale`` | a late copy of the ended occurrence   |
| resolved     | firing, later starts_at | ``refire`` | a new occurrence (flapping, relapse) |
| resolved     | resolved     | ``repeat``|                                                 |
| none         | resolved     | ``orphan``| resolved before we saw it firing (or forgotten)  |

Records live in a ``TTLState``: a fingerprint not heard of for ``alert_ttl`` is forgotten.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from processors.alerts.state import TTLState

Kind = Literal["new", "repeat", "resolved", "stale", "refire", "orphan"]


@dataclass(slots=True)
class AlertRecord:
    """What the processor remembers about one fingerprint of one tenant."""

    fingerprint: str
    status: Literal["firing", "resolved"]
    starts_at: float
    first_seen: float
    last_seen: float
    event_id: str
    notifications: int = 1
    incident_id: str | None = None
    attrs: dict[str, str] = field(default_factory=dict)
    severity: int = 0
    suppressed_by: tuple[str, ...] = ()
    resolved_at: float | None = None


class Deduper:
    """Classifies each notification of one tenant and keeps the per-fingerprint record."""

    __slots__ = ("alert_ttl", "records")

    def __init__(self, alert_ttl: float) -> None:
        self.alert_ttl = alert_ttl
        self.records: TTLState[str, AlertRecord] = TTLState(alert_ttl)

    def observe(self, fingerprint: str, status: str, starts_at: float, event_id: str,
                now: float) -> tuple[Kind, AlertRecord]:
        """Classify a notification and update (or create) its record."""
        rec = self.records.get(fingerprint, now)
        firing = status == "firing"
        if rec is None:
            rec = AlertRecord(fingerprint, "firing" if firing else "resolved", starts_at, now,
                              now, event_id)
            if not firing:
                rec.resolved_at = now
            self.records.set(fingerprint, rec, now)
            return ("new" if firing else "orphan"), rec
        rec.notifications += 1
        rec.last_seen = now
        rec.event_id = event_id
        self.records.touch(fingerprint, now)
        if rec.status == "firing":
            if firing:
                return "repeat", rec
            if starts_at < rec.starts_at:
                return "stale", rec  # the end of an earlier occurrence, arriving late
            rec.status, rec.resolved_at = "resolved", now
            return "resolved", rec
        if not firing:
            return "repeat", rec
        if starts_at <= rec.starts_at:
            return "stale", rec
        rec.status, rec.starts_at, rec.first_seen, rec.resolved_at = "firing", starts_at, now, None
        rec.suppressed_by = ()
        return "refire", rec

    def expire(self, now: float) -> list[AlertRecord]:
        return [rec for _, rec in self.records.expire(now)]
