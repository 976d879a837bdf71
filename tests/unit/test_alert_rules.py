"""The rule schema: matchers, durations, silences, inhibition, and the YAML file's errors."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from config.alert_rules import DEFAULT_PATH, load_alert_rules
from schemas.alert_rules import Matcher, RuleError, RuleSet, parse_duration


def _error(raw: object) -> RuleError:
    with pytest.raises(ValidationError) as info:
        RuleSet.model_validate(raw)
    return RuleError.from_validation(info.value)


def test_durations() -> None:
    assert parse_duration("90s") == 90
    assert parse_duration("1h30m") == 5400
    assert parse_duration(2.5) == 2.5
    for bad in ("5 minutes", "", "-1m", "0s", True, -3, float("nan")):
        with pytest.raises(ValueError, match="duration"):
            parse_duration(bad)
    assert parse_duration("0s", allow_zero=True) == 0
    rules = RuleSet.model_validate({"grouping": [{"name": "a", "group_by": ["x"], "window": 45}],
                                    "lifecycle": {"resolve_grace": "0"}})
    assert rules.grouping[0].window == 45.0 and rules.lifecycle.resolve_grace == 0


@pytest.mark.parametrize(("text", "labels", "expected"), [
    ('severity="critical"', {"severity": "critical"}, True),
    ('severity!="critical"', {"severity": "warning"}, True),
    ('alertname=~"Host.*"', {"alertname": "HostDown"}, True),
    ('alertname=~"Host"', {"alertname": "HostDown"}, False),  # anchored, as in Alertmanager
    ('alertname!~"Site.*"', {"alertname": "HostDown"}, True),
    ('team=""', {}, True),  # a missing label reads as ""
    ('msg="say \\"hi\\""', {"msg": 'say "hi"'}, True),  # escaped quotes
])
def test_matchers(text: str, labels: dict[str, str], expected: bool) -> None:
    assert Matcher.model_validate(text).matches(labels) is expected


def test_matcher_mapping_form_and_round_trip() -> None:
    m = Matcher.model_validate({"name": "alertname", "op": "=~", "value": "Host.*"})
    assert m == Matcher.model_validate('alertname=~"Host.*"') and m.matches({"alertname": "HostA"})
    rules = load_alert_rules(DEFAULT_PATH)
    assert RuleSet.model_validate(rules.model_dump(mode="json")) == rules


def test_errors_name_the_bad_field() -> None:
    cases = [
        ({"grouping": [{"name": "a", "group_by": ["site"], "window": "soon"}]},
         "grouping[0].window"),
        ({"grouping": [{"name": "a", "group_by": []}]}, "grouping[0].group_by"),
        ({"inhibit_rules": [{"name": "i", "source_matchers": ['a=~"("'],
                             "target_matchers": ['b="c"']}]},
         "inhibit_rules[0].source_matchers[0]"),
        ({"inhibit_rules": [{"name": "i", "source_matchers": [],
                             "target_matchers": ['b="c"']}]}, "inhibit_rules[0].source_matchers"),
        ({"silences": [{"id": "s", "matchers": ['a="b"'], "starts_at": "2026-01-02T00:00:00Z",
                        "ends_at": "2026-01-01T00:00:00Z"}]}, "silences[0].ends_at"),
        ({"silences": [{"id": "s", "matchers": ['a="b"'], "starts_at": "2026-01-01T00:00:00",
                        "ends_at": "2026-01-02T00:00:00Z"}]}, "silences[0].starts_at"),
        ({"grouping": [{"name": "a", "group_by": ["x"], "windw": "5m"}]}, "grouping[0].windw"),
        ({"similarity": {"weights": {"hots": 0.5}}}, "similarity.weights.hots"),
        ({"similarity": {"weights": {"host": True}}}, "similarity.weights.host"),
        ({"similarity": {"threshold": 0}}, "similarity.threshold"),
        ({"lifecycle": {"resolve_grace": "-5m"}}, "lifecycle.resolve_grace"),
        ({"lifecycle": {"group_interval": "0s"}}, "lifecycle.group_interval"),
        ({"merge": {"window": "soon"}}, "merge.window"),
        ({"merge": {"enabled": "yes"}}, "merge.enabled"),
        ({"merge": {"windows": "2m"}}, "merge.windows"),
        ({"template_similarity": 1.5}, "template_similarity"),
        ({"inhibit_rules": [{"name": "i", "source_matchers": ['a="b"'],
                             "target_matchers": ['b="c"']}] * 2}, "inhibit_rules"),
        (["not", "a", "mapping"], "(root)"),
    ]
    for raw, where in cases:
        assert _error(raw).field == where, raw


def test_messages_speak_yaml() -> None:
    err = _error({"merge": {"windows": "2m"}, "grouping": None, "lifecycle": 5,
                  "silences": [{"id": "s", "matchers": ['a="b"'], "ends_at": "2026-01-01T00:00Z"}]})
    assert str(err).splitlines() == [
        "grouping: expected a list",
        "silences[0].starts_at: required",
        "lifecycle: expected a mapping",
        "merge.windows: unknown key (allowed: enabled, window)",
    ]


def test_grouping_key_skips_alerts_missing_a_label() -> None:
    rules = RuleSet.model_validate({"grouping": [
        {"name": "svc", "matchers": ['env="prod"'], "group_by": ["site", "service"]}]})
    rule = rules.grouping[0]
    assert rule.window == 600
    assert rule.key({"env": "prod", "site": "a", "service": "x"}) == ("svc", "a", "x")
    assert rule.key({"env": "prod", "site": "a"}) is None
    assert rule.key({"env": "dev", "site": "a", "service": "x"}) is None


def test_inhibit_rule_sides_and_equal_key() -> None:
    rules = RuleSet.model_validate({"inhibit_rules": [{
        "name": "down", "source_matchers": ['alertname="NodeDown"'],
        "target_matchers": ['alertname!="NodeDown"'], "equal": ["site", "_host"]}]})
    rule = rules.inhibit[0]
    assert rule.is_source({"alertname": "NodeDown"})
    assert not rule.is_target({"alertname": "NodeDown"})
    assert rule.is_target({"alertname": "DiskFull"})
    assert rule.equal_key({"site": "fra1"}) == ("fra1", "")


def test_silence_time_range_and_tenant() -> None:
    rules = RuleSet.model_validate({"silences": [{
        "id": "maint", "tenant": "acme", "matchers": ['site="fra1"'],
        "starts_at": datetime(2026, 1, 1, tzinfo=UTC), "ends_at": "2026-01-01T02:00:00+00:00"}]})
    s = rules.silences[0]
    inside = datetime(2026, 1, 1, 1, tzinfo=UTC).timestamp()
    assert s.mutes("acme", {"site": "fra1"}, inside)
    assert not s.mutes("globex", {"site": "fra1"}, inside)
    assert not s.mutes("acme", {"site": "ams2"}, inside)
    assert not s.mutes("acme", {"site": "fra1"}, inside + 3600)


def test_default_file_loads() -> None:
    rules = load_alert_rules(DEFAULT_PATH)
    assert [r.name for r in rules.grouping] == ["same-host", "same-service",
                                                "site-facility-and-reachability"]
    assert rules.inhibit and rules.inhibit is rules.inhibit_rules
    assert rules.lifecycle.resolve_grace == 300 and rules.lifecycle.alert_ttl == 86_400
    assert rules.merge.enabled and rules.merge.window == 120
    sim = rules.similarity
    assert (sim.window, sim.threshold, sim.same) == (600, 0.6, ("site", "env"))
    assert (sim.host, sim.service, sim.template, sim.mention) == (0.6, 0.3, 0.3, 0.6)
    assert rules.template_similarity == 0.5


def test_loader_error_names_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("# rules\ngrouping:\n  - name: a\n    group_by: [site]\n"
                    "  - name: b\n    group_by: [host]\n    window: 5x\n")
    with pytest.raises(RuleError) as info:
        load_alert_rules(path)
    assert (info.value.field, info.value.line) == ("grouping[1].window", 7)
    assert str(info.value) == (f"{path} line 7: grouping[1].window: bad duration '5x' "
                               "(use e.g. 30s, 5m, 1h30m)")


def test_loader_reports_every_problem_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("merge:\n  enabled: maybe\nlifecycle:\n  alert_tll: 1d\n"
                    "silences:\n  - id: s\n    matchers: []\n")
    with pytest.raises(RuleError) as info:
        load_alert_rules(path)
    got = {(p.field, p.line) for p in info.value.problems}
    assert got == {("merge.enabled", 2), ("lifecycle.alert_tll", 4),
                   ("silences[0].matchers", 7), ("silences[0].starts_at", 6),
                   ("silences[0].ends_at", 6)}
    assert len(str(info.value).splitlines()) == 5


@pytest.mark.parametrize(("yaml_text", "fragment"), [
    ("grouping:\n  - {name: a, group_by: [site], window: 5mins}\n", "line 2: .*bad duration"),
    ("grouping:\n  - {name: a, group_by: [site], matchers: ['a=~\"[\"']}\n", "bad regex"),
    ("groupings: []\n", "line 1: groupings: unknown key"),
    ("grouping:\n  - {name: a, group_by: [site]}\n  - {name: a, group_by: [host]}\n",
     "line 1: grouping: duplicate"),
    ("- just a list\n", "mapping"),
    ("merge: {window: 2 minutes}\n", "bad duration"),
    ("merge:\n  window: 2m\n  window: 3m\n", "line 3: merge.window: duplicate key"),
    ("merge: [\n", "not valid YAML"),
])
def test_loader_fails_loudly(tmp_path: Path, yaml_text: str, fragment: str) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(yaml_text)
    with pytest.raises(ValueError, match=fragment):
        load_alert_rules(path)


def test_empty_file_means_defaults(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("# nothing yet\n")
    assert load_alert_rules(path) == RuleSet()
