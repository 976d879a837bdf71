"""Gateway payload parsing: ids, alert times, Alertmanager vs Grafana, per-event limits."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.gateway.payloads import PayloadError, alert_time, build_events, parse_items
from connectors.gateway.records import KAFKA_MESSAGE_MAX_BYTES, encode
from connectors.gateway.webhooks import RetryStamps, flavour, webhook_events, webhook_items
from schemas.validation import parse_event

NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
STARTS = "2026-11-23T12:00:00Z"


def _alert(i: int = 0, **extra) -> dict:
    return {"status": "firing", "labels": {"alertname": "DiskFull", "instance": f"db-{i}"},
            "startsAt": STARTS, **extra}


def _grafana(**extra) -> dict:
    alert = _alert(0, fingerprint="c6eadffa33fcdf37", endsAt="0001-01-01T00:00:00Z",
                   annotations={"summary": "disk"}, silenceURL="https://g/silence",
                   dashboardURL="https://g/d/1", panelURL="", imageURL="",
                   values={"B": 44.2, "C": 1}, valueString="[ var='B' value=44.2 ]",
                   someFutureField={"x": 1})
    return {"receiver": "wh", "status": "firing", "orgId": 1, "alerts": [alert],
            "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "externalURL": "",
            "version": "1", "groupKey": "{}", "truncatedAlerts": 0, "title": "[FIRING:1]",
            "state": "alerting", "message": "Firing", **extra}


def test_items_come_as_an_object_an_array_or_ndjson() -> None:
    assert parse_items(b'{"a": 1}', "application/json") == [{"a": 1}]
    assert parse_items(b'[{"a": 1}, {"a": 2}]', "application/json") == [{"a": 1}, {"a": 2}]
    assert parse_items(b'{"a": 1}\n\n{"a": 2}\n', "application/x-ndjson") == [{"a": 1}, {"a": 2}]
    with pytest.raises(PayloadError, match="line 2") as err:
        parse_items(b'{"a": 1}\n{oops', "application/x-ndjson")
    assert err.value.status == 400 and err.value.index == 1
    for body in (b"", b"  \n", b"{nope"):
        with pytest.raises(PayloadError) as err:
            parse_items(body, "application/json")
        assert err.value.status == 400


def test_ids_come_from_the_prefix_unless_the_client_gave_one() -> None:
    evs = build_events("alerts", [_alert(0), {"data": _alert(1), "id": "mine"}], "acme",
                       source="s", id_prefix="acme-abc", now=NOW)
    assert [e.id for e in evs] == ["acme-abc-0", "mine"]
    again = build_events("alerts", [_alert(0)], "acme", source="s", id_prefix="acme-abc")
    assert again[0].id == evs[0].id


def test_an_alert_is_timed_by_its_own_state_change_not_by_arrival() -> None:
    firing, resolved, open_end, timed = build_events("alerts", [
        _alert(0), _alert(1, status="resolved", endsAt="2026-11-23T12:30:00Z"),
        _alert(2, status="resolved"), {"data": _alert(3), "time": "2026-11-23T12:45:00Z"},
    ], "acme", source="s", id_prefix="p", now=NOW)
    assert firing.time == datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert resolved.time == datetime(2026, 11, 23, 12, 30, tzinfo=UTC)
    assert open_end.time == NOW  # resolved without endsAt: arrival is all we know
    assert timed.time == datetime(2026, 11, 23, 12, 45, tzinfo=UTC)  # the client's word wins
    assert alert_time(firing.data, NOW) == firing.data.starts_at


def test_tenant_and_type_are_the_tokens_and_the_routes() -> None:
    with pytest.raises(PayloadError) as err:
        build_events("alerts", [{"data": _alert(), "tenant_id": "globex"}], "acme", source="s",
                     id_prefix="p")
    assert err.value.status == 403
    with pytest.raises(PayloadError, match="takes 'alert'") as err:
        build_events("alerts", [{"data": _alert(), "type": "metric.sample"}], "acme",
                     source="s", id_prefix="p")
    with pytest.raises(PayloadError) as err:
        build_events("logs", [{}], "acme", source="s", id_prefix="p")
    assert err.value.status == 404


def test_grafanas_payload_is_recognised_and_its_extras_kept_as_annotations() -> None:
    assert flavour(_grafana(), "alertmanager") == "grafana"
    assert flavour({"version": "4", "alerts": []}, "alertmanager") == "alertmanager"
    assert flavour({"version": "4", "alerts": []}, "grafana") == "grafana"
    source, items = webhook_items(_grafana(), "grafana")
    assert source == "grafana/wh"
    data = items[0]["data"]
    assert set(data) == {"status", "labels", "annotations", "startsAt", "endsAt", "fingerprint"}
    assert data["annotations"] == {"summary": "disk", "grafana_values": "B=44.2, C=1",
                                   "grafana_dashboard_url": "https://g/d/1",
                                   "grafana_value_string": "[ var='B' value=44.2 ]"}
    (ev,) = build_events("alerts", items, "acme", source=source, id_prefix="p", now=NOW)
    assert ev.data.fingerprint == "c6eadffa33fcdf37" and ev.data.ends_at is None
    assert ev.time == ev.data.starts_at


def test_grafanas_long_values_are_cut_to_an_annotations_size() -> None:
    payload = _grafana()
    payload["alerts"][0]["values"] = {f"R{i}": i * 1.5 for i in range(500)}
    _, items = webhook_items(payload, "grafana")
    note = items[0]["data"]["annotations"]["grafana_values"]
    assert len(note) == 1024 and note.endswith("…")
    build_events("alerts", items, "acme", source="s", id_prefix="p")  # valid


def test_alertmanagers_payload_stays_strict() -> None:
    cases = [
        ({"version": "3", "alerts": []}, "version"),
        ({"version": "4", "alerts": [_alert(silenceURL="x")]}, "silenceURL"),
        ({"version": "4", "alerts": {"a": 1}}, "'alerts' list"),
        ({"version": "4", "alerts": [1]}, "alert 0 must be a JSON object"),
        ({"version": "4", "alerts": [], "receiver": 7}, "receiver"),
        ([], "JSON object"),
    ]
    for payload, words in cases:
        with pytest.raises(PayloadError, match=words) as err:
            webhook_events(orjson.dumps(payload), "acme", "alertmanager", RetryStamps())
        assert err.value.status == 400
    with pytest.raises(PayloadError, match="legacy"):
        webhook_events(b'{"evalMatches": [], "ruleName": "x", "state": "alerting"}', "acme",
                       "grafana", RetryStamps())


def test_a_retried_webhook_keeps_its_ids_and_a_later_repeat_gets_new_ones() -> None:
    stamps = RetryStamps()
    body = orjson.dumps({"version": "4", "receiver": "r", "alerts": [_alert(0), _alert(1)]})
    digest, first = webhook_events(body, "acme", "alertmanager", stamps)  # answered 503
    _, retry = webhook_events(body, "acme", "alertmanager", stamps)
    assert [e.id for e in retry] == [e.id for e in first]
    _, other = webhook_events(body, "globex", "alertmanager", stamps)
    assert not {e.id for e in other} & {e.id for e in first}
    stamps.settled(digest)  # the retry got 202
    _, repeat = webhook_events(body, "acme", "alertmanager", stamps)
    assert not {e.id for e in repeat} & {e.id for e in first}
    assert all(len(e.id) <= 256 for e in first)


def test_retry_stamps_are_bounded_in_time_and_number() -> None:
    stamps = RetryStamps(window_s=-1.0)  # everything is past its window
    first = stamps.stamp("d")
    assert stamps.stamp("d") != first and len(stamps._stamps) == 1
    stamps = RetryStamps(max_entries=3)
    for i in range(10):
        stamps.stamp(str(i))
    assert len(stamps._stamps) <= 3


def test_a_refused_webhook_leaves_no_stamp_behind() -> None:
    stamps = RetryStamps()
    with pytest.raises(PayloadError):
        webhook_events(orjson.dumps({"alerts": [{"status": "firing"}]}), "acme", "alertmanager",
                       stamps)
    assert not stamps._stamps


def _events(n_alerts: int, annotation_bytes: int = 0):
    notes = {f"n{k}": "x" * 1000 for k in range(annotation_bytes // 1012)}
    return build_events("alerts", [_alert(i, annotations=notes if i == n_alerts - 1 else {})
                                   for i in range(n_alerts)], "acme", source="s", id_prefix="p")


def test_records_are_what_the_worker_accepts_and_oversized_items_are_named() -> None:
    records = encode(_events(3), topic_prefix="x.", max_event_bytes=262144)
    assert [r[0] for r in records] == ["x.telemetry.alerts"] * 3
    assert all(parse_event(value, max_bytes=262144).type == "alert" for _, _, value in records)
    with pytest.raises(PayloadError) as err:
        encode(_events(4, 303_000), topic_prefix="", max_event_bytes=262144)
    e = err.value
    assert (e.status, e.index, e.details["limit"]) == (413, 3, 262144)
    assert 300_000 < e.details["size"] < 310_000 and "AIOPS_INGEST_MAX_EVENT_BYTES" in e.message
    # the limit is on the exact bytes the worker reads
    (_, _, value), = encode(_events(1, 20_000), topic_prefix="", max_event_bytes=10**6)
    encode(_events(1, 20_000), topic_prefix="", max_event_bytes=len(value))
    with pytest.raises(PayloadError):
        encode(_events(1, 20_000), topic_prefix="", max_event_bytes=len(value) - 1)


def test_kafkas_limit_is_named_when_it_is_the_smaller() -> None:
    with pytest.raises(PayloadError, match=r"message\.max\.bytes") as err:
        encode(_events(1, 1_100_000), topic_prefix="", max_event_bytes=4 * 1024 * 1024)
    assert err.value.details["limit"] < KAFKA_MESSAGE_MAX_BYTES


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False,
                                                                       allow_infinity=False)
    | st.text(max_size=10) | st.just(STARTS) | st.sampled_from(["firing", "resolved", "4", "1"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["alerts", "version", "orgId", "labels", "annotations", "status",
                         "startsAt", "endsAt", "data", "id", "time", "values", "valueString",
                         "alertname", "receiver", "evalMatches"]) | st.text(max_size=5),
        inner, max_size=5),
    max_leaves=30)


@settings(max_examples=300, deadline=None)
@given(payload=JSON, route=st.sampled_from(["alertmanager", "grafana"]))
def test_any_webhook_json_is_an_event_list_or_a_4xx(payload, route) -> None:
    try:
        _, events = webhook_events(orjson.dumps(payload), "acme", route, RetryStamps())
    except PayloadError as exc:
        assert 400 <= exc.status < 500
        return
    encode(events, topic_prefix="", max_event_bytes=262144)


@settings(max_examples=300, deadline=None)
@given(items=st.lists(JSON, max_size=4), kind=st.sampled_from(["metrics", "alerts", "tickets",
                                                                "help"]))
def test_any_events_json_is_an_event_list_or_a_4xx(items, kind) -> None:
    try:
        events = build_events(kind, items, "acme", source="s", id_prefix="p")
        encode(events, topic_prefix="", max_event_bytes=262144)
    except PayloadError as exc:
        assert 400 <= exc.status < 500
