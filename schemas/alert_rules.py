"""The alert rule set (``config/alert_rules.yaml``): one strict schema, consumed as is.

Config accepted but silently ignored is a classic alerting bug (keep #6793), so unknown keys, bad
regexes, bad durations, empty matcher lists and duplicate names all fail validation. The validated
models are what the clustering processor runs: durations are seconds (``"5m"`` or ``300``),
matchers are checked and compiled once, and ``RuleSet.model_validate(mapping)`` builds a rule set
from plain data (``model_dump()`` round-trips).

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
and ``_template`` (the mined text template).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import field
from datetime import datetime
from typing import Annotated, Any, Literal, NamedTuple, Self, get_args, get_origin

from pydantic import (
    AwareDatetime,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.dataclasses import dataclass

_DURATION = re.compile(
    r"^(?=\d)(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$")
_DURATION_UNITS = (604_800.0, 86_400.0, 3_600.0, 60.0, 1.0, 0.001)
_MATCHER = re.compile(r'^\s*([A-Za-z_][\w.]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|(\S*))\s*$')


def parse_duration(value: object, *, allow_zero: bool = False) -> float:
    """Seconds from a number or a Prometheus duration such as ``90s``, ``5m``, ``1h30m``."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"expected a duration, got {value!r}")
    if isinstance(value, str):
        text = value.strip()
        if text == "0":
            seconds = 0.0
        elif text and (m := _DURATION.match(text)):
            seconds = sum(int(g) * unit for g, unit in zip(m.groups(), _DURATION_UNITS,
                                                           strict=True) if g)
        else:
            raise ValueError(f"bad duration {value!r} (use e.g. 30s, 5m, 1h30m)")
    else:
        seconds = float(value)
    if not math.isfinite(seconds) or seconds < 0 or (seconds == 0 and not allow_zero):
        raise ValueError(f"duration must be {'>=' if allow_zero else '>'} 0, got {value!r}")
    return seconds


def _timestamp(value: object) -> object:
    if isinstance(value, int | float):  # epoch numbers are easy to get wrong in YAML: say so
        raise ValueError("expected an ISO 8601 timestamp with a time zone")
    return value


Duration = Annotated[float, BeforeValidator(parse_duration)]
"""Seconds; accepts ``"90s"``, ``"1h30m"`` or a positive number."""
Grace = Annotated[float, BeforeValidator(lambda v: parse_duration(v, allow_zero=True))]
Timestamp = Annotated[AwareDatetime, BeforeValidator(_timestamp)]
Name = Annotated[str, Field(min_length=1, max_length=128)]
Labels = tuple[Name, ...]
Weight = Annotated[float, Field(strict=True, ge=0.0, le=1.0)]
Share = Annotated[float, Field(strict=True, gt=0.0, le=1.0)]
_STRICT = ConfigDict(extra="forbid")


class _Schema:
    """``model_validate``/``model_dump`` as on a ``BaseModel``. The rule classes are pydantic
    dataclasses rather than models because the processor reads their attributes for every alert
    and ``BaseModel``'s ``__getattr__`` hook makes each read about four times slower. For the
    same reason the parsed forms it needs (compiled regex, epoch seconds...) are set once after
    validation as plain attributes in slots of their own (``_derive``, ``_base``), not
    properties: no field, not dumped; pickling re-validates the dump, so they are rebuilt."""

    __slots__ = ()

    @classmethod
    def model_validate(cls, data: Any) -> Self:
        return cls.__pydantic_validator__.validate_python(data)  # type: ignore[attr-defined]

    def model_dump(self, *, mode: Literal["python", "json"] = "python") -> dict[str, Any]:
        return self.__pydantic_serializer__.to_python(self, mode=mode)  # type: ignore[attr-defined]

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self).model_validate, (self.model_dump(),)


def _base(*derived: str) -> type[_Schema]:
    """A ``_Schema`` with slots for attributes set after validation."""
    return type("_Schema", (_Schema,), {"__slots__": derived})


def _derive(obj: object, **attrs: object) -> None:
    for name, value in attrs.items():
        object.__setattr__(obj, name, value)  # as frozen dataclasses do in __init__


@dataclass(frozen=True, kw_only=True, slots=True, config=_STRICT)
class Matcher(_base("regex")):
    """``'severity=~"warning|info"'`` or ``{name, op, value}``; regexes anchored, missing = ""."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z_][\w.]*$")]
    op: Literal["=", "!=", "=~", "!~"] = "="
    value: str = ""

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, raw: Any) -> Any:
        if isinstance(raw, Mapping | Matcher):
            return raw
        if not isinstance(raw, str):
            raise ValueError(f"a matcher is a string or a mapping, got {raw!r}")
        m = _MATCHER.match(raw)
        if m is None:
            raise ValueError(f'bad matcher {raw!r} (use label="v", !=, =~ or !~)')
        value = m.group(3) if m.group(3) is not None else (m.group(4) or "")
        return {"name": m.group(1), "op": m.group(2), "value": re.sub(r"\\(.)", r"\1", value)}

    @model_validator(mode="after")
    def _compile(self) -> Matcher:
        """Sets ``regex``: the compiled pattern for ``=~``/``!~``, else None."""
        regex = None
        if self.op in ("=~", "!~"):
            try:
                regex = re.compile(self.value)
            except re.error as exc:
                raise ValueError(f"bad regex {self.value!r}: {exc}") from exc
        _derive(self, regex=regex)
        return self

    def matches(self, attrs: Mapping[str, str]) -> bool:
        v = attrs.get(self.name, "")
        regex = self.regex
        if regex is not None:
            return (regex.fullmatch(v) is not None) == (self.op == "=~")
        return (v == self.value) == (self.op == "=")

    def __str__(self) -> str:
        return f'{self.name}{self.op}"{self.value}"'


def _all(matchers: tuple[Matcher, ...], attrs: Mapping[str, str]) -> bool:
    return all(m.matches(attrs) for m in matchers)


Matchers = tuple[Matcher, ...]
RequiredMatchers = Annotated[tuple[Matcher, ...], Field(min_length=1)]


@dataclass(frozen=True, kw_only=True, slots=True, config=_STRICT)
class GroupingRule(_Schema):
    name: Name
    matchers: Matchers = ()
    group_by: Annotated[Labels, Field(min_length=1)]
    window: Duration = 600.0

    def key(self, attrs: Mapping[str, str]) -> tuple[str, ...] | None:
        """The group key of an alert, or None when the rule does not apply to it."""
        if self.matchers and not _all(self.matchers, attrs):
            return None
        values = tuple(attrs.get(name, "") for name in self.group_by)
        return None if "" in values else (self.name, *values)


@dataclass(frozen=True, kw_only=True, slots=True, config=_STRICT)
class Weights(_Schema):
    host: Weight = 0.6
    service: Weight = 0.3
    template: Weight = 0.3
    mention: Weight = 0.6


@dataclass(frozen=True, kw_only=True, slots=True, config=_STRICT)
class Similarity(_base("host", "service", "template", "mention")):
    """Cookbook-style fallback: weighted evidence that an alert belongs to an open incident.
    The weights are also attributes (``host``, ``service``, ``template``, ``mention``) for the
    processor's inner loop."""

    enabled: StrictBool = True
    window: Duration = 600.0
    threshold: Share = 0.6
    same: Labels = ("site",)
    weights: Weights = field(default_factory=Weights)

    def __post_init__(self) -> None:
        w = self.weights
        _derive(self, host=w.host, service=w.service, template=w.template, mention=w.mention)


@dataclass(frozen=True, kw_only=True, slots=True, config=_STRICT)
class InhibitRule(_Schema):
    name: Name
    source_matchers: RequiredMatchers
    target_matchers: RequiredMatchers
    equal: Labels = ()

    def is_source(self, attrs: Mapping[str, str]) -> bool:
        return _all(self.source_matchers, attrs)

    def is_target(self, attrs: Mapping[str, str]) -> bool:
        return _all(self.target_matchers, attrs)

    def equal_key(self, attrs: Mapping[str, str]) -> tuple[str, ...]:
        return tuple(attrs.get(name, "") for name in self.equal)


@dataclass(frozen=True, kw_only=True, slots=True, config=_STRICT)
class Silence(_base("span")):
    id: Name
    matchers: RequiredMatchers
    starts_at: Timestamp
    ends_at: Timestamp
    tenant: Name | None = None
    """Absent: every tenant."""
    comment: str = ""
    created_by: str = ""

    @field_validator("ends_at")
    @classmethod
    def _after_start(cls, ends_at: datetime, info: ValidationInfo) -> datetime:
        starts_at = info.data.get("starts_at")
        if starts_at is not None and ends_at <= starts_at:
            raise ValueError("must be after starts_at")
        return ends_at

    def __post_init__(self) -> None:
        """``span``: ``(starts_at, ends_at)`` in epoch seconds, the processor's clock."""
        _derive(self, span=(self.starts_at.timestamp(), self.ends_at.timestamp()))

    def mutes(self, tenant: str, attrs: Mapping[str, str], now: float) -> bool:
        start, end = self.span
        return (start <= now < end and self.tenant in (None, tenant)
                and _all(self.matchers, attrs))


@dataclass(frozen=True, kw_only=True, slots=True, config=_STRICT)
class Merge(_Schema):
    """Folding: an alert linked by rule key or inhibition to two open incidents of its tenant
    joins the larger, and the other is folded into it if it opened within ``window`` (a storm
    that started as two incidents, e.g. a probe failing just before its host is reported down).
    Older incidents are never folded, so an unrelated alert that happened to be there stays
    apart."""

    enabled: StrictBool = True
    window: Duration = 120.0


@dataclass(frozen=True, kw_only=True, slots=True, config=_STRICT)
class Lifecycle(_Schema):
    group_interval: Duration = 30.0
    """Updates of an incident are emitted at most this often (the open version at once)."""
    resolve_grace: Grace = 300.0
    """All members resolved for this long resolves the incident (absorbs flapping); may be 0."""
    quiet_timeout: Duration = 3_600.0
    """No notification about an incident for this long resolves it."""
    alert_ttl: Duration = 86_400.0
    """A fingerprint not heard of for this long is forgotten."""


@dataclass(frozen=True, kw_only=True, slots=True, config=_STRICT)
class RuleSet(_base("inhibit")):
    """The whole rule file. ``inhibit`` is ``inhibit_rules`` under the processor's name."""

    grouping: tuple[GroupingRule, ...] = ()
    similarity: Similarity = field(default_factory=Similarity)
    inhibit_rules: tuple[InhibitRule, ...] = ()
    silences: tuple[Silence, ...] = ()
    lifecycle: Lifecycle = field(default_factory=Lifecycle)
    template_similarity: Share = 0.5
    """Drain merge threshold: share of equal tokens after masking."""
    merge: Merge = field(default_factory=Merge)

    @field_validator("grouping", "inhibit_rules", "silences")
    @classmethod
    def _unique(cls, items: tuple[Any, ...]) -> tuple[Any, ...]:
        names = [x.id if isinstance(x, Silence) else x.name for x in items]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate names {dupes}")
        return items

    def __post_init__(self) -> None:
        _derive(self, inhibit=self.inhibit_rules)


# --- errors ---------------------------------------------------------------------------------


class Problem(NamedTuple):
    field: str
    """Where in the rule set, e.g. ``grouping[1].window``; "" for the file itself."""
    message: str
    line: int | None = None
    """1-based line in the source file, when known."""

    def format(self, source: str | None = None) -> str:
        where = " ".join(x for x in (source, f"line {self.line}" if self.line else None) if x)
        return ": ".join(x for x in (where, self.field, self.message) if x)


class RuleError(ValueError):
    """Why a rule set is wrong, one problem a line (``file line 23: grouping[1].window: ...``);
    ``field`` and ``line`` are those of the first problem, ``problems`` has them all."""

    def __init__(self, problems: Sequence[Problem], source: str | None = None) -> None:
        self.problems = tuple(problems)
        self.source = source
        self.field, self.line = self.problems[0].field, self.problems[0].line
        super().__init__("\n".join(p.format(source) for p in self.problems))

    @classmethod
    def from_validation(cls, exc: ValidationError, source: str | None = None,
                        line_of: Callable[[tuple[int | str, ...]], int | None] | None = None,
                        root: Any = None) -> RuleError:
        """Readable problems from pydantic's: field paths, unknown keys with the allowed ones,
        and the line ``line_of(loc)`` gives."""
        errors = exc.errors()
        problems = []
        for e in errors:
            loc, kind = e["loc"], e["type"]
            if kind == "too_short" and any(len(o["loc"]) > len(loc)
                                           and o["loc"][:len(loc)] == loc for o in errors):
                continue  # pydantic's echo of bad items ("0 items after validation")
            if kind == "value_error":
                message = str(e["ctx"]["error"])
            elif kind in ("extra_forbidden", "unexpected_keyword_argument"):
                allowed = _allowed(loc[:-1], root or RuleSet)
                message = f"unknown key (allowed: {', '.join(allowed)})"
            elif kind == "missing":
                message = "required"
            elif kind in ("tuple_type", "dataclass_type"):
                message = "expected a " + ("list" if kind == "tuple_type" else "mapping")
            elif kind == "too_short" and e["ctx"].get("min_length") == 1:
                message = "must not be empty"
            else:
                message = e["msg"]
            problems.append(Problem(field_path(loc), message, line_of(loc) if line_of else None))
        return cls(problems, source)


def field_path(loc: Sequence[int | str]) -> str:
    """``("grouping", 1, "window")`` -> ``grouping[1].window``."""
    out = ""
    for seg in loc:
        out += f"[{seg}]" if isinstance(seg, int) else (f".{seg}" if out else str(seg))
    return out or "(root)"


def _allowed(loc: Sequence[int | str], root: Any) -> list[str]:
    """The keys the rule class at ``loc`` (from ``root``) takes."""
    kind: Any = root
    for seg in loc:
        if isinstance(seg, str):
            info = kind.__pydantic_fields__.get(seg)
            kind = info.annotation if info else None
            while get_origin(kind) in (tuple, list):
                kind = get_args(kind)[0]
            if not (isinstance(kind, type) and issubclass(kind, _Schema)):
                return []
    return sorted(f.alias or name for name, f in kind.__pydantic_fields__.items())
