"""Escalation rules (``config/tickets.yaml``): when a ticket goes to operations now.

Four kinds, each a rule with a name (several rules of a kind may differ in their numbers):

- ``urgency``: a text's urgency is at least ``min_urgency``;
- ``sentiment_worsening``: after at least ``min_texts`` texts, the sentiment score fell by at
  least ``min_drop`` since the first text and the text is negative;
- ``repeat_contact``: the requester wrote ``min_contacts`` texts or more (across tickets)
  within ``window``;
- ``sla_age``: the ticket has been open ``max_age`` without an agent's answer (event time,
  checked on the timer); ``priorities`` narrows it to those priorities.

A rule fires once per ticket, unless ``re_escalate: true`` (then again at most every
``cooldown``). The file is strict: unknown keys, numbers a kind does not use, duplicate names
and bad durations are errors naming the file, line and field
(``config.alert_rules.load_yaml_model``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, StrictBool, model_validator
from pydantic.dataclasses import dataclass

from schemas.alert_rules import _STRICT, Duration, _Schema

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "config" / "tickets.yaml"
Kind = Literal["urgency", "sentiment_worsening", "repeat_contact", "sla_age"]
Priority = Literal["low", "normal", "high", "urgent"]
_PARAMS: dict[str, dict[str, Any]] = {
    "urgency": {"min_urgency": 0.5},
    "sentiment_worsening": {"min_drop": 0.6, "min_texts": 2},
    "repeat_contact": {"min_contacts": 3, "window": 86_400.0},
    "sla_age": {"max_age": 4 * 3600.0, "priorities": ()},
}
"""The numbers each kind takes, with their defaults."""


@dataclass(frozen=True, kw_only=True, slots=True, config=_STRICT)
class Rule(_Schema):
    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
    kind: Kind
    re_escalate: StrictBool = False
    cooldown: Duration | None = None
    """With ``re_escalate``: at most once per this long (default: once per text)."""
    min_urgency: Annotated[float, Field(ge=0.0, le=1.0)] | None = None
    min_drop: Annotated[float, Field(gt=0.0, le=2.0)] | None = None
    min_texts: Annotated[int, Field(ge=2, le=100)] | None = None
    min_contacts: Annotated[int, Field(ge=2, le=1000)] | None = None
    window: Duration | None = None
    max_age: Duration | None = None
    priorities: tuple[Priority, ...] | None = None

    @model_validator(mode="after")
    def _params_fit_kind(self) -> Rule:
        takes = _PARAMS[self.kind]
        for p in ("min_urgency", "min_drop", "min_texts", "min_contacts", "window", "max_age",
                  "priorities"):
            if getattr(self, p) is not None and p not in takes:
                raise ValueError(f"rule {self.name!r}: {p} is not used by kind {self.kind!r} "
                                 f"(it takes {', '.join(takes)})")
        for p, default in takes.items():
            if getattr(self, p) is None:
                object.__setattr__(self, p, default)
        if self.cooldown is not None and not self.re_escalate:
            raise ValueError(f"rule {self.name!r}: cooldown needs re_escalate: true")
        return self


@dataclass(frozen=True, kw_only=True, slots=True, config=_STRICT)
class TicketRules(_Schema):
    rules: tuple[Rule, ...] = ()

    @model_validator(mode="after")
    def _unique(self) -> TicketRules:
        names = [r.name for r in self.rules]
        if dup := sorted({n for n in names if names.count(n) > 1}):
            raise ValueError(f"rule names must be unique: {', '.join(dup)}")
        return self

    def of(self, kind: str) -> list[Rule]:
        return [r for r in self.rules if r.kind == kind]

    @property
    def contact_window(self) -> float:
        """The longest repeat-contact window: how long requester state is kept."""
        return max((r.window or 0.0 for r in self.of("repeat_contact")), default=0.0)


def load_rules(path: str | Path | None = None) -> TicketRules:
    """Read and validate a rule file; a ``RuleError`` names the file, line and field."""
    from config.alert_rules import load_yaml_model

    return load_yaml_model(path or DEFAULT_PATH, TicketRules)


def may_fire(rule: Rule, fired: dict[str, float], now: float, since: float | None = None
             ) -> bool:
    """Once per ticket; a rule that re-escalates fires again after its cooldown, or without
    one for a newer text than the one it last fired for (``since``: that text's time)."""
    last = fired.get(rule.name)
    if last is None:
        return True
    if not rule.re_escalate:
        return False
    if rule.cooldown is not None:
        return now - last >= rule.cooldown
    return last < (now if since is None else since)
