"""The compose "scale" profile: three workers and a gateway in containers, wired to the stack
(no Docker engine here: `docker compose config` validates the file, this checks its shape)."""

from __future__ import annotations

from pathlib import Path

import yaml

from config.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _services() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def test_three_workers_and_a_gateway_only_in_the_scale_profile() -> None:
    services = _services()
    scaled = sorted(n for n, s in services.items() if "scale" in s.get("profiles", []))
    assert scaled == ["gateway", "worker-1", "worker-2", "worker-3"]
    assert all("profiles" not in s for n, s in services.items() if n not in scaled)
    workers = [services[f"worker-{i}"] for i in (1, 2, 3)]
    assert len({w["hostname"] for w in workers}) == 3  # transactional ids differ per worker
    assert len({w["ports"][0] for w in workers}) == 3


def test_workers_reach_the_stack_and_share_one_redis() -> None:
    services = _services()
    kafka_env = services["kafka"]["environment"]
    assert "DOCKER://kafka:19092" in kafka_env["KAFKA_ADVERTISED_LISTENERS"]
    for name in ("worker-1", "worker-2", "worker-3", "gateway"):
        env = services[name]["environment"]
        assert env["AIOPS_KAFKA_BOOTSTRAP"] == "kafka:19092"
        assert env["AIOPS_CLICKHOUSE_URL"].endswith("@clickhouse:8123")
        assert env["AIOPS_REDIS_URL"] == "redis://redis:6379/0"
        mount = services[name]["volumes"][0].split(":")
        assert (ROOT / mount[0]).is_file() and mount[1] == env["AIOPS_GATEWAY_TOKENS_FILE"]
        # every AIOPS_ variable it sets is a real setting (a typo would stop the container)
        from config.settings import unknown_env

        assert unknown_env({k: str(v) for k, v in env.items()}) == []
    assert Settings  # the settings module imports cleanly with these names


def test_the_image_runs_the_cli() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["aiops"]' in text and "pip install" in text
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".venv" in ignored and "var" in ignored
