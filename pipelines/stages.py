"""The stage registry: every processor the worker can host, one registration each.

Adding a processor is one module in ``processors/`` that ends with a ``Stage(...)`` and one
line in ``STAGES`` below (docs/adding-a-processor.md). Importing this module registers each
stage's own topics, tables and event types, and its settings section, so the topic table,
validation, the ClickHouse schema, `aiops config` and `aiops worker --stages` all see them.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from config.settings import AnomalySettings, ClusteringSettings, StageSettings, stage_section
from processors import help_activity
from processors.correlation import stage as correlation
from processors.help import stage as help_stage
from processors.notify import stage as notify
from processors.protocol import Stage
from processors.tickets import stage as tickets
from schemas.clickhouse import register_table
from schemas.registry import register_event
from schemas.topics import register_topic, topic


def _anomaly(section: AnomalySettings) -> Any:
    from config.anomaly import load_anomaly_config
    from models.registry import DEFAULT_DETECTOR, make_detector
    from processors.anomaly import AnomalyProcessor, SeriesPolicy

    cfg = load_anomaly_config(section.config_path)

    def make(metric: str):
        p = cfg.policy_for(metric)
        name = DEFAULT_DETECTOR if p.detector == "default" else p.detector
        return make_detector(name, **p.params), SeriesPolicy(
            name, p.threshold, p.fire_after, p.clear_below, p.resolve_after, p.learn_first_s)

    return AnomalyProcessor(make, ttl_s=section.series_ttl_s, emit_all=section.emit_all)


def _clustering(section: ClusteringSettings) -> Any:
    from config.alert_rules import DEFAULT_PATH, load_alert_rules
    from processors.alerts.clustering import AlertClusterer
    from processors.alerts.processor import SOURCE, ClusteringProcessor

    rules = load_alert_rules(section.rules_path or DEFAULT_PATH)
    # state made under other rules (another number of inhibit rules, say) is not reused
    digest = hashlib.blake2b(orjson.dumps(rules.model_dump(mode="json"),
                                          option=orjson.OPT_SORT_KEYS), digest_size=8).hexdigest()
    return ClusteringProcessor(AlertClusterer(rules, source=SOURCE), rules_digest=digest)


def _compression(processor: Any, metrics: Any) -> None:
    for tid, r in processor.noise.report().items():
        metrics.compression.labels(tid, "notifications").set(r["notification_compression"])
        metrics.compression.labels(tid, "fingerprints").set(r["fingerprint_compression"])


ANOMALY = Stage(
    "anomaly", inputs=("metric.sample",), outputs=("aiops.anomaly", "alert"),
    build=_anomaly, settings=AnomalySettings, state_topic="aiops.anomaly-state",
    timer_interval_s=30.0,
    description="score metric samples per series, raise alerts for anomalies that last")
CLUSTERING = Stage(
    "clustering", inputs=("alert",), outputs=("aiops.incident", "aiops.alert-assignment"),
    build=_clustering, settings=ClusteringSettings, state_topic="aiops.clustering-state",
    timer_interval_s=10.0, observe=_compression, side_inputs=("aiops.silence",),
    description="deduplicate alerts and group them into incidents")

STAGES: tuple[Stage, ...] = (
    ANOMALY,
    CLUSTERING,
    help_activity.STAGE,
    tickets.STAGE,
    help_stage.STAGE,
    correlation.STAGE,
    notify.STAGE,
)
"""Every hostable stage, in the order a worker starts them (after ingest)."""

BUILT_IN = ("ingest", "deliver")
"""Stages that are not processors: ingest validates, dead-letters and writes ClickHouse;
deliver hands notifications to webhook and Redis receivers."""


def _register(stage: Stage) -> None:
    for t in stage.topics:
        register_topic(t)
    for table in stage.tables:
        register_table(table)
    for e in stage.events:
        register_event(e)
    if not (isinstance(stage.settings, type) and issubclass(stage.settings, StageSettings)):
        stage_section(stage.name, stage.settings)  # a section of its own: AIOPS_<NAME>_*
    if stage.state_topic is not None:
        sources = sorted({_topic_of(t) for t in stage.inputs})
        # Several input topics are allowed when they are co-partitioned (equal partition
        # counts, keyed alike): the stage's consumer then uses the range assignor, which gives
        # one worker the same partition number of every topic, as a Kafka Streams join needs.
        counts = {s: topic(s).partitions for s in sources}
        if len(set(counts.values())) != 1:
            raise ValueError(f"stage {stage.name!r}: a stage with state reads co-partitioned "
                             f"topics (equal partition counts; got {counts})")
        state = topic(stage.state_topic)
        if state.role != "state" or state.cleanup_policy != "compact":
            raise ValueError(f"stage {stage.name!r}: {state.name} must be a compacted state "
                             "topic")
        for source in sources:
            if topic(source).partitions != state.partitions:
                raise ValueError(f"stage {stage.name!r}: {state.name} must have as many "
                                 f"partitions as {source} ({topic(source).partitions})")


def _topic_of(etype: str) -> str:
    from schemas.registry import event_type

    return event_type(etype).topic


def stage(name: str) -> Stage:
    for s in STAGES:
        if s.name == name:
            return s
    raise KeyError(f"unknown stage {name!r}; known: {', '.join(stage_names())}")


def env_prefix(name: str) -> str:
    return f"AIOPS_{name.upper().replace('-', '_')}_"


def stage_env(group_prefix: str, enabled: set[str] | None = None) -> dict[str, str]:
    """Settings that give every stage a consumer group ``<group_prefix>-<stage>`` (so a demo,
    benchmark or test run is isolated) and, if ``enabled`` is given, turn on only those."""
    env = {"AIOPS_DELIVER_GROUP_ID": f"{group_prefix}-deliver"}
    if enabled is not None:
        env["AIOPS_DELIVER_ENABLED"] = str("deliver" in enabled).lower()
    for st in STAGES:
        env[env_prefix(st.name) + "GROUP_ID"] = f"{group_prefix}-{st.name}"
        if enabled is not None:
            env[env_prefix(st.name) + "ENABLED"] = str(st.name in enabled).lower()
    return env


def stage_names() -> tuple[str, ...]:
    return BUILT_IN + tuple(s.name for s in STAGES)


_names = [s.name for s in STAGES]
if len(set(_names)) != len(_names) or set(_names) & set(BUILT_IN):
    raise ValueError(f"stage names must be unique: {_names}")
for _stage in STAGES:
    _register(_stage)
