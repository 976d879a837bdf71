from __future__ import annotations

import pytest
from pydantic import ValidationError

from config.settings import (
    KafkaSettings,
    Settings,
    load_settings,
    section_of,
    setting_rows,
    unknown_env,
)


def test_defaults_are_the_local_embedded_setup() -> None:
    s = Settings()
    assert s.kafka.bootstrap == "127.0.0.1:9092"
    assert s.clickhouse.transport == "chdb"
    assert s.ingest.batch_max_events >= 1000


def test_env_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIOPS_KAFKA_BOOTSTRAP", "k1:9092,k2:9093")
    monkeypatch.setenv("AIOPS_CLICKHOUSE_URL", "http://default:pw@ch:8123")
    monkeypatch.setenv("AIOPS_INGEST_BATCH_MAX_EVENTS", "5000")
    s = load_settings()
    assert s.kafka.bootstrap == "k1:9092,k2:9093"
    assert s.clickhouse.transport == "server"
    assert "pw" not in repr(s.clickhouse)
    assert s.ingest.batch_max_events == 5000


def test_typo_in_a_setting_name_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIOPS_INGEST_BATCH_MAX_EVENT", "5000")
    assert unknown_env() == ["AIOPS_INGEST_BATCH_MAX_EVENT"]
    with pytest.raises(ValueError, match="AIOPS_INGEST_BATCH_MAX_EVENT"):
        load_settings()


def test_bad_values_are_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError, match="host:port"):
        KafkaSettings(bootstrap="localhost")
    monkeypatch.setenv("AIOPS_INGEST_BATCH_MAX_WAIT_S", "-1")
    with pytest.raises(ValueError, match=r"AIOPS_INGEST_BATCH_MAX_WAIT_S='-1': Input should"):
        load_settings()


def test_a_stage_section_of_its_own_is_read_listed_and_checked(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import pipelines.stages  # noqa: F401  - registers the help-activity stage's section

    monkeypatch.setenv("AIOPS_HELP_ACTIVITY_WINDOW_S", "300")
    s = load_settings()
    assert section_of(s, "help-activity").window_s == 300
    assert section_of(s, "help-activity").group_id == "aiops-help-activity"
    assert "AIOPS_HELP_ACTIVITY_WINDOW_S" in {row[0] for row in setting_rows(s)}
    monkeypatch.setenv("AIOPS_HELP_ACTIVITY_WINDOW_S", "0")
    with pytest.raises(ValueError, match="AIOPS_HELP_ACTIVITY_WINDOW_S='0'"):
        load_settings()
    monkeypatch.setenv("AIOPS_HELP_ACTIVITY_WINDOWS", "1")
    with pytest.raises(ValueError, match=r"unknown setting.*AIOPS_HELP_ACTIVITY_WINDOWS"):
        load_settings()


def test_settings_are_frozen() -> None:
    s = Settings()
    with pytest.raises(ValidationError):
        s.kafka.bootstrap = "x:1"  # type: ignore[misc]


def test_a_stage_settings_model_keeps_its_validators_and_names_cannot_clash(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import BaseModel, field_validator

    from config.settings import stage_section

    class Params(BaseModel):
        mode: str = "a"

        @field_validator("mode")
        @classmethod
        def _ab(cls, v: str) -> str:
            if v not in ("a", "b"):
                raise ValueError("mode must be a or b")
            return v

    from config.settings import _SECTIONS

    cls = stage_section("unit-test-stage", Params)
    try:
        assert stage_section("unit-test-stage", Params) is cls
        monkeypatch.setenv("AIOPS_UNIT_TEST_STAGE_MODE", "c")
        with pytest.raises(ValueError, match="mode must be a or b"):
            cls()
        monkeypatch.setenv("AIOPS_UNIT_TEST_STAGE_MODE", "b")
        assert cls().mode == "b" and cls().group_id == "aiops-unit-test-stage"
    finally:
        del _SECTIONS["AIOPS_UNIT_TEST_STAGE_"]  # other tests see only the real sections
    with pytest.raises(ValueError, match="already another section's prefix"):
        stage_section("web")
