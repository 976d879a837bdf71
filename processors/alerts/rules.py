"""Grouping rules, silences and inhibition rules, compiled for the clustering processor.

Semantics follow Alertmanager where it has them:

- a matcher is ``label op "value"`` with op ``=``, ``!=``, ``=~``, ``!~``; regexes are anchored
  and a missing label reads as the empty string;
- a grouping rule applies to alerts matching all its matchers and puts those with equal
  ``group_by`` values, arriving within ``window`` of the incident's last alert, together (like a
  route's ``group_by`` with a time window as in BigPanda). Unlike Alertmanager, an alert missing
  a ``group_by`` label is not grouped by that rule: "no host" is not a host;
- a silence mutes alerts matching all its matchers while ``starts_at <= now < ends_at``;
- an inhibition rule mutes target alerts while a firing source alert has equal ``equal`` labels;
  an alert matching both sides does not inhibit itself.

Besides labels, matchers and ``group_by`` may name attributes the processor derives:
``_host`` (host/hostname/nodename or the host part of instance), ``_service`` (service or job)
and ``_template`` (the mined text template). ``RuleSet.from_mapping`` validates a plain mapping
(the dump of ``config.alert_rules``) and raises ``RuleError`` naming the bad field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

_DURATION = re.compile(
    r"^(?=\d)(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$")
_DURATION_UNITS = (604_800.0, 86_400.0, 3_600.0, 60.0, 1.0, 0.001)
_MATCHER = re.compile(r'^\s*([A-Za-z_][\w.]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|(\S*))\s*$')
DERIVED = ("_host", "_service", "_template")


class RuleError(ValueError):
    """A rule file is wrong; ``field`` says where (e.g. ``grouping[1].window``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def parse_duration(value: object, where: str, *, allow_zero: bool = False) -> float:
    """Seconds from a number or a Prometheus duration such as ``90s``, ``5m``, ``1h30m``."""
    if isinstance(value, bool):
        raise RuleError(where, f"expected a duration, got {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and value and (m := _DURATION.match(value.strip())):
        seconds = sum(int(g) * unit for g, unit in zip(m.groups(), _DURATION_UNITS, strict=True)
                      if g)
    else:
        raise RuleError(where, f"bad duration {value!r} (use e.g. 30s, 5m, 1h30m)")
    if seconds < 0 or (seconds == 0 and not allow_zero):
        raise RuleError(where, f"duration must be > 0, got {value!r}")
    return seconds


@dataclass(frozen=True, slots=True)
class Matcher:
    name: str
    op: str
    value: str
    regex: re.Pattern[str] | None = None

    def matches(self, attrs: Mapping[str, str]) -> bool:
        v = attrs.get(self.name, "")
        if self.regex is not None:
            return (self.regex.fullmatch(v) is not None) == (self.op == "=~")
        return (v == self.value) == (self.op == "=")

    def __str__(self) -> str:
        return f'{self.name}{self.op}"{self.value}"'


def parse_matcher(raw: object, where: str) -> Matcher:
    """``'severity=~"warning|info"'`` or ``{name, op, value}`` into a checked ``Matcher``."""
    if isinstance(raw, str):
        m = _MATCHER.match(raw)
        if m is None:
            raise RuleError(where, f'bad matcher {raw!r} (use label="v", !=, =~ or !~)')
        name, op = m.group(1), m.group(2)
        value = m.group(3) if m.group(3) is not None else (m.group(4) or "")
        value = re.sub(r"\\(.)", r"\1", value)
    elif isinstance(raw, Mapping):
        _only(raw, where, {"name", "op", "value"})
        name, op, value = raw.get("name"), raw.get("op", "="), raw.get("value", "")
        if not isinstance(name, str) or not name or not isinstance(value, str) \
                or op not in ("=", "!=", "=~", "!~"):
            raise RuleError(where, f"bad matcher {dict(raw)!r}")
    else:
        raise RuleError(where, f"a matcher is a string or a mapping, got {raw!r}")
    regex = None
    if op in ("=~", "!~"):
        try:
            regex = re.compile(value)
        except re.error as exc:
            raise RuleError(where, f"bad regex {value!r}: {exc}") from exc
    return Matcher(name, op, value, regex)


def _matchers(raw: object, where: str, *, required: bool = False) -> tuple[Matcher, ...]:
    if raw is None:
        raw = []
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise RuleError(where, "expected a list of matchers")
    if required and not raw:
        raise RuleError(where, "needs at least one matcher")
    return tuple(parse_matcher(m, f"{where}[{i}]") for i, m in enumerate(raw))


def _labels(raw: object, where: str, *, required: bool) -> tuple[str, ...]:
    if raw is None:
        raw = []
    if (not isinstance(raw, Sequence) or isinstance(raw, str)
            or not all(isinstance(x, str) and x for x in raw)):
        raise RuleError(where, "expected a list of label names")
    if required and not raw:
        raise RuleError(where, "needs at least one label")
    return tuple(raw)


def _only(raw: Mapping[str, Any], where: str, allowed: set[str]) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise RuleError(f"{where}.{unknown[0]}" if where else unknown[0],
                        f"unknown key (allowed: {', '.join(sorted(allowed))})")


def _all(matchers: tuple[Matcher, ...], attrs: Mapping[str, str]) -> bool:
    return all(m.matches(attrs) for m in matchers)


@dataclass(frozen=True, slots=True)
class GroupingRule:
    name: str
    group_by: tuple[str, ...]
    window: float
    matchers: tuple[Matcher, ...] = ()

    def key(self, attrs: Mapping[str, str]) -> tuple[str, ...] | None:
        """The group key of an alert, or None when the rule does not apply to it."""
        if self.matchers and not _all(self.matchers, attrs):
            return None
        values = tuple(attrs.get(name, "") for name in self.group_by)
        return None if "" in values else (self.name, *values)


@dataclass(frozen=True, slots=True)
class Silence:
    id: str
    matchers: tuple[Matcher, ...]
    starts_at: float
    ends_at: float
    tenant: str | None = None
    comment: str = ""

    def mutes(self, tenant: str, attrs: Mapping[str, str], now: float) -> bool:
        return (self.starts_at <= now < self.ends_at and self.tenant in (None, tenant)
                and _all(self.matchers, attrs))


@dataclass(frozen=True, slots=True)
class InhibitRule:
    name: str
    source: tuple[Matcher, ...]
    target: tuple[Matcher, ...]
    equal: tuple[str, ...] = ()

    def is_source(self, attrs: Mapping[str, str]) -> bool:
        return _all(self.source, attrs)

    def is_target(self, attrs: Mapping[str, str]) -> bool:
        return _all(self.target, attrs)

    def equal_key(self, attrs: Mapping[str, str]) -> tuple[str, ...]:
        return tuple(attrs.get(name, "") for name in self.equal)


@dataclass(frozen=True, slots=True)
class Similarity:
    """Cookbook-style fallback: weighted evidence that an alert belongs to an open incident."""

    enabled: bool = True
    window: float = 600.0
    threshold: float = 0.6
    same: tuple[str, ...] = ("site",)
    host: float = 0.6
    service: float = 0.3
    template: float = 0.3
    mention: float = 0.6


@dataclass(frozen=True, slots=True)
class Merge:
    """Folding: an alert linked by rule key or inhibition to two open incidents of its tenant
    joins the larger, and the other is folded into it if it opened within ``window`` (a storm
    that started as two incidents, e.g. a probe failing just before its host is reported down).
    Older incidents are never folded, so an unrelated alert that happened to be there stays
    apart."""

    enabled: bool = True
    window: float = 120.0


@dataclass(frozen=True, slots=True)
class Lifecycle:
    group_interval: float = 30.0
    """Updates of an incident are emitted at most this often (the open version at once)."""
    resolve_grace: float = 300.0
    """All members resolved for this long resolves the incident (absorbs flapping)."""
    quiet_timeout: float = 3_600.0
    """No notification about an incident for this long resolves it."""
    alert_ttl: float = 86_400.0
    """A fingerprint not heard of for this long is forgotten."""


@dataclass(frozen=True, slots=True)
class RuleSet:
    grouping: tuple[GroupingRule, ...] = ()
    silences: tuple[Silence, ...] = ()
    inhibit: tuple[InhibitRule, ...] = ()
    similarity: Similarity = field(default_factory=Similarity)
    lifecycle: Lifecycle = field(default_factory=Lifecycle)
    template_similarity: float = 0.5
    merge: Merge = field(default_factory=Merge)

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> RuleSet:
        """Compile and validate; every problem raises ``RuleError`` naming its field."""
        if not isinstance(raw, Mapping):
            raise RuleError("(root)", "expected a mapping")
        _only(raw, "", {"grouping", "silences", "inhibit_rules", "similarity", "lifecycle",
                        "template_similarity", "merge"})
        grouping = tuple(_grouping(r, f"grouping[{i}]")
                         for i, r in enumerate(_list(raw, "grouping")))
        names = [g.name for g in grouping]
        if len(set(names)) != len(names):
            raise RuleError("grouping", f"rule names must be unique: {names}")
        silences = tuple(_silence(s, f"silences[{i}]")
                         for i, s in enumerate(_list(raw, "silences")))
        inhibit = tuple(_inhibit(r, f"inhibit_rules[{i}]")
                        for i, r in enumerate(_list(raw, "inhibit_rules")))
        tsim = raw.get("template_similarity", 0.5)
        if not isinstance(tsim, int | float) or not 0 < tsim <= 1:
            raise RuleError("template_similarity", "must be a number in (0, 1]")
        return cls(grouping, silences, inhibit, _similarity(raw.get("similarity") or {}),
                   _lifecycle(raw.get("lifecycle") or {}), float(tsim),
                   _merge(raw.get("merge") or {}))


def _list(raw: Mapping[str, Any], key: str) -> list[Any]:
    value = raw.get(key) or []
    if not isinstance(value, list):
        raise RuleError(key, "expected a list")
    for i, item in enumerate(value):
        if not isinstance(item, Mapping):
            raise RuleError(f"{key}[{i}]", "expected a mapping")
    return value


def _name(raw: Mapping[str, Any], where: str) -> str:
    name = raw.get("name") or raw.get("id")
    if not isinstance(name, str) or not name:
        raise RuleError(f"{where}.name", "required, a non-empty string")
    return name


def _grouping(raw: Mapping[str, Any], where: str) -> GroupingRule:
    _only(raw, where, {"name", "matchers", "group_by", "window"})
    return GroupingRule(_name(raw, where),
                        _labels(raw.get("group_by"), f"{where}.group_by", required=True),
                        parse_duration(raw.get("window", "10m"), f"{where}.window"),
                        _matchers(raw.get("matchers"), f"{where}.matchers"))


def _time(value: object, where: str) -> float:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError as exc:
            raise RuleError(where, f"bad timestamp {value!r}") from exc
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise RuleError(where, "expected an ISO 8601 timestamp with a time zone")
    return value.timestamp()


def _silence(raw: Mapping[str, Any], where: str) -> Silence:
    _only(raw, where, {"id", "matchers", "starts_at", "ends_at", "tenant", "comment",
                       "created_by"})
    sid = raw.get("id")
    if not isinstance(sid, str) or not sid:
        raise RuleError(f"{where}.id", "required, a non-empty string")
    starts = _time(raw.get("starts_at"), f"{where}.starts_at")
    ends = _time(raw.get("ends_at"), f"{where}.ends_at")
    if ends <= starts:
        raise RuleError(f"{where}.ends_at", "must be after starts_at")
    tenant = raw.get("tenant")
    if tenant is not None and (not isinstance(tenant, str) or not tenant):
        raise RuleError(f"{where}.tenant", "a tenant id or absent (all tenants)")
    return Silence(sid, _matchers(raw.get("matchers"), f"{where}.matchers", required=True),
                   starts, ends, tenant, str(raw.get("comment", "")))


def _inhibit(raw: Mapping[str, Any], where: str) -> InhibitRule:
    _only(raw, where, {"name", "source_matchers", "target_matchers", "equal"})
    return InhibitRule(
        _name(raw, where),
        _matchers(raw.get("source_matchers"), f"{where}.source_matchers", required=True),
        _matchers(raw.get("target_matchers"), f"{where}.target_matchers", required=True),
        _labels(raw.get("equal"), f"{where}.equal", required=False))


def _number(raw: Mapping[str, Any], key: str, where: str, default: float) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise RuleError(f"{where}.{key}", f"must be a number in [0, 1], got {value!r}")
    return float(value)


def _similarity(raw: Mapping[str, Any]) -> Similarity:
    where = "similarity"
    _only(raw, where, {"enabled", "window", "threshold", "same", "weights"})
    weights = raw.get("weights") or {}
    _only(weights, f"{where}.weights", {"host", "service", "template", "mention"})
    d = Similarity()
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise RuleError(f"{where}.enabled", "must be true or false")
    threshold = _number(raw, "threshold", where, d.threshold)
    if threshold == 0:
        raise RuleError(f"{where}.threshold", "must be > 0 (0 would join everything)")
    return Similarity(
        enabled, parse_duration(raw.get("window", d.window), f"{where}.window"), threshold,
        _labels(raw.get("same", list(d.same)), f"{where}.same", required=False),
        *(_number(weights, k, f"{where}.weights", getattr(d, k))
          for k in ("host", "service", "template", "mention")))


def _lifecycle(raw: Mapping[str, Any]) -> Lifecycle:
    _only(raw, "lifecycle", {"group_interval", "resolve_grace", "quiet_timeout", "alert_ttl"})
    d = Lifecycle()
    return Lifecycle(*(parse_duration(raw.get(k, getattr(d, k)), f"lifecycle.{k}",
                                      allow_zero=k == "resolve_grace")
                       for k in ("group_interval", "resolve_grace", "quiet_timeout",
                                 "alert_ttl")))


def _merge(raw: Mapping[str, Any]) -> Merge:
    _only(raw, "merge", {"enabled", "window"})
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise RuleError("merge.enabled", "must be true or false")
    return Merge(enabled, parse_duration(raw.get("window", Merge().window), "merge.window"))
