"""HTTP ingest gateway: Alertmanager webhooks and JSON/NDJSON events in, Kafka records out."""
