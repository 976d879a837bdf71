"""Prometheus metrics of a worker: ``aiops_`` prefix, base units, no high-cardinality labels."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class WorkerMetrics:
    """One instance per worker, on its own registry (tests run several in one process)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.events_in = Counter("aiops_events_in_total", "Records consumed from input topics",
                                 ["topic"], registry=r)
        self.events_valid = Counter("aiops_events_valid_total",
                                    "Records that validated and were routed to a table",
                                    ["topic"], registry=r)
        self.dlq = Counter("aiops_dlq_events_total", "Records sent to the dead-letter topic",
                           ["topic", "reason"], registry=r)
        self.latency = Histogram(
            "aiops_event_latency_seconds",
            "Delay from a record's Kafka timestamp to its row being durable in ClickHouse",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
            registry=r)
        self.batch_seconds = Histogram(
            "aiops_batch_processing_seconds", "Wall time of one batch: validate, sink, commit",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10), registry=r)
        self.sink_rows = Counter("aiops_sink_rows_total", "Rows made durable in ClickHouse",
                                 ["table"], registry=r)
        self.sink_batches = Counter("aiops_sink_batches_total", "Batches made durable",
                                    registry=r)
        self.sink_failures = Counter("aiops_sink_failures_total",
                                     "Failed sink insert attempts (each retry counts)",
                                     registry=r)
        self.lag = Gauge("aiops_consumer_lag_records",
                         "High watermark minus committed offset, per consumer group and topic",
                         ["group", "topic"], registry=r)
        self.stage_errors = Counter(
            "aiops_stage_record_errors_total",
            "Valid records a stage failed on and skipped (logged with their coordinates)",
            ["stage"], registry=r)
        self.stage_outputs = Counter("aiops_stage_outputs_total",
                                     "Events a stage's processor emitted", ["stage"], registry=r)
        self.stage_state_keys = Gauge("aiops_stage_state_keys",
                                      "Keys of state a stage's processor holds (series, "
                                      "tenants, windows)", ["stage"], registry=r)
        self.notify_attempts = Counter("aiops_notification_attempts_total",
                                       "Notification delivery attempts by receiver and outcome "
                                       "(delivered, retry, failed, duplicate)",
                                       ["receiver", "status"], registry=r)
        self.stage_irregular = Gauge("aiops_stage_irregular_events",
                                     "Valid events a stage's processor took in but noted as "
                                     "irregular since start (e.g. kind=out_of_order)",
                                     ["stage", "kind"], registry=r)
        self.stage_dropped = Gauge("aiops_stage_dropped_events",
                                   "Valid events a stage's processor left out on purpose since "
                                   "start (e.g. reason=late: after their window was written)",
                                   ["stage", "reason"], registry=r)
        self.compression = Gauge(
            "aiops_alert_compression_ratio",
            "1 - incidents / alert notifications (basis=notifications, repeats included) or "
            "/ distinct fingerprints (basis=fingerprints), per tenant, since UTC midnight",
            ["tenant", "basis"], registry=r)
        self.last_commit = Gauge("aiops_last_commit_timestamp_seconds",
                                 "Unix time of the group's last offset commit (liveness)",
                                 ["group"], registry=r)
