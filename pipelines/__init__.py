"""The runtime: the Faust worker, the ingest stage, the generic stage that hosts processors,
the CLI. Importing any of it registers every stage (``pipelines.stages``), so the topic table,
the event registry and the ClickHouse tables are complete wherever the runtime runs."""

from pipelines import stages as _stages  # noqa: F401
