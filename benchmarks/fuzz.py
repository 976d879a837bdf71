"""`aiops bench fuzz`: hypothesis-generated input at the gateway and at the validator.

Inputs are valid examples of every event type (the registry's), mutated (keys dropped, values
replaced by arbitrary JSON, envelopes nested wrong), arbitrary JSON, and arbitrary bytes. The
properties are the gateway's and the worker's promises:

- **gateway** (``_events`` + ``encode``, the code a request runs before producing): every body
  is accepted (its events encode) or refused with a ``PayloadError`` whose status is 4xx;
  anything else raised would have been a 500;
- **validator** (``processors.router.route``, the ingest stage's step 2): it never raises, and
  every record ends as exactly one row or one dead letter with a reason code and a message.

Memory: the process's peak resident size before and after the generated run (``ru_maxrss``;
hypothesis keeps records of its own as it goes), and the resident size after each of five
passes over 2,000 of the generated requests replayed through the same code: flat when
nothing is kept per call. The same properties run in CI with a few
hundred cases (tests/unit/test_fuzz.py); an HTTP round through a real gateway is in
tests/integration/test_gateway.py's fuzz test.
"""

from __future__ import annotations

import contextlib
import json
import resource
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import click
import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.settings import Settings
from connectors.gateway.app import _events
from connectors.gateway.payloads import PayloadError
from connectors.gateway.records import encode
from connectors.gateway.webhooks import RetryStamps
from processors.router import Record, route
from schemas.registry import EVENTS, sink_topics

ROUTES = (("alertmanager", "webhook"), ("grafana", "webhook"), ("events", "metrics"),
          ("events", "alerts"), ("events", "tickets"), ("events", "help"))
CONTENT_TYPES = ("application/json", "application/x-ndjson", "text/plain", "")

scalars = st.one_of(st.none(), st.booleans(), st.integers(),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=40))
json_values = st.recursive(
    scalars, lambda inner: st.one_of(st.lists(inner, max_size=5),
                                     st.dictionaries(st.text(max_size=12), inner, max_size=5)),
    max_leaves=20)


ALERTMANAGER = {  # a webhook as Alertmanager sends it (version 4)
    "version": "4", "groupKey": "{}:{alertname=\"DiskFull\"}", "status": "firing",
    "receiver": "aiops", "groupLabels": {"alertname": "DiskFull"}, "commonLabels": {},
    "commonAnnotations": {}, "externalURL": "http://am:9093", "truncatedAlerts": 0,
    "alerts": [{"status": "firing", "labels": {"alertname": "DiskFull", "host": "db-7"},
                "annotations": {"summary": "disk 91%"}, "startsAt": "2026-11-23T12:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "", "fingerprint": "a1"}]}


def _examples() -> list[dict]:
    """Valid documents for every route: envelopes of every type (the demo generator's and the
    registry's examples), their bare ``data`` objects (what /v1/events/KIND takes), and an
    Alertmanager webhook."""
    import itertools

    from connectors.demo_source import DemoStream

    demo = DemoStream(3, hours=2, end=datetime(2026, 11, 23, tzinfo=UTC))
    envelopes: list[dict] = []
    for stream in (demo.metrics(), demo.alerts(), demo.tickets(), demo.help()):
        envelopes += [orjson.loads(p.value) for p in itertools.islice(stream, 3)]
    envelopes += [dict(spec.example) for spec in EVENTS.values() if spec.example is not None]
    return envelopes + [{k: v for k, v in e.items() if k != "tenant_id"} for e in envelopes] + [
        e["data"] for e in envelopes] + [ALERTMANAGER]


@st.composite
def mutated(draw: Callable, examples: list[dict]) -> Any:
    """A valid example with a few of its fields (at any depth) dropped or replaced."""
    doc = json.loads(json.dumps(draw(st.sampled_from(examples))))
    for _ in range(draw(st.integers(0, 3))):
        node = doc
        path = []
        while isinstance(node, dict) and node and draw(st.booleans()):
            key = draw(st.sampled_from(sorted(node)))
            path.append(key)
            if not isinstance(node[key], dict):
                break
            node = node[key]
        if not path:
            continue
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        if draw(st.booleans()):
            parent.pop(path[-1], None)
        else:
            parent[path[-1]] = draw(json_values)
    return doc


def bodies(examples: list[dict]) -> st.SearchStrategy[bytes]:
    docs = st.one_of(mutated(examples), json_values,
                     st.lists(st.one_of(mutated(examples), json_values), max_size=4))
    return st.one_of(docs.map(_dumps),
                     st.lists(mutated(examples), min_size=1, max_size=3).map(
                         lambda items: b"\n".join(_dumps(i) for i in items)),
                     st.binary(max_size=300))


def _dumps(doc: Any) -> bytes:
    """Any JSON, integers beyond 64 bits included (orjson refuses to write those)."""
    return json.dumps(doc).encode()


def _rss_mib() -> float:
    """Resident memory now (not the peak): /proc/self/statm pages."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def _handle(body: bytes, where: tuple[str, str], content_type: str, app_settings: Settings,
            stamps: RetryStamps) -> bool:
    """What a request runs before producing; True if accepted, PayloadError if refused."""
    name, kind = where
    _digest, events = _events(body, content_type, "acme", name, kind, app_settings, stamps)
    encode(events, topic_prefix="", max_event_bytes=app_settings.ingest.max_event_bytes)
    return True


def replay_memory(kept: list[tuple[bytes, tuple[str, str], str]], app_settings: Settings,
                  passes: int = 5) -> list[float]:
    """Resident memory after each pass over the same generated requests, gateway and
    validator: flat when nothing is kept per call (hypothesis's own bookkeeping during the
    generated run is not in these figures)."""
    stamps = RetryStamps()
    topics = sink_topics()
    out = []
    for _ in range(passes):
        for i, (body, where, content_type) in enumerate(kept):
            with contextlib.suppress(PayloadError):
                _handle(body, where, content_type, app_settings, stamps)
            route([Record(topics[i % len(topics)], 0, i, 0, b"k", body)])
        out.append(round(_rss_mib(), 1))
    return out


def fuzz_gateway(cases: int, app_settings: Settings,
                 keep: list | None = None) -> dict[str, Any]:
    """The gateway's body handling: 2xx or 4xx for every input, never anything else.
    ``keep``: a list that collects the first 2,000 inputs (for ``replay_memory``)."""
    stamps = RetryStamps()
    seen: dict[str, int] = {"accepted": 0, "refused": 0}
    failures: list[str] = []

    @settings(max_examples=cases, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(body=bodies(_examples()), where=st.sampled_from(ROUTES),
           content_type=st.sampled_from(CONTENT_TYPES))
    def check(body: bytes, where: tuple[str, str], content_type: str) -> None:
        if keep is not None and len(keep) < 2_000:
            keep.append((body, where, content_type))
        try:
            _handle(body, where, content_type, app_settings, stamps)
            seen["accepted"] += 1
        except PayloadError as exc:
            if not 400 <= exc.status < 500:
                failures.append(f"{exc.status} for {body[:80]!r} on {where}")
            seen["refused"] += 1
        except Exception as exc:  # a 500 in the gateway
            failures.append(f"{type(exc).__name__}: {exc} for {body[:80]!r} on {where}")

    check()
    return {**seen, "failures": failures}


def fuzz_validator(cases: int) -> dict[str, Any]:
    """The ingest stage's validation and routing: never raises, every record accounted for."""
    topics = sink_topics()
    seen = {"rows": 0, "dead": 0}
    failures: list[str] = []

    @settings(max_examples=cases, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(values=st.lists(bodies(_examples()), min_size=1, max_size=8),
           topic=st.sampled_from(topics))
    def check(values: list[bytes], topic: str) -> None:
        records = [Record(topic, 0, i, 0, b"k", v) for i, v in enumerate(values)]
        try:
            routed = route(records)
        except Exception as exc:
            failures.append(f"route raised {type(exc).__name__}: {exc}")
            return
        rows = sum(len(r) for r in routed.rows.values())
        if rows + len(routed.dead) != len(records):
            failures.append(f"{len(records)} records -> {rows} rows + {len(routed.dead)} dead")
        for d in routed.dead:
            if not d.reason_code or not d.error:
                failures.append(f"dead letter without a reason: {d}")
        seen["rows"] += rows
        seen["dead"] += len(routed.dead)

    check()
    return {**seen, "failures": failures}


def run(*, cases: int, as_json: bool) -> dict[str, Any]:
    from config.settings import load_settings

    app_settings = load_settings()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    click.echo(f"gateway: {cases:,} request bodies ...", err=True)
    kept: list = []
    gw = fuzz_gateway(cases, app_settings, kept)
    click.echo(f"validator: {cases:,} batches of records ...", err=True)
    val = fuzz_validator(cases)
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    click.echo(f"memory: {len(kept):,} of those requests replayed 5 times ...", err=True)
    passes = replay_memory(kept, app_settings)
    out = {"benchmark": "fuzz", "cases": cases, "seconds": round(time.perf_counter() - started, 1),
           "gateway": {k: v if k != "failures" else len(v) for k, v in gw.items()},
           "validator": {k: v if k != "failures" else len(v) for k, v in val.items()},
           "peak_rss_mib_before": round(rss_before / 1024, 1),
           "peak_rss_mib_after": round(rss_after / 1024, 1),
           "replay_rss_mib_per_pass": passes,
           "examples_of_failures": (gw["failures"] + val["failures"])[:5]}
    click.echo(f"gateway:   {gw['accepted']:,} accepted, {gw['refused']:,} refused with 4xx, "
               f"{len(gw['failures'])} failures (would have been 5xx)")
    click.echo(f"validator: {val['rows']:,} rows, {val['dead']:,} dead letters with reasons, "
               f"{len(val['failures'])} failures")
    click.echo(f"peak resident memory {out['peak_rss_mib_before']} MiB before, "
               f"{out['peak_rss_mib_after']} MiB after the generated run (hypothesis keeps "
               f"its own records); replaying {len(kept):,} of its requests 5 times: "
               f"{passes} MiB after each pass; {out['seconds']} s")
    for f in out["examples_of_failures"]:
        click.echo(f"  FAILURE {f}")
    if as_json:
        click.echo(json.dumps(out))
    return out
