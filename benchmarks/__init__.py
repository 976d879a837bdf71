"""Benchmarks: run as `aiops bench NAME`; never part of the test run."""
