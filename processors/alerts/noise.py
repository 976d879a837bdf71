"""Noise metrics: event compression per tenant, defined as BigPanda and Moogsoft report it.

- notification compression = 1 - incidents / alert notifications received, where every alert
  object of every webhook call counts, repeats and resolutions included;
- fingerprint compression = 1 - incidents / distinct alert fingerprints, which leaves out what
  dedup alone removed, so the share due to grouping is visible beside the total.

``NoiseMeter`` accumulates the three counts from the processor's outputs over one reporting
window (the caller resets it, e.g. hourly), so its sets stay bounded by that window.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from processors.alerts.incident import ClusterOutput


def compression(incidents: int, received: int) -> float:
    """``1 - incidents / received``; 0.0 when nothing was received."""
    return 1.0 - incidents / received if received else 0.0


@dataclass(slots=True)
class TenantNoise:
    notifications: int = 0
    fingerprints: set[str] = field(default_factory=set)
    incidents: set[str] = field(default_factory=set)

    @property
    def notification_compression(self) -> float:
        return compression(len(self.incidents), self.notifications)

    @property
    def fingerprint_compression(self) -> float:
        return compression(len(self.incidents), len(self.fingerprints))


@dataclass(slots=True)
class NoiseMeter:
    tenants: dict[str, TenantNoise] = field(default_factory=dict)

    def observe(self, outputs: Iterable[ClusterOutput]) -> None:
        """Count notifications (one assignment each, re-marks excluded) and incident ids."""
        for out in outputs:
            for a in out.assignments:
                if a.kind == "remark":
                    continue
                t = self._tenant(a.tenant_id)
                t.notifications += 1
                t.fingerprints.add(a.fingerprint)
            for v in out.incidents:  # one folded into another is the same incident, not two
                ids = self._tenant(v.tenant_id).incidents
                if v.incident.merged_into:
                    ids.discard(v.incident.incident_id)
                    ids.add(v.incident.merged_into)
                else:
                    ids.add(v.incident.incident_id)

    def report(self) -> dict[str, dict[str, float]]:
        return {tid: {"notifications": t.notifications, "fingerprints": len(t.fingerprints),
                      "incidents": len(t.incidents),
                      "notification_compression": t.notification_compression,
                      "fingerprint_compression": t.fingerprint_compression}
                for tid, t in sorted(self.tenants.items())}

    def reset(self) -> None:
        self.tenants.clear()

    def _tenant(self, tid: str) -> TenantNoise:
        t = self.tenants.get(tid)
        if t is None:
            t = self.tenants[tid] = TenantNoise()
        return t
