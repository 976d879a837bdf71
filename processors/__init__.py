"""Stateful stream logic in plain Python: no Kafka, Faust or ClickHouse in here."""
