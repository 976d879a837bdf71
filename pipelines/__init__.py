"""The runtime: Faust app, batch ingest, CLI."""
