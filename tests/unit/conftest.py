from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _clean_settings_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unit tests see the defaults, whatever the shell (or CI) exported."""
    for key in list(os.environ):
        if key.startswith("AIOPS_"):
            monkeypatch.delenv(key)
