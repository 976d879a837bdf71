"""The docs name every setting, table and topic the code has (stages' own included)."""

from __future__ import annotations

from pathlib import Path

import pipelines.stages  # noqa: F401  - the stages' own settings, topics and tables too
from config.settings import _NOT_SETTINGS, _SECTIONS
from schemas.clickhouse import TABLES
from schemas.topics import TOPICS

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_setting_is_documented() -> None:
    text = (DOCS / "configuration.md").read_text()
    names = {prefix + n.upper() for prefix, cls in _SECTIONS.items() for n in cls.model_fields}
    missing = sorted(n for n in names | _NOT_SETTINGS if f"`{n}`" not in text)
    assert not missing, f"document these in docs/configuration.md: {missing}"


def test_every_table_is_documented() -> None:
    text = (DOCS / "tables.md").read_text()
    missing = [t for t in TABLES if f"## `{t}`" not in text]
    assert not missing, f"document these in docs/tables.md: {missing}"


def test_every_topic_is_documented() -> None:
    text = (DOCS / "topics.md").read_text()
    missing = [t.name for t in TOPICS if f"`{t.name}`" not in text]
    assert not missing, f"document these in docs/topics.md: {missing}"


def test_services_script_variables_are_the_ones_it_reads() -> None:
    script = (Path(__file__).resolve().parents[2] / "scripts" / "services.sh").read_text()
    for name in _NOT_SETTINGS:
        assert name in script, f"{name} is documented as a services.sh variable but unused"
