"""Start a Faust worker for our app, from our own CLI rather than the ``faust`` command."""

from __future__ import annotations

import logging

import faust

from config.settings import Settings
from connectors.kafka_io import check_broker, ensure_topics
from pipelines.app import create_app


def run_worker(settings: Settings, loglevel: str = "info", only: set[str] | None = None
               ) -> None:
    """Block until the worker stops; exits non-zero (with the cause logged) if it crashed."""
    check_broker(settings.kafka.bootstrap)
    created = ensure_topics(settings.kafka.bootstrap, settings.kafka.topic_prefix)
    if created:
        logging.getLogger(__name__).info("created topics: %s", ", ".join(created))
    app, services = create_app(settings, only=only)
    worker = faust.Worker(app, *services, loglevel=loglevel, redirect_stdouts=False)
    for svc in services:
        svc.on_crash = worker.crash
    worker.execute_from_commandline()
