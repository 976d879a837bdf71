"""Hygiene for every test: no leaked threads, no leaked AIOPS_* settings (STYLE.md 12)."""

from __future__ import annotations

import os
import threading
import time

import pytest


@pytest.fixture(autouse=True)
def _no_leaked_threads():
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 2.0
    while True:
        leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()
                  and not t.daemon]
        if not leaked or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not leaked, f"test leaked threads: {[t.name for t in leaked]}"


@pytest.fixture(autouse=True)
def _no_leaked_settings():
    before = {k: v for k, v in os.environ.items() if k.startswith("AIOPS_")}
    yield
    after = {k: v for k, v in os.environ.items() if k.startswith("AIOPS_")}
    assert after == before, "test changed AIOPS_* environment variables without monkeypatch"
