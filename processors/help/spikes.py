"""Help-traffic spikes: sessions about one topic at one site per fixed window, far above the
series' own baseline.

A series is (tenant, site, topic). Its count in a window is the number of distinct sessions
that searched, asked the chatbot or read an article about the topic there, so one person
retrying twenty times counts once. Windows are fixed in event time and close when the tenant's
clock has passed their end by the lateness.

The score is ``CountScore``, a detector with the contract of ``models/base.py`` made for small
counts: how improbable at least this many sessions would be in an ordinary window, i.e. the
Poisson upper tail ``P(N >= n)`` around the series' baseline. Help traffic is burstier than
Poisson, so counts and baseline are first divided by the series' own dispersion (variance over
mean, never below 1: a quasi-Poisson). The tail goes onto the log-likelihood scale of the
project's detectors (``models/likelihood.py``), so ``ALERT_THRESHOLD`` (0.5, about a
1-in-100,000 window) means the same here. The baseline is an exponentially weighted mean that
forgets with ``alpha`` = 0.1 (about ten windows), so a morning ramp is mostly followed, not
flagged; a window's pull on it is clipped at ``clip`` standard deviations, so a spike stays a
spike for a while and a lasting shift is absorbed in about an hour. Daily or weekly
seasonality is not modelled. The registry's ``robust_z`` was tried first and is not used: on a
series that starts with a run of empty windows (every new site or topic) its Huber-clipped
variance is exactly 0, so nothing moves its baseline again and every later count scores alike,
a surge of 50 sessions as a single one; and its score is two-sided and smoothed over 30
samples, where a help spike is one-sided and may last two windows.

A spike opens when a warm series (``warmup`` windows of history, counted from the tenant's
first help interaction, so a brand-new topic has a baseline of zeros) scores at least the
threshold with at least ``min_sessions`` sessions above its expected count; it resolves after
``RESOLVE_AFTER`` calm windows in a row (fewer than ``min_sessions``, or a score under half
the threshold). Empty windows are counted, not scored, while no spike is open, and are learnt
(at most ``ZERO_CAP`` of them) before the series' next busy window: the result is the same
however often the windows are closed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from scipy.special import gammainc

from models.base import Detector, Sample
from processors.help.sessions import SOURCE, at, fit
from processors.help.stage import HelpSettings
from schemas.insights import HelpSpike, HelpSpikeEvent

RESOLVE_AFTER = 2
ZERO_CAP = 100
"""Empty windows learnt in a row at most: after 100, an alpha-0.1 baseline is at zero anyway."""
SAMPLE_SESSIONS, SAMPLE_QUERIES = 20, 10
FLOOR = 0.05
"""Smallest baseline, in sessions per window: an empty history is not certainty."""
_LOG_FLOOR = math.log(1e-10)


class CountScore(Detector):
    """Quasi-Poisson upper tail of a window count on a slow, clipped baseline (module doc)."""

    def __init__(self, warmup: int = 12, alpha: float = 0.1, clip: float = 3.0) -> None:
        self.warmup = warmup
        self.alpha = alpha
        self.clip = clip
        self.n = 0
        self.mean = 0.0
        self.var = 0.0

    def expected(self) -> float:
        return self.mean

    def dispersion(self) -> float:
        return max(1.0, self.var / max(self.mean, FLOOR))

    def score_one(self, x: Sample) -> float:
        lam = max(self.mean, FLOOR)
        if self.n < self.warmup or x.value <= lam:
            return 0.0
        phi = self.dispersion()
        tail = float(gammainc(x.value / phi, lam / phi))  # P(N >= n), N ~ Poisson(lam)
        return 1.0 if tail <= 1e-10 else min(1.0, math.log(tail) / _LOG_FLOOR)

    def learn_one(self, x: Sample) -> None:
        self.n += 1
        a = max(self.alpha, 1.0 / self.n)
        d = x.value - self.mean
        if self.n > 1:
            lim = self.clip * math.sqrt(max(self.var, self.mean, 1.0))
            d = max(-lim, min(lim, d))
        self.mean += a * d
        self.var = (1.0 - a) * (self.var + a * d * d)


@dataclass(frozen=True, slots=True)
class SpikeRules:
    """Made from the stage's settings (``HelpSettings``), the one place of their defaults."""

    window_s: int
    min_sessions: int
    threshold: float
    warmup: int
    ttl_s: float

    @classmethod
    def of(cls, s: HelpSettings) -> SpikeRules:
        return cls(s.spike_window_s, s.spike_min_sessions, s.spike_threshold,
                   s.spike_warmup_windows, s.series_ttl_s)


@dataclass(slots=True)
class Window:
    sessions: set[str] = field(default_factory=set)
    queries: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Spike:
    spike_id: str
    onset: float
    expected: float
    peak: int
    score: float
    calm: int = 0
    sessions: list[str] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)

    def collect(self, win: Window | None) -> None:
        if win is None:
            return
        for s in sorted(win.sessions):
            if len(self.sessions) < SAMPLE_SESSIONS and len(s) <= 256 and s not in self.sessions:
                self.sessions.append(s)
        for q in win.queries:
            if len(self.queries) < SAMPLE_QUERIES and q not in self.queries:
                self.queries.append(q)


@dataclass(slots=True)
class Series:
    """One (tenant, site, topic): its open windows, baseline and open spike."""

    tenant: str
    site: str
    topic: str
    score: CountScore
    fed_to: float
    """Windows starting before this are closed (counted or learnt)."""
    last_active: float
    zeros: int = 0
    """Closed empty windows not learnt yet."""
    windows: dict[float, Window] = field(default_factory=dict)
    spike: Spike | None = None

    @classmethod
    def new(cls, tenant: str, site: str, topic: str, history: float, closed_to: float,
            rules: SpikeRules) -> Series:
        """A series first seen now: every window of the tenant since ``history`` (its first
        help window) was empty for it. Those closed already (before ``closed_to``) are its
        prior; the rest are counted as they close, so the total does not depend on when."""
        start = max(history, closed_to)
        prior = int((start - history) // rules.window_s)
        return cls(tenant, site, topic, CountScore(rules.warmup), start, start, zeros=prior)

    def add(self, w: float, session: str, query: str | None) -> None:
        win = self.windows.setdefault(w, Window())
        win.sessions.add(session)
        if query and len(win.queries) < SAMPLE_QUERIES and query not in win.queries:
            win.queries.append(query)

    def advance(self, limit: float, rules: SpikeRules) -> list[HelpSpikeEvent]:
        """Close every window that starts before ``limit``, in order."""
        out: list[HelpSpikeEvent] = []
        for w in sorted(k for k in self.windows if k < limit):
            out += self._empty_until(w, rules)
            out += self._close(w, self.windows.pop(w), rules)
            self.fed_to = max(self.fed_to, w + rules.window_s)  # (one from before the series)
        out += self._empty_until(limit, rules)
        return out

    def expired(self, limit: float, rules: SpikeRules) -> bool:
        return (self.spike is None and not self.windows
                and self.last_active + rules.ttl_s <= limit)

    def _empty_until(self, until: float, rules: SpikeRules) -> list[HelpSpikeEvent]:
        out: list[HelpSpikeEvent] = []
        while self.spike is not None and self.fed_to < until:  # an open spike sees each one
            out += self._close(self.fed_to, None, rules)
            self.fed_to += rules.window_s
        if self.fed_to < until:
            self.zeros += int((until - self.fed_to) // rules.window_s)
            self.fed_to = until
        return out

    def _close(self, w: float, win: Window | None, rules: SpikeRules) -> list[HelpSpikeEvent]:
        n = len(win.sessions) if win else 0
        if n:
            for _ in range(min(self.zeros, ZERO_CAP)):
                self.score.learn_one(Sample(0.0, at(w)))
            self.zeros = 0
            self.last_active = w
        x = Sample(float(n), at(w))
        score, expected = self.score.score_one(x), self.score.expected()
        self.score.learn_one(x)
        spike, out = self.spike, []
        if spike is None:
            if n >= rules.min_sessions and score >= rules.threshold and n > expected:
                spike = self.spike = Spike(self._spike_id(w), w, expected, n, score)
                spike.collect(win)
                out.append(self._event(spike, "open", w + rules.window_s, n, score, rules))
            return out
        if n < rules.min_sessions or score < rules.threshold / 2:
            spike.calm += 1
        else:
            spike.calm = 0
            spike.peak, spike.score = max(spike.peak, n), max(spike.score, score)
            spike.collect(win)
        if spike.calm >= RESOLVE_AFTER:
            self.spike = None
            out.append(self._event(spike, "resolved", w + rules.window_s, spike.peak,
                                   spike.score, rules))
        return out

    def _spike_id(self, onset: float) -> str:
        return f"{self.tenant}|{fit(self.site, 200)}|{fit(self.topic, 100)}|{onset:.0f}"

    def _event(self, spike: Spike, state: str, time: float, count: int, score: float,
               rules: SpikeRules) -> HelpSpikeEvent:
        data = HelpSpike(
            spike_id=spike.spike_id, site=self.site or None, topic=self.topic,
            window_start=at(spike.onset), window_s=rules.window_s, count=count,
            expected=round(spike.expected, 3), score=round(min(max(score, 0.0), 1.0), 4),
            state=state, sessions=spike.sessions, queries=spike.queries)  # type: ignore[arg-type]
        return HelpSpikeEvent(id=f"{spike.spike_id}:{state}", source=SOURCE, time=at(time),
                              tenant_id=self.tenant, data=data)
