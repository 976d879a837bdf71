"""Rule compilation and validation: matchers, durations, silences, inhibition, the YAML file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from config.alert_rules import DEFAULT_PATH, load_alert_rules
from processors.alerts.rules import RuleError, RuleSet, parse_duration, parse_matcher


def test_durations() -> None:
    assert parse_duration("90s", "x") == 90
    assert parse_duration("1h30m", "x") == 5400
    assert parse_duration(2.5, "x") == 2.5
    for bad in ("5 minutes", "", "-1m", "0s", True):
        with pytest.raises(RuleError, match="x"):
            parse_duration(bad, "x")
    assert parse_duration("0s", "x", allow_zero=True) == 0


@pytest.mark.parametrize(("text", "labels", "expected"), [
    ('severity="critical"', {"severity": "critical"}, True),
    ('severity!="critical"', {"severity": "warning"}, True),
    ('alertname=~"Host.*"', {"alertname": "HostDown"}, True),
    ('alertname=~"Host"', {"alertname": "HostDown"}, False),  # anchored, as in Alertmanager
    ('alertname!~"Site.*"', {"alertname": "HostDown"}, True),
    ('team=""', {}, True),  # a missing label reads as ""
])
def test_matchers(text: str, labels: dict[str, str], expected: bool) -> None:
    assert parse_matcher(text, "m").matches(labels) is expected


def test_errors_name_the_bad_field() -> None:
    cases = [
        ({"grouping": [{"name": "a", "group_by": ["site"], "window": "soon"}]},
         "grouping[0].window"),
        ({"grouping": [{"name": "a", "group_by": []}]}, "grouping[0].group_by"),
        ({"inhibit_rules": [{"name": "i", "source_matchers": ['a=~"("'],
                             "target_matchers": ['b="c"']}]},
         "inhibit_rules[0].source_matchers[0]"),
        ({"silences": [{"id": "s", "matchers": ['a="b"'], "starts_at": "2026-01-02T00:00:00Z",
                        "ends_at": "2026-01-01T00:00:00Z"}]}, "silences[0].ends_at"),
        ({"grouping": [{"name": "a", "group_by": ["x"], "windw": "5m"}]}, "grouping[0].windw"),
        ({"similarity": {"weights": {"hots": 0.5}}}, "similarity.weights.hots"),
        ({"lifecycle": {"resolve_grace": "-5m"}}, "lifecycle.resolve_grace"),
        ({"merge": {"window": "soon"}}, "merge.window"),
        ({"merge": {"enabled": "yes"}}, "merge.enabled"),
        ({"merge": {"windows": "2m"}}, "merge.windows"),
    ]
    for raw, where in cases:
        with pytest.raises(RuleError) as info:
            RuleSet.from_mapping(raw)
        assert info.value.field == where, raw


def test_grouping_key_skips_alerts_missing_a_label() -> None:
    rules = RuleSet.from_mapping({"grouping": [
        {"name": "svc", "matchers": ['env="prod"'], "group_by": ["site", "service"]}]})
    rule = rules.grouping[0]
    assert rule.key({"env": "prod", "site": "a", "service": "x"}) == ("svc", "a", "x")
    assert rule.key({"env": "prod", "site": "a"}) is None
    assert rule.key({"env": "dev", "site": "a", "service": "x"}) is None


def test_silence_time_range_and_tenant() -> None:
    rules = RuleSet.from_mapping({"silences": [{
        "id": "maint", "tenant": "acme", "matchers": ['site="fra1"'],
        "starts_at": datetime(2026, 1, 1, tzinfo=UTC), "ends_at": "2026-01-01T02:00:00+00:00"}]})
    s = rules.silences[0]
    inside = datetime(2026, 1, 1, 1, tzinfo=UTC).timestamp()
    assert s.mutes("acme", {"site": "fra1"}, inside)
    assert not s.mutes("globex", {"site": "fra1"}, inside)
    assert not s.mutes("acme", {"site": "ams2"}, inside)
    assert not s.mutes("acme", {"site": "fra1"}, inside + 3600)


def test_default_file_loads_and_compiles() -> None:
    rules = RuleSet.from_mapping(load_alert_rules(DEFAULT_PATH).to_mapping())
    assert rules.grouping and rules.inhibit
    assert rules.lifecycle.resolve_grace == 300
    assert rules.merge.enabled and rules.merge.window == 120


@pytest.mark.parametrize(("yaml_text", "fragment"), [
    ("grouping:\n  - {name: a, group_by: [site], window: 5mins}\n", "bad duration"),
    ("grouping:\n  - {name: a, group_by: [site], matchers: ['a=~\"[\"']}\n", "bad regex"),
    ("groupings: []\n", "groupings"),
    ("grouping:\n  - {name: a, group_by: [site]}\n  - {name: a, group_by: [host]}\n",
     "duplicate"),
    ("- just a list\n", "mapping"),
    ("merge: {window: 2 minutes}\n", "bad duration"),
])
def test_loader_fails_loudly(tmp_path: Path, yaml_text: str, fragment: str) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(yaml_text)
    with pytest.raises(ValueError, match=fragment):
        load_alert_rules(path)
