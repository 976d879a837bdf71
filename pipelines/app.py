"""The Faust application: hosts the ingest loop, serves /metrics and /healthz.

Faust gives us the worker lifecycle (signals, graceful stop), the web server, and the home for
stream processors added by later stages. The high-rate ingest path runs in a thread of its own
(see ``pipelines.ingest``); if that thread fails, the whole worker stops with the cause logged
and a non-zero exit code, never a half-alive process.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import faust
import mode
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from config.settings import Settings
from connectors.clickhouse.sink import ClickHouseSink, open_clickhouse
from pipelines.ingest import IngestLoop
from pipelines.metrics import WorkerMetrics

log = logging.getLogger(__name__)
_PROM_TYPE = CONTENT_TYPE_LATEST.split(";")[0]


class IngestService(mode.Service):
    """Runs ``IngestLoop`` in a thread; its failure crashes the worker it belongs to."""

    def __init__(self, settings: Settings, metrics: WorkerMetrics, **kwargs) -> None:
        super().__init__(**kwargs)
        self.settings = settings
        self.metrics = metrics
        self.sink: ClickHouseSink | None = None
        self.ingest: IngestLoop | None = None
        self.on_crash = None
        self._thread: threading.Thread | None = None
        self.started_at = time.time()

    async def on_start(self) -> None:
        s = self.settings
        self.sink = await asyncio.to_thread(
            open_clickhouse, s.clickhouse, owner="aiops worker",
            retries=s.ingest.sink_retries, backoff_s=s.ingest.sink_retry_backoff_s)
        self.ingest = IngestLoop(s, self.sink, self.metrics)
        loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._run, args=(loop,), name="aiops-ingest",
                                        daemon=True)
        self._thread.start()

    def _run(self, loop: asyncio.AbstractEventLoop) -> None:
        assert self.ingest is not None
        try:
            self.ingest.run()
        except BaseException as exc:
            log.critical("ingest loop failed, stopping the worker: %r", exc, exc_info=exc)
            target = self.on_crash or self.crash
            asyncio.run_coroutine_threadsafe(target(exc), loop)

    async def on_stop(self) -> None:
        if self.ingest is not None:
            self.ingest.stop()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 60)
        if self.sink is not None:
            self.sink.close()

    def health(self) -> dict:
        ing = self.ingest
        alive = bool(self._thread and self._thread.is_alive())
        return {
            "status": "ok" if alive else "starting" if ing is None else "down",
            "ingest_thread_alive": alive,
            "assigned_partitions": len(ing.assigned) if ing else 0,
            "batches": ing.batches if ing else 0,
            "clickhouse": self.sink.transport.name if self.sink else None,
        }


def create_app(settings: Settings, metrics: WorkerMetrics | None = None
               ) -> tuple[faust.App, IngestService]:
    """The app and its ingest service; give the service to the ``faust.Worker`` so it starts
    before the app, not after Faust's own consumer group has settled."""
    metrics = metrics or WorkerMetrics()
    session_s = settings.ingest.session_timeout_s
    app = faust.App(
        # Faust's own consumer group: one per ingest group, so separate pipelines never wait
        # on each other's rebalances.
        f"{settings.ingest.group_id}-faust",
        broker=f"kafka://{settings.kafka.bootstrap}",
        store="memory://",
        value_serializer="raw",
        web_host=settings.web.host,
        web_port=settings.web.port,
        web_bind=settings.web.host,
        topic_replication_factor=1,
        producer_acks=-1,
        consumer_auto_offset_reset="earliest",
        # An agent that raises stops the worker (exit 1) instead of being restarted quietly
        # by Faust's default supervisor while the process looks healthy.
        agent_supervisor=mode.CrashingSupervisor,
        broker_session_timeout=session_s,
        broker_heartbeat_interval=max(1.0, session_s / 4),
    )
    ingest = IngestService(settings, metrics)

    @app.page("/metrics")
    async def metrics_page(self, request):
        # aiohttp refuses a charset inside content_type; Prometheus reads plain text as 0.0.4.
        return self.bytes(generate_latest(metrics.registry), content_type=_PROM_TYPE)

    @app.page("/healthz")
    async def healthz(self, request):
        body = ingest.health()
        return self.json(body, status=200 if body["status"] == "ok" else 503)

    return app, ingest
