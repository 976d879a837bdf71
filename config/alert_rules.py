"""The alert rule file (``alert_rules.yaml``): its schema, checked strictly on load.

Config accepted but silently ignored is a classic alerting bug (keep #6793), so unknown keys,
bad regexes, bad durations and empty matcher lists all fail here, with the field's path in the
message. ``AlertRulesConfig.to_mapping()`` is what ``processors.alerts.RuleSet.from_mapping``
compiles (config may not import processors, hence the plain mapping between them).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

DEFAULT_PATH = Path(__file__).with_name("alert_rules.yaml")
_DURATION = re.compile(r"^(?=\d)(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?$")
_MATCHER = re.compile(r'^\s*([A-Za-z_][\w.]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|(\S*))\s*$')


def _duration(value: str) -> str:
    if not _DURATION.match(value) or not value.strip("0wdhms"):
        raise ValueError(f"bad duration {value!r} (use e.g. 30s, 5m, 1h30m)")
    return value


def _matcher(value: str) -> str:
    m = _MATCHER.match(value)
    if m is None:
        raise ValueError(f'bad matcher {value!r} (use label="v", label!="v", =~ or !~)')
    if m.group(2) in ("=~", "!~"):
        try:
            re.compile(m.group(3) if m.group(3) is not None else (m.group(4) or ""))
        except re.error as exc:
            raise ValueError(f"bad regex in matcher {value!r}: {exc}") from exc
    return value


Duration = Annotated[str, AfterValidator(_duration)]
MatcherStr = Annotated[str, AfterValidator(_matcher)]
Name = Annotated[str, Field(min_length=1, max_length=128)]
Weight = Annotated[float, Field(ge=0.0, le=1.0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GroupingRuleConfig(_Strict):
    name: Name
    matchers: list[MatcherStr] = Field(default_factory=list)
    group_by: Annotated[list[Name], Field(min_length=1)]
    window: Duration = "10m"


class WeightsConfig(_Strict):
    host: Weight = 0.6
    service: Weight = 0.3
    template: Weight = 0.3
    mention: Weight = 0.6


class SimilarityConfig(_Strict):
    enabled: bool = True
    window: Duration = "10m"
    threshold: Annotated[float, Field(gt=0.0, le=1.0)] = 0.6
    same: list[Name] = Field(default_factory=lambda: ["site"])
    weights: WeightsConfig = Field(default_factory=WeightsConfig)


class InhibitRuleConfig(_Strict):
    name: Name
    source_matchers: Annotated[list[MatcherStr], Field(min_length=1)]
    target_matchers: Annotated[list[MatcherStr], Field(min_length=1)]
    equal: list[Name] = Field(default_factory=list)


class SilenceConfig(_Strict):
    id: Name
    matchers: Annotated[list[MatcherStr], Field(min_length=1)]
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    tenant: Name | None = None
    comment: str = ""
    created_by: str = ""

    @model_validator(mode="after")
    def _order(self) -> SilenceConfig:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class MergeConfig(_Strict):
    enabled: bool = True
    window: Duration = "2m"


class LifecycleConfig(_Strict):
    group_interval: Duration = "30s"
    resolve_grace: Annotated[str, AfterValidator(
        lambda v: v if v in ("0", "0s") else _duration(v))] = "5m"
    quiet_timeout: Duration = "1h"
    alert_ttl: Duration = "24h"


class AlertRulesConfig(_Strict):
    grouping: list[GroupingRuleConfig] = Field(default_factory=list)
    similarity: SimilarityConfig = Field(default_factory=SimilarityConfig)
    inhibit_rules: list[InhibitRuleConfig] = Field(default_factory=list)
    silences: list[SilenceConfig] = Field(default_factory=list)
    lifecycle: LifecycleConfig = Field(default_factory=LifecycleConfig)
    template_similarity: Annotated[float, Field(gt=0.0, le=1.0)] = 0.5
    merge: MergeConfig = Field(default_factory=MergeConfig)

    @model_validator(mode="after")
    def _unique(self) -> AlertRulesConfig:
        for kind, names in (("grouping", [r.name for r in self.grouping]),
                            ("inhibit_rules", [r.name for r in self.inhibit_rules]),
                            ("silences", [s.id for s in self.silences])):
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                raise ValueError(f"{kind}: duplicate names {dupes}")
        return self

    def to_mapping(self) -> dict[str, Any]:
        """Plain data for ``RuleSet.from_mapping`` (timestamps stay ``datetime``)."""
        return self.model_dump()


def load_alert_rules(path: str | Path = DEFAULT_PATH) -> AlertRulesConfig:
    """Read and validate a rule file; raises ``ValueError`` naming the file and the bad field."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: the top level must be a mapping")
    try:
        return AlertRulesConfig.model_validate(raw)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc
