"""The outside world: Kafka I/O, ClickHouse, Redis, demo and replay sources."""
