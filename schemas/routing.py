"""The notification routing file (``config/notify.yaml``): receivers and a routing tree.

The tree has the shape Alertmanager users know. Every incident version is matched from the
root: a child route whose matchers all fit takes it (and its own children are tried); unless
that child says ``continue: true`` the siblings after it are not tried; when no child fits,
the route itself takes it. ``receiver``, ``group_by``, ``group_wait``, ``group_interval`` and
``repeat_interval`` are inherited from the parent when not set.

What is matched is an incident's labels: ``tenant``, ``kind`` (``incident``;
``user-reported`` for a correlated incident of tickets and help searches with no alert;
``ticket`` for an escalated ticket, told once),
``severity``, ``state`` (``open`` or ``resolved``), ``suppressed`` and ``correlated``
(``true``/``false``: tickets or help searches were joined to it by the correlation stage),
and ``site``, ``service``, ``host``, which an incident may have several of: ``=`` and ``=~``
fit when any value fits, ``!=`` and ``!~`` when no value breaks them, and
a missing label reads as the empty string. ``group_by`` takes the same names plus
``incident`` (its id), the default: one notification thread per incident.

Unknown keys, bad matchers or durations, receivers that do not exist and webhooks without a
URL all fail validation, naming the line (``config.alert_rules.load_yaml_model``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from dataclasses import field
from typing import Annotated, Literal

from pydantic import Field, StrictBool, field_validator, model_validator
from pydantic.dataclasses import dataclass

from schemas.alert_rules import (
    _STRICT,
    Duration,
    Grace,
    Matchers,
    Name,
    _Schema,
)

LABELS = ("tenant", "kind", "severity", "state", "suppressed", "correlated", "site", "service",
          "host")
"""What a matcher or ``group_by`` can name (``group_by`` also takes ``incident``)."""
MULTI = ("site", "service", "host")
_ENV = re.compile(r"^[A-Z_][A-Z0-9_]*$")


@dataclass(frozen=True, kw_only=True, slots=True, config=_STRICT)
class Retry(_Schema):
    """Exponential backoff with jitter: attempt n waits a random time between half and all of
    ``min(max_backoff, initial_backoff * 2**(n-1))``; after ``give_up_after`` the notification
    goes to the DLQ with the last error."""

    initial_backoff: Duration = 0.5
    max_backoff: Duration = 30.0
    give_up_after: Duration = 3600.0


@dataclass(frozen=True, kw_only=True, slots=True, config=_STRICT)
class Receiver(_Schema):
    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
    type: Literal["webhook", "redis", "kafka"]
    url: Annotated[str, Field(pattern=r"^https?://\S+$")] | None = None
    """Webhook only: where to POST."""
    format: Literal["alertmanager", "slack", "json"] = "alertmanager"
    """Webhook body: Alertmanager v4 (incidents as alerts), a Slack message, or the raw
    notification."""
    secret_env: Annotated[str, Field(pattern=_ENV.pattern)] | None = None
    """Name of the environment variable holding the HMAC-SHA256 signing secret (never the
    secret itself in this file)."""
    timeout: Duration = 5.0
    headers: Mapping[str, str] = field(default_factory=dict)
    retry: Retry = field(default_factory=Retry)

    @model_validator(mode="after")
    def _fits_type(self) -> Receiver:
        if self.type == "webhook" and self.url is None:
            raise ValueError(f"receiver {self.name!r}: a webhook needs a url")
        if self.type != "webhook" and (self.url or self.secret_env or self.headers):
            raise ValueError(f"receiver {self.name!r}: url, secret_env and headers are for "
                             "webhooks only")
        return self


def _check_labels(names: tuple[str, ...] | None, extra: tuple[str, ...] = ()) -> None:
    for n in names or ():
        if n not in LABELS + extra:
            raise ValueError(f"unknown label {n!r} (known: {', '.join(LABELS + extra)})")


@dataclass(frozen=True, kw_only=True, slots=True, config=_STRICT)
class Route(_Schema):
    receiver: Name | None = None
    matchers: Matchers = ()
    group_by: tuple[Name, ...] | None = None
    group_wait: Grace | None = None
    group_interval: Duration | None = None
    repeat_interval: Duration | None = None
    continue_: StrictBool = Field(False, alias="continue")
    routes: tuple[Route, ...] = ()

    @field_validator("matchers")
    @classmethod
    def _matcher_labels(cls, v: Matchers) -> Matchers:
        _check_labels(tuple(m.name for m in v))
        return v

    @field_validator("group_by")
    @classmethod
    def _group_labels(cls, v: tuple[str, ...] | None) -> tuple[str, ...] | None:
        _check_labels(v, ("incident",))
        return v


@dataclass(frozen=True, kw_only=True, slots=True, config=_STRICT)
class Routing(_Schema):
    receivers: Annotated[tuple[Receiver, ...], Field(min_length=1)]
    route: Route
    send_resolved: StrictBool = True
    """Tell receivers when every incident of a group they were told about has resolved."""
    send_suppressed: StrictBool = False
    """Notify incidents whose every alert is silenced or inhibited by the alert rules."""

    @model_validator(mode="after")
    def _tree(self) -> Routing:
        names = [r.name for r in self.receivers]
        if dup := sorted({n for n in names if names.count(n) > 1}):
            raise ValueError(f"receiver names must be unique: {', '.join(dup)}")
        root = self.route
        if root.receiver is None:
            raise ValueError("route: the root route needs a receiver (the default)")
        if root.matchers:
            raise ValueError("route: the root route matches everything; put matchers on "
                             "child routes")
        if root.continue_:
            raise ValueError("route: continue has no meaning on the root route")
        for path, r in walk(root):
            if r.receiver is not None and r.receiver not in names:
                raise ValueError(f"{path}: no receiver named {r.receiver!r} "
                                 f"(receivers: {', '.join(names)})")
        return self

    def receiver(self, name: str) -> Receiver:
        return next(r for r in self.receivers if r.name == name)


def walk(route: Route, path: str = "route") -> Iterator[tuple[str, Route]]:
    yield path, route
    for i, child in enumerate(route.routes):
        yield from walk(child, f"{path}.routes[{i}]")


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class Resolved:
    """A route with what it inherits filled in: what the notify processor runs."""

    path: str
    receiver: str
    matchers: Matchers
    group_by: tuple[str, ...]
    group_wait: float
    group_interval: float
    repeat_interval: float
    continue_: bool
    routes: tuple[Resolved, ...]


ROOT_DEFAULTS = {"group_by": ("incident",), "group_wait": 30.0, "group_interval": 300.0,
                 "repeat_interval": 4 * 3600.0}
"""Alertmanager's defaults, with one thread per incident."""


def resolve(route: Route, parent: Resolved | None = None, path: str = "root") -> Resolved:
    def pick(name: str):
        own = getattr(route, name)
        if own is not None:
            return own
        return getattr(parent, name) if parent is not None else ROOT_DEFAULTS[name]

    base = Resolved(path=path, receiver=route.receiver or (parent.receiver if parent else ""),
                    matchers=route.matchers, group_by=pick("group_by"),
                    group_wait=pick("group_wait"), group_interval=pick("group_interval"),
                    repeat_interval=pick("repeat_interval"), continue_=route.continue_,
                    routes=())
    children = tuple(resolve(c, base, f"{path}/{i}") for i, c in enumerate(route.routes))
    object.__setattr__(base, "routes", children)
    return base


def labels_fit(matchers: Matchers, labels: Mapping[str, str | tuple[str, ...]]) -> bool:
    """All matchers fit; multi-valued labels as the module docstring says."""
    for m in matchers:
        value = labels.get(m.name, "")
        if isinstance(value, tuple):
            values = value or ("",)
            positive = m.op in ("=", "=~")
            ok = any(m.matches({m.name: v}) for v in values) if positive else all(
                m.matches({m.name: v}) for v in values)
        else:
            ok = m.matches({m.name: value})
        if not ok:
            return False
    return True


def match(route: Resolved, labels: Mapping[str, str | tuple[str, ...]]) -> list[Resolved]:
    """The routes that take these labels (Alertmanager's order and ``continue``)."""
    if not labels_fit(route.matchers, labels):
        return []
    out: list[Resolved] = []
    for child in route.routes:
        got = match(child, labels)
        if got:
            out.extend(got)
            if not child.continue_:
                break
    return out or [route]
