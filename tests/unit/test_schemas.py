from __future__ import annotations

import orjson
import pytest

from schemas.events import Alert, label_fingerprint
from schemas.registry import EVENTS
from schemas.validation import Invalid, parse_event
from tests.unit.examples import VALID, valid


def _parse(event: dict, **kw):
    return parse_event(orjson.dumps(event), **kw)


@pytest.mark.parametrize("etype", sorted(VALID))
def test_every_type_accepts_its_valid_example(etype: str) -> None:
    ev = _parse(valid(etype))
    assert not isinstance(ev, Invalid), ev
    assert ev.type == etype
    assert ev.tenant_id == "acme"


def test_examples_cover_every_built_in_event_type() -> None:
    """Stages' own types carry their example in their registration (see test_topics)."""
    built_in = {name for name, e in EVENTS.items() if e.example is None}
    assert built_in <= set(VALID)


def _mutate(etype: str, path: str, value) -> dict:
    ev = valid(etype)
    node = ev
    *parents, leaf = path.split(".")
    for p in parents:
        node = node[p]
    if value is _DELETE:
        del node[leaf]
    else:
        node[leaf] = value
    return ev


_DELETE = object()

# (event type, field path, new value, expected code, words the message must contain)
INVALID_CASES = [
    ("metric.sample", "tenant_id", _DELETE, "missing_tenant", "tenant_id: Field required"),
    ("metric.sample", "tenant_id", "Acme Corp", "schema", "tenant_id"),
    ("metric.sample", "id", _DELETE, "schema", "id: Field required"),
    ("metric.sample", "id", "x" * 300, "schema", "at most 256"),
    ("alert", "id", "x" * 257, "schema", "at most 256"),
    ("metric.sample", "specversion", "0.3", "schema", "specversion"),
    ("metric.sample", "schema_version", 99, "schema", "schema_version"),
    ("metric.sample", "time", "yesterday", "schema", "time"),
    ("metric.sample", "data.value", "high", "schema", "data.value"),
    ("metric.sample", "data.value", None, "schema", "data.value"),
    ("metric.sample", "data.timestamp", "2026-11-23T12:00:00", "schema", "timezone"),
    ("metric.sample", "data.name", "", "schema", "data.name"),
    ("metric.sample", "data.resource.host.name", 7, "schema", "host.name"),
    ("metric.sample", "data.resource.k8s.pod.name", ["x"], "schema", "k8s.pod.name"),
    ("metric.sample", "data.surprise", 1, "schema", "Extra inputs"),
    ("alert", "data.status", "pending", "schema", "data.status"),
    ("alert", "data.labels", {"severity": "critical"}, "schema", "alertname"),
    ("alert", "data.startsAt", _DELETE, "schema", "startsAt"),
    ("ticket.event", "data.action", "deleted", "schema", "data.action"),
    ("ticket.event", "data.priority", "asap", "schema", "data.priority"),
    ("ticket.event", "data.text", "x" * 40_000, "schema", "data.text"),
    ("help.interaction", "data.result_count", _DELETE, "schema", "result_count"),
    ("help.interaction", "data.result_count", -1, "schema", "result_count"),
    ("help.interaction", "data.result_count", 2**40, "schema", "result_count"),
    ("help.interaction", "data.kind", "click", "schema", "data.kind"),
    ("aiops.anomaly", "data.score", 1.5, "schema", "data.score"),
    ("aiops.anomaly", "data.lower", 0.9, "schema", "lower bound"),
    ("aiops.incident", "data.last_seen", "2026-11-22T12:00:00Z", "schema", "last_seen"),
    ("aiops.incident", "data.state", "closed", "schema", "data.state"),
    ("aiops.notification", "data.receiver_type", "pager", "schema", "data.receiver_type"),
]


@pytest.mark.parametrize(("etype", "path", "value", "code", "words"), INVALID_CASES,
                         ids=[f"{c[0]}:{c[1]}" for c in INVALID_CASES])
def test_invalid_fields_are_rejected_with_a_message_naming_them(etype, path, value, code,
                                                                words) -> None:
    if path.startswith("data.resource."):
        ev = valid(etype)
        ev["data"]["resource"][path.removeprefix("data.resource.")] = value
    else:
        ev = _mutate(etype, path, value)
    result = _parse(ev)
    assert isinstance(result, Invalid), f"{path}={value!r} was accepted"
    assert result.code == code, result
    assert words in result.message, result.message


@pytest.mark.parametrize(("raw", "code", "words"), [
    (b"not json {", "not_json", "not valid JSON"),
    (b"\xff\xfe\x00", "not_json", "not valid JSON"),
    (b"[1, 2]", "not_json", "JSON object"),
    (b"42", "not_json", "JSON object"),
    (b'{"tenant_id": "acme"}', "unknown_type", "missing 'type'"),
    (b'{"type": "metric.bogus"}', "unknown_type", "'metric.bogus'"),
])
def test_malformed_records(raw: bytes, code: str, words: str) -> None:
    result = parse_event(raw)
    assert isinstance(result, Invalid)
    assert result.code == code
    assert words in result.message


def test_oversized_is_rejected_before_parsing() -> None:
    raw = orjson.dumps(valid("metric.sample"))
    result = parse_event(raw, max_bytes=len(raw) - 1)
    assert isinstance(result, Invalid) and result.code == "oversized"
    assert str(len(raw)) in result.message
    assert not isinstance(parse_event(raw, max_bytes=len(raw)), Invalid)


def test_wrong_topic() -> None:
    result = _parse(valid("alert"), allowed_types=("metric.sample",), topic="telemetry.metrics")
    assert isinstance(result, Invalid) and result.code == "wrong_topic"
    assert "telemetry.metrics" in result.message


def test_alertmanager_zero_end_time_means_unset() -> None:
    ev = _parse(valid("alert"))
    assert ev.data.ends_at is None
    assert ev.data.generator_url == "http://prom/graph"


def test_alert_without_fingerprint_gets_a_stable_one() -> None:
    a = valid("alert")["data"]
    del a["fingerprint"]
    one = Alert.model_validate(a)
    two = Alert.model_validate({**a, "labels": dict(reversed(list(a["labels"].items())))})
    assert one.fingerprint == two.fingerprint == label_fingerprint(a["labels"])
    assert len(one.fingerprint) == 16


def test_alert_serialises_back_to_alertmanager_names() -> None:
    dumped = _parse(valid("alert")).data.model_dump(by_alias=True, mode="json")
    assert {"startsAt", "endsAt", "generatorURL", "fingerprint"} <= set(dumped)


def test_resource_keeps_opentelemetry_names_and_extra_attributes() -> None:
    ev = _parse(valid("metric.sample"))
    attrs = ev.data.resource.attributes()
    assert attrs["service.name"] == "api"
    assert attrs["deployment.environment.name"] == "production"
    assert attrs["k8s.pod.name"] == "api-5f7"
    assert "cloud_region" not in attrs


@pytest.mark.parametrize("kind,missing", [("article_view", "article_id"), ("vote", "vote"),
                                          ("chat_question", "query")])
def test_help_interaction_kind_specific_fields(kind: str, missing: str) -> None:
    ev = valid("help.interaction")
    ev["data"] = {"kind": kind, "timestamp": ev["time"], "session_id": "s", "article_id": "a",
                  "vote": "up", "query": "q"}
    assert not isinstance(_parse(ev), Invalid)
    del ev["data"][missing]
    result = _parse(ev)
    assert isinstance(result, Invalid) and missing in result.message


def test_nan_is_not_a_metric_value() -> None:
    raw = orjson.dumps(valid("metric.sample")).replace(b"0.42", b"NaN")
    assert isinstance(parse_event(raw), Invalid)
