"""Run a worker as a child process and follow its progress (demo, benchmarks, tests).

A child process, not a thread: it is exactly what `aiops worker` runs in production, and it
owns the embedded ClickHouse directory while it runs, so the parent reads results after it
has stopped.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path

from confluent_kafka import KafkaException

from connectors.kafka_io import committed_offsets, end_offsets


class WorkerFailed(RuntimeError):
    pass


class WorkerProcess:
    def __init__(self, env: Mapping[str, str], log_path: Path, web_port: int,
                 args: tuple[str, ...] = ("worker", "--loglevel", "info")) -> None:
        """``args`` is the `aiops` subcommand: a worker by default, or e.g. the gateway."""
        port_var = "AIOPS_GATEWAY_PORT" if args[0] == "gateway" else "AIOPS_WEB_PORT"
        self.env = {**os.environ, **env, port_var: str(web_port)}
        self.args = args
        self.log_path = log_path
        self.web_port = web_port
        self.proc: subprocess.Popen | None = None

    def start(self, timeout_s: float = 60.0) -> WorkerProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the child for its lifetime
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pipelines.cli", *self.args],
            env=self.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        self.wait_healthy(timeout_s)
        return self

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.web_port}{path}"

    def get(self, path: str, timeout_s: float = 2.0) -> str:
        with urllib.request.urlopen(self.url(path), timeout=timeout_s) as resp:
            return resp.read().decode()

    def wait_healthy(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                self.get("/healthz")
                return
            except OSError:
                time.sleep(0.25)
        raise WorkerFailed(f"worker not healthy after {timeout_s:.0f}s; see {self.log_path}")

    def check_alive(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            tail = self.log_path.read_text(errors="replace").splitlines()[-25:]
            raise WorkerFailed(f"worker exited with code {self.proc.returncode}; last log lines:\n"
                               + "\n".join(tail))

    def stop(self, timeout_s: float = 60.0) -> int:
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def wait_caught_up(bootstrap: str, group_id: str, targets: dict[tuple[str, int], int],
                   *, timeout_s: float, worker: WorkerProcess | None = None,
                   on_progress: Callable[[int, int], None] | None = None,
                   poll_s: float = 0.25) -> float:
    """Wait until the group has committed every partition up to ``targets``.

    Returns the time it happened (``time.time()``); raises ``TimeoutError`` with the gap.
    """
    start = _committed_retrying(bootstrap, group_id, targets, timeout_s)
    total = sum(max(0, targets[tp] - start[tp]) for tp in targets)
    deadline = time.monotonic() + timeout_s
    while True:
        if worker is not None:
            worker.check_alive()
        try:
            now = committed_offsets(bootstrap, group_id, targets)
        except KafkaException:  # stable offsets wait for an open transaction: ask again
            time.sleep(poll_s)
            continue
        done = sum(max(0, min(now[tp], targets[tp]) - start[tp]) for tp in targets)
        if on_progress:
            on_progress(done, total)
        if all(now[tp] >= targets[tp] for tp in targets):
            return time.time()
        if time.monotonic() > deadline:
            raise TimeoutError(f"group {group_id} committed {done} of {total} records in "
                               f"{timeout_s:.0f}s")
        time.sleep(poll_s)


def _committed_retrying(bootstrap: str, group_id: str, targets: dict, timeout_s: float
                        ) -> dict[tuple[str, int], int]:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return committed_offsets(bootstrap, group_id, targets)
        except KafkaException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def targets_for(bootstrap: str, topics: list[str]) -> dict[tuple[str, int], int]:
    return end_offsets(bootstrap, topics)
