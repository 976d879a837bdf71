"""The Faust application: hosts the batch stages, serves /metrics and /healthz.

Faust gives us the worker lifecycle (signals, graceful stop), the web server, and the home for
stream processors. Each high-rate stage (``BatchLoop``) runs in a thread of its own inside a
``LoopService``; if a stage fails, the whole worker stops with the cause logged and a
non-zero exit code, never a half-alive process.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from pathlib import Path

import faust
import mode
from faust.app.base import BootStrategy
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from config.settings import Settings
from connectors.clickhouse.http_api import worker_owner
from connectors.clickhouse.sink import open_clickhouse
from pipelines.batch_loop import BatchLoop
from pipelines.metrics import WorkerMetrics
from pipelines.noc_page import register_noc_page
from pipelines.sql_endpoint import register_sql_endpoint

log = logging.getLogger(__name__)
_PROM_TYPE = CONTENT_TYPE_LATEST.split(";")[0]


class LoopService(mode.Service):
    """Runs one ``BatchLoop`` in a thread; its failure crashes the worker it belongs to."""

    def __init__(self, name: str, build: Callable[[], BatchLoop],
                 cleanup: Callable[[], None] | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.stage = name
        self.build = build
        self.cleanup = cleanup
        self.loop_: BatchLoop | None = None
        self.on_crash = None
        self._thread: threading.Thread | None = None

    @property
    def label(self) -> str:
        return f"{type(self).__name__}[{self.stage}]"

    async def on_start(self) -> None:
        self.loop_ = await asyncio.to_thread(self.build)
        loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._run, args=(loop,),
                                        name=f"aiops-{self.stage}", daemon=True)
        self._thread.start()

    def _run(self, loop: asyncio.AbstractEventLoop) -> None:
        assert self.loop_ is not None
        try:
            self.loop_.run()
        except BaseException as exc:  # any failure must stop the worker
            log.critical("%s stage failed, stopping the worker: %r", self.stage, exc,
                         exc_info=exc)
            target = self.on_crash or self.crash
            asyncio.run_coroutine_threadsafe(target(exc), loop)

    async def on_stop(self) -> None:
        if self.loop_ is not None:
            self.loop_.stop()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 120)
            if self._thread.is_alive():
                log.error("%s stage did not stop in 120 s; leaving its resources open",
                          self.stage)
                return
        if self.cleanup is not None:
            self.cleanup()

    def health(self) -> dict:
        lp = self.loop_
        alive = bool(self._thread and self._thread.is_alive())
        return {"status": "ok" if alive else "starting" if lp is None else "down",
                "assigned_partitions": len(lp.assigned) if lp else 0,
                "batches": lp.batches if lp else 0}


def build_services(settings: Settings, metrics: WorkerMetrics,
                   only: set[str] | None = None,
                   sink_holder: dict | None = None) -> list[LoopService]:
    """A service per enabled stage: ingest first, then every registered processor stage.
    ``only`` (from ``--stages``) overrides the ``AIOPS_<STAGE>_ENABLED`` settings."""
    from config.settings import section_of
    from pipelines.ingest import IngestLoop
    from pipelines.stage import StageLoop
    from pipelines.stages import STAGES

    s = settings
    holder: dict = {} if sink_holder is None else sink_holder  # SQL endpoint reads its "sink"

    def build_ingest() -> BatchLoop:
        holder["sink"] = open_clickhouse(s.clickhouse, owner=worker_owner(s.web.host, s.web.port),
                                         retries=s.ingest.sink_retries,
                                         backoff_s=s.ingest.sink_retry_backoff_s)
        return IngestLoop(s, holder["sink"], metrics)

    def close_sink() -> None:
        if "sink" in holder:
            holder["sink"].close()

    def wanted(name: str, enabled: bool) -> bool:
        return name in only if only is not None else enabled

    # configuration files fail here, with the file and line, not later inside a stage thread
    if wanted("clustering", s.clustering.enabled):
        from config.alert_rules import DEFAULT_PATH, load_alert_rules

        load_alert_rules(s.clustering.rules_path or DEFAULT_PATH)
    if wanted("notify", section_of(s, "notify").enabled):
        from processors.notify.stage import load_routing

        load_routing(section_of(s, "notify").routes_path)  # type: ignore[attr-defined]
    services = []
    if wanted("ingest", s.ingest.enabled):
        services.append(LoopService("ingest", build_ingest, close_sink))
    for stage in STAGES:
        section = section_of(s, stage.name)
        if wanted(stage.name, section.enabled):
            services.append(LoopService(
                stage.name, lambda st=stage, sec=section: StageLoop(st, sec, s, metrics)))
    if wanted("deliver", s.deliver.enabled):
        from pipelines.deliver import delivery_loops

        services += [LoopService(name, build) for name, build in delivery_loops(s, metrics)]
    if not services:
        raise ValueError("no stage enabled: enable at least one with AIOPS_<STAGE>_ENABLED "
                         "(e.g. AIOPS_INGEST_ENABLED) or choose them with --stages")
    return services


class _NoKafkaBoot(BootStrategy):
    """The stages bring their own Kafka clients (confluent-kafka, batched): Faust's consumer,
    conductor and producer would only join a consumer group of their own and create a
    leader-election topic that outlives the run."""

    enable_kafka = False


class _StagesApp(faust.App):
    BootStrategy = _NoKafkaBoot


def create_app(settings: Settings, metrics: WorkerMetrics | None = None,
               only: set[str] | None = None) -> tuple[faust.App, list[LoopService]]:
    """The app and its stage services; give the services to the ``faust.Worker``."""
    metrics = metrics or WorkerMetrics()
    app = _StagesApp(
        f"{settings.ingest.group_id}-faust",
        broker=f"kafka://{settings.kafka.bootstrap}",
        store="memory://",
        value_serializer="raw",
        web_host=settings.web.host,
        web_port=settings.web.port,
        web_bind=settings.web.host,
        # Faust's data folder next to the ClickHouse directory (under var/ by default), so a
        # worker run leaves no folder in the working directory
        datadir=str(Path(settings.clickhouse.chdb_path).parent / "faust"),
        # An agent that raises stops the worker (exit 1) instead of being restarted quietly
        # by Faust's default supervisor while the process looks healthy.
        agent_supervisor=mode.CrashingSupervisor,
    )
    sink_holder: dict = {}  # read-only SQL endpoint: the ingest stage's sink, once open
    services = build_services(settings, metrics, only, sink_holder)

    @app.page("/metrics")
    async def metrics_page(self, request):
        # aiohttp refuses a charset inside content_type; Prometheus reads plain text as 0.0.4.
        return self.bytes(generate_latest(metrics.registry), content_type=_PROM_TYPE)

    @app.page("/healthz")
    async def healthz(self, request):
        stages = {svc.stage: svc.health() for svc in services}
        ok = all(st["status"] == "ok" for st in stages.values())
        return self.json({"status": "ok" if ok else "degraded", "stages": stages},
                         status=200 if ok else 503)

    register_sql_endpoint(app, settings, lambda: sink_holder.get("sink"))  # docs/querying.md
    register_noc_page(app, settings, lambda: sink_holder.get("sink"))  # docs/noc.md
    return app, services
