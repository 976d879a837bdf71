"""One frozen settings class per concern; every field maps to one ``AIOPS_...`` variable.

Unknown ``AIOPS_*`` variables are not silently ignored: ``load_settings`` rejects them, so a
typo in a deployment fails at start instead of running with a default.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict


def _cfg(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(env_prefix=prefix, frozen=True, extra="ignore")


class KafkaSettings(BaseSettings):
    model_config = _cfg("AIOPS_KAFKA_")

    bootstrap: str = Field("127.0.0.1:9092", description="Kafka bootstrap servers, host:port[,..]")
    topic_prefix: str = Field("", description="Prefix for every topic name (e.g. per test run)")

    @field_validator("bootstrap")
    @classmethod
    def _hostports(cls, v: str) -> str:
        for part in v.split(","):
            host, _, port = part.strip().rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"expected host:port[,host:port], got {v!r}")
        return v


class ClickHouseSettings(BaseSettings):
    model_config = _cfg("AIOPS_CLICKHOUSE_")

    url: SecretStr | None = Field(
        None, description="http(s)://user:password@host:8123 of a ClickHouse server; "
        "unset = embedded chdb")
    database: str = Field("aiops", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
                          description="Database holding the tables")
    chdb_path: Path = Field(Path("var/chdb"), description="On-disk directory of embedded chdb")
    rollups: bool = Field(True, description="Keep the rollup tables (filled by materialized "
                          "views on insert) that named queries read; false: raw tables only")
    metrics_ttl_days: int = Field(7, ge=1, le=36500, description="Days raw metric samples are "
                                  "kept after ingestion (the rollups keep their summaries)")
    rollup_1m_ttl_days: int = Field(90, ge=0, le=36500, description="Days 1-minute rollup rows "
                                    "are kept after their last write (0 = kept)")
    rollup_1h_ttl_days: int = Field(730, ge=0, le=36500, description="Days 1-hour rollup rows "
                                    "are kept after their last write (0 = kept)")
    rollup_1d_ttl_days: int = Field(0, ge=0, le=36500, description="Days 1-day rollup rows and "
                                    "incident summaries are kept (0 = kept)")

    @property
    def transport(self) -> Literal["chdb", "server"]:
        return "server" if self.url else "chdb"

    @property
    def ttl_days(self) -> dict[str, int]:
        """Retention by what it applies to: raw ``metrics`` and each rollup level."""
        return {"metrics": self.metrics_ttl_days, "1m": self.rollup_1m_ttl_days,
                "1h": self.rollup_1h_ttl_days, "1d": self.rollup_1d_ttl_days}


class IngestSettings(BaseSettings):
    model_config = _cfg("AIOPS_INGEST_")

    enabled: bool = Field(True, description="Run the ingest stage (validation, DLQ, the "
                          "ClickHouse writer) in this worker")
    group_id: str = Field("aiops-ingest", description="Consumer group of the ingest workers")
    batch_max_events: int = Field(20_000, ge=1, le=1_000_000,
                                  description="A batch closes at this many records...")
    batch_max_wait_s: float = Field(0.5, gt=0, le=60,
                                    description="...or after this many seconds")
    max_event_bytes: int = Field(256 * 1024, ge=256,
                                 description="Larger records go to the DLQ as 'oversized'; "
                                 "the gateway answers 413 for them")
    sink_retries: int = Field(5, ge=0, description="Retries of a failed sink write before "
                              "the worker stops (loudly, offsets uncommitted)")
    sink_retry_backoff_s: float = Field(0.5, ge=0, description="First retry backoff; doubles")
    session_timeout_s: float = Field(
        10.0, ge=6, le=300, description="A worker that stops heartbeating (killed, hung) loses "
        "its partitions after this long; lower = faster failover")
    dlq_timeout_s: float = Field(30.0, gt=0, description="How long dead letters may take to be "
                                 "acknowledged by Kafka before the worker stops")


class StageSettings(BaseSettings):
    """What every stage has; a stage's own settings are added to these (``AIOPS_<STAGE>_``)."""

    model_config = _cfg("AIOPS_STAGE_")

    enabled: bool = Field(True, description="Run this stage in this worker")
    group_id: str = Field("", description="Consumer group of the stage")
    batch_max_events: int = Field(5_000, ge=1, le=1_000_000, description="Stage batch size")
    batch_max_wait_s: float = Field(0.5, gt=0, le=60, description="Stage batch wait")


class AnomalySettings(StageSettings):
    model_config = _cfg("AIOPS_ANOMALY_")

    enabled: bool = Field(True, description="Run the anomaly stage in this worker")
    group_id: str = Field("aiops-anomaly", description="Consumer group of the anomaly stage")
    config_path: Path | None = Field(None, description="YAML of detectors and alert policy "
                                     "per metric (default: config/anomaly.yaml)")
    emit_all: bool = Field(False, description="Write a verdict for every sample, not only "
                           "anomalous ones (for benchmarks and charts)")
    series_ttl_s: float = Field(6 * 3600, gt=0, description="Forget a series quiet this long")
    batch_max_events: int = Field(20_000, ge=1, description="Anomaly stage batch size")
    batch_max_wait_s: float = Field(0.5, gt=0, le=60, description="Anomaly stage batch wait")


class ClusteringSettings(StageSettings):
    model_config = _cfg("AIOPS_CLUSTERING_")

    enabled: bool = Field(True, description="Run the alert clustering stage in this worker")
    group_id: str = Field("aiops-clustering", description="Consumer group of the stage")
    rules_path: Path | None = Field(None, description="Grouping, silence and inhibition rules "
                                    "(default: config/alert_rules.yaml), validated at start")
    batch_max_events: int = Field(5_000, ge=1, description="Clustering batch size")
    batch_max_wait_s: float = Field(0.2, gt=0, le=60, description="Clustering batch wait")


class DeliverSettings(BaseSettings):
    model_config = _cfg("AIOPS_DELIVER_")

    enabled: bool = Field(True, description="Run a delivery loop per webhook and Redis "
                          "receiver (config/notify.yaml) in this worker")
    group_id: str = Field("aiops-deliver", description="Consumer group prefix: each receiver's "
                          "loop is in <group_id>.<receiver>")
    batch_max_events: int = Field(500, ge=1, le=100_000, description="Delivery batch size")
    batch_max_wait_s: float = Field(0.05, gt=0, le=60, description="Delivery batch wait")
    max_parallel: int = Field(8, ge=1, le=256, description="Notification groups delivered at "
                              "once per receiver (one group's notifications stay in order)")
    dedup_ttl_s: float = Field(7 * 86_400.0, ge=60, description="How long a delivered key is "
                               "remembered (in Redis) so a re-read never sends it twice")


class WebSettings(BaseSettings):
    model_config = _cfg("AIOPS_WEB_")

    host: str = Field("127.0.0.1", description="Address of /metrics, /healthz and read-only SQL")
    port: int = Field(6066, ge=0, le=65535,
                      description="Port of /metrics, /healthz and read-only SQL (ClickHouse HTTP)")
    admin_token: SecretStr | None = Field(
        None, description="Password of the SQL endpoint's 'admin' user, who reads every tenant; "
        "unset with no tenant tokens = open to local clients only")
    sql_timeout_s: float = Field(30.0, gt=0, le=3600, description="Longest a query on the SQL "
                                 "endpoint may run (max_execution_time)")
    sql_max_result_bytes: int = Field(100_000_000, ge=1_000, description="Largest result of one "
                                      "query on the SQL endpoint (max_result_bytes)")
    sql_max_memory_bytes: int = Field(2_000_000_000, ge=10_000_000, description="Memory one "
                                      "query on the SQL endpoint may use (max_memory_usage)")
    sql_max_concurrent: int = Field(4, ge=1, le=64, description="Queries the SQL endpoint runs "
                                    "at once; more wait their turn")


class RedisSettings(BaseSettings):
    model_config = _cfg("AIOPS_REDIS_")

    url: SecretStr = Field(SecretStr("redis://127.0.0.1:6379/0"),
                           description="redis:// URL of the Redis that keeps the live feed "
                           "(streams and channels per tenant) and delivered-notification keys")
    key_prefix: str = Field("aiops:", pattern=r"^[A-Za-z0-9_.:-]{1,64}$", description="Prefix "
                            "of every Redis key and channel this project uses (one per "
                            "deployment or test run)")
    feed_max_len: int = Field(10_000, ge=100, le=10_000_000, description="Entries kept per "
                              "tenant in the live-feed stream (approximate, XADD MAXLEN ~)")
    socket_timeout_s: float = Field(5.0, gt=0, le=300, description="Redis connect and reply "
                                    "timeout")


class GatewaySettings(BaseSettings):
    model_config = _cfg("AIOPS_GATEWAY_")

    host: str = Field("127.0.0.1", description="Address the HTTP ingest gateway listens on")
    port: int = Field(8080, ge=0, le=65535, description="Port of the HTTP ingest gateway")
    tokens: SecretStr | None = Field(
        None, description="Bearer tokens per tenant: 'tenant=token,tenant2=token2'")
    tokens_file: Path | None = Field(
        None, description="YAML file mapping tenant -> token (or list of tokens)")
    max_body_bytes: int = Field(4 * 1024 * 1024, ge=1024,
                                description="Larger request bodies get 413")
    max_events_per_request: int = Field(10_000, ge=1,
                                        description="More events in one request get 413")
    ack_timeout_s: float = Field(10.0, gt=0,
                                 description="How long to wait for Kafka's acks before 503")
    body_timeout_s: float = Field(30.0, gt=0, le=3600, description="Longest a client may take "
                                  "to send a request body; slower ones get 408 and are closed")
    idle_timeout_s: float = Field(30.0, gt=0, le=3600, description="A connection idle this long, "
                                  "or still sending its request headers this long after it "
                                  "opened or was last answered, is closed")


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    clickhouse: ClickHouseSettings = Field(default_factory=ClickHouseSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    anomaly: AnomalySettings = Field(default_factory=AnomalySettings)
    clustering: ClusteringSettings = Field(default_factory=ClusteringSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    gateway: GatewaySettings = Field(default_factory=GatewaySettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    deliver: DeliverSettings = Field(default_factory=DeliverSettings)


_SECTIONS = {
    "AIOPS_KAFKA_": KafkaSettings, "AIOPS_CLICKHOUSE_": ClickHouseSettings,
    "AIOPS_INGEST_": IngestSettings, "AIOPS_ANOMALY_": AnomalySettings,
    "AIOPS_CLUSTERING_": ClusteringSettings, "AIOPS_WEB_": WebSettings,
    "AIOPS_GATEWAY_": GatewaySettings, "AIOPS_REDIS_": RedisSettings,
    "AIOPS_DELIVER_": DeliverSettings,
}
# read by scripts/services.sh, not by the Python side
_NOT_SETTINGS = {"AIOPS_SERVICES_HOME", "AIOPS_KAFKA_VERSION", "AIOPS_KAFKA_PORT",
                 "AIOPS_KAFKA_CONTROLLER_PORT", "AIOPS_KAFKA_HEAP_OPTS",
                 "AIOPS_KAFKA_START_TIMEOUT", "AIOPS_REDIS_PORT"}


def stage_section(name: str, params: type[BaseModel] | None = None) -> type[StageSettings]:
    """The settings class of a stage that has no section above: the common stage settings
    plus its own ``params`` model (fields, validators and all), read from ``AIOPS_<NAME>_*``
    and listed by `aiops config` and the unknown-variable check."""
    prefix = f"AIOPS_{name.upper().replace('-', '_')}_"
    if prefix in _SECTIONS:
        cls = _SECTIONS[prefix]
        if not issubclass(cls, StageSettings) or getattr(cls, "_stage_params", None) is not params:
            raise ValueError(f"stage {name!r}: AIOPS_{prefix[6:]}* is already another "
                             "section's prefix; choose another stage name")
        return cls
    # the stage's own fields (and defaults) win over the common ones it redefines
    bases = (params, StageSettings) if params is not None else (StageSettings,)
    cls = type(f"{name.title().replace('-', '')}StageSettings", bases, {
        "__module__": __name__, "__annotations__": {"group_id": str},
        "group_id": Field(f"aiops-{name}", description=f"Consumer group of the {name} stage"),
        "model_config": _cfg(prefix),
    })
    cls._stage_params = params
    _SECTIONS[prefix] = cls
    return cls


def section_of(settings: Settings, name: str) -> StageSettings:
    """The settings of the stage ``name``: a field of ``Settings`` or a registered section."""
    attr = name.replace("-", "_")
    if attr in Settings.model_fields:
        return getattr(settings, attr)
    prefix = f"AIOPS_{attr.upper()}_"
    if prefix not in _SECTIONS:
        raise KeyError(f"no settings for stage {name!r}")
    return _SECTIONS[prefix]()


def unknown_env(environ: dict[str, str] | None = None) -> list[str]:
    """``AIOPS_*`` variables that no setting reads (typos, stale names)."""
    environ = dict(os.environ) if environ is None else environ
    known = set(_NOT_SETTINGS)
    for prefix, cls in _SECTIONS.items():
        known |= {prefix + name.upper() for name in cls.model_fields}
    return sorted(k for k in environ if k.startswith("AIOPS_") and k not in known)


def load_settings() -> Settings:
    bad = unknown_env()
    if bad:
        raise ValueError(
            f"unknown setting(s) {', '.join(bad)}; see docs/configuration.md for valid names"
        )
    try:
        settings = Settings()
        for prefix in _SECTIONS:  # stages' own sections are read when used: check them now
            section_of(settings, prefix.removeprefix("AIOPS_").rstrip("_").lower())
    except ValidationError as exc:
        raise ValueError(_explain(exc)) from None
    return settings


def _explain(exc: ValidationError) -> str:
    """Name the variable, not the pydantic field: 'AIOPS_X_Y=-1: Input should be > 0'."""
    prefix = next((p for p, cls in _SECTIONS.items() if cls.__name__ == exc.title), "")
    parts = []
    for e in exc.errors(include_url=False):
        var = prefix + "_".join(str(x) for x in e["loc"]).upper()
        parts.append(f"{var}={e.get('input')!r}: {e['msg']}")
    return "invalid setting(s): " + "; ".join(parts) + " (see docs/configuration.md)"


def setting_rows(settings: Settings) -> list[tuple[str, object, str]]:
    """(variable, effective value, description) for every setting; secrets stay masked."""
    rows = []
    for prefix, cls in _SECTIONS.items():
        section = section_of(settings, prefix.removeprefix("AIOPS_").rstrip("_").lower())
        for name, info in cls.model_fields.items():
            rows.append((prefix + name.upper(), getattr(section, name), info.description or ""))
    return rows
