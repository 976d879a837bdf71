"""Typed settings, read from ``AIOPS_*`` environment variables (see docs/configuration.md)."""

from config.settings import (
    ClickHouseSettings,
    GatewaySettings,
    IngestSettings,
    KafkaSettings,
    Settings,
    WebSettings,
    load_settings,
)

__all__ = [
    "ClickHouseSettings",
    "GatewaySettings",
    "IngestSettings",
    "KafkaSettings",
    "Settings",
    "WebSettings",
    "load_settings",
]
