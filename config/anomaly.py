"""Per-metric detector choice and alerting policy, loaded from YAML and validated loudly."""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

DEFAULT_PATH = Path(__file__).with_name("anomaly.yaml")


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    detector: str = "default"
    params: dict[str, Any] = Field(default_factory=dict)
    threshold: float = Field(0.5, gt=0, le=1)
    fire_after: int = Field(2, ge=1)
    clear_below: float = Field(0.3, ge=0, le=1)
    resolve_after: int = Field(5, ge=1)
    learn_first_s: float = Field(86_400.0, ge=0, le=90 * 86_400)
    """Event time a new series is only learned, never judged: a daily cycle must be seen once
    before its evening can be told from an anomaly."""

    @model_validator(mode="after")
    def _hysteresis(self) -> Policy:
        if self.clear_below > self.threshold:
            raise ValueError("clear_below must not be above threshold")
        return self


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    match: str = Field(min_length=1)
    detector: str | None = None
    params: dict[str, Any] | None = None
    threshold: float | None = None
    fire_after: int | None = None
    clear_below: float | None = None
    resolve_after: int | None = None
    learn_first_s: float | None = None


class AnomalyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    default: Policy = Field(default_factory=Policy)
    rules: list[Rule] = Field(default_factory=list)

    def policy_for(self, metric: str) -> Policy:
        for rule in self.rules:
            if fnmatch.fnmatchcase(metric, rule.match):
                overrides = rule.model_dump(exclude={"match"}, exclude_none=True)
                return Policy.model_validate({**self.default.model_dump(), **overrides})
        return self.default

    def policies(self) -> list[Policy]:
        return [self.default, *(self.policy_for(r.match) for r in self.rules)]


class AnomalyConfigError(ValueError):
    pass


def load_anomaly_config(path: Path | None = None, *, check_detectors: bool = True
                        ) -> AnomalyConfig:
    path = path or DEFAULT_PATH
    try:
        data = yaml.safe_load(Path(path).read_text()) or {}
        cfg = AnomalyConfig.model_validate(data)
        # every rule must yield a valid policy (e.g. hysteresis still holds after overrides)
        cfg.policies()
    except (OSError, yaml.YAMLError) as exc:
        raise AnomalyConfigError(f"cannot read {path}: {exc}") from None
    except ValidationError as exc:
        raise AnomalyConfigError(f"{path}: {exc}") from None
    if check_detectors:
        from models.registry import make_detector

        for policy in cfg.policies():
            try:
                make_detector(_name(policy.detector), **policy.params)
            except (KeyError, TypeError, ValueError) as exc:
                raise AnomalyConfigError(f"{path}: detector {policy.detector!r} with params "
                                         f"{policy.params}: {exc}") from None
    return cfg


def _name(detector: str) -> str:
    from models.registry import DEFAULT_DETECTOR

    return DEFAULT_DETECTOR if detector == "default" else detector
