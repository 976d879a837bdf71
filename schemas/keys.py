"""Key helpers shared by record keys (``schemas.registry``) and processors' state keys."""

from __future__ import annotations

from schemas.events import MetricSampleEvent


def series_id(ev: MetricSampleEvent) -> str:
    """Tenant, metric name and the resource attributes, in a stable order."""
    attrs = ev.data.resource.attributes()
    return "|".join([ev.tenant_id, ev.data.name, *(f"{k}={attrs[k]}" for k in sorted(attrs))])
