"""A deterministic, realistic mixed stream for demos, tests and benchmarks.

Same seed and end time, same events (ids included), so replaying a demo is idempotent end to end.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import orjson

from schemas.registry import record_key
from schemas.topics import topic_for_type
from schemas.validation import Invalid, parse_event


class Produced(NamedTuple):
    topic: str
    key: bytes
    value: bytes
    valid: bool


TENANTS = {
    "acme": ("par1", "lon2"),
    "globex": ("fra1",),
    "initech": ("nyc1", "sfo2"),
}
SERVICES = ("api", "db", "web")


@dataclass
class Fault:
    tenant: str
    site: str
    host: str
    service: str
    start: datetime
    end: datetime


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


class DemoStream:
    def __init__(self, seed: int = 7, *, hours: float = 24, step_s: int = 300,
                 end: datetime | None = None, source: str = "aiops-demo") -> None:
        end = end or datetime.now(UTC)
        # Align the end to the step and seed with it: a re-run in the same step regenerates
        # the same events (same ids, so sinks dedupe), a later run gets fresh ids.
        self.end = datetime.fromtimestamp(end.timestamp() // step_s * step_s, UTC)
        self.rng = random.Random(f"{seed}/{self.end.isoformat()}")
        self.hours = hours
        self.step_s = step_s
        self.start = self.end - timedelta(hours=hours)
        self.source = source
        self.seed_text = f"{seed}/{self.end.isoformat()}"
        self._helpdesk_events: list[Produced] | None = None
        self._next_id: Callable[[], str] | None = None
        self.faults = self._faults()

    def _id(self) -> str:
        if self._next_id is not None:  # the help-desk part draws from its own random stream
            return self._next_id()
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _event(self, etype: str, tenant: str, data: dict, when: datetime) -> Produced:
        body = {"specversion": "1.0", "id": self._id(), "source": self.source, "type": etype,
                "time": _iso(when), "tenant_id": tenant, "schema_version": 1, "data": data}
        value = orjson.dumps(body)
        event = parse_event(value)
        if isinstance(event, Invalid):
            raise AssertionError(f"demo generated an invalid {etype}: {event.message}")
        # keyed exactly as the gateway keys it (schemas.keys), e.g. alerts by tenant alone
        return Produced(topic_for_type(etype).name, record_key(event), value, True)

    def _faults(self) -> list[Fault]:
        faults = []
        services = random.Random(f"{self.seed_text}/services")  # the other draws stay as they were
        for tenant, sites in TENANTS.items():
            site = self.rng.choice(sites)
            at = self.start + timedelta(hours=self.hours * self.rng.uniform(0.3, 0.9))
            service = services.choice(SERVICES)
            faults.append(Fault(tenant, site, f"{site}-{service}-{self.rng.randint(1, 3)}",
                                service, at, at + timedelta(minutes=self.rng.randint(20, 60))))
        return faults

    def _fault_at(self, tenant: str, host: str, t: datetime) -> Fault | None:
        for f in self.faults:
            if f.tenant == tenant and f.host == host and f.start <= t < f.end:
                return f
        return None

    def metrics(self) -> Iterator[Produced]:
        steps = int(self.hours * 3600 // self.step_s)
        for i in range(steps):
            t = self.start + timedelta(seconds=i * self.step_s)
            day = math.sin(2 * math.pi * ((t.hour * 60 + t.minute) / 1440 - 0.25))
            for tenant, sites in TENANTS.items():
                for site in sites:
                    for n in range(1, 4):
                        for service in SERVICES:
                            host = f"{site}-{service}-{n}"
                            fault = self._fault_at(tenant, host, t)
                            yield from self._host_samples(tenant, site, service, host, t, day,
                                                          fault)

    def _host_samples(self, tenant, site, service, host, t, day, fault) -> Iterator[Produced]:
        r = self.rng
        cpu = min(1.0, max(0.0, 0.35 + 0.2 * day + r.gauss(0, 0.03)))
        latency = max(0.005, 0.08 + 0.03 * day + r.gauss(0, 0.005))
        if fault:
            cpu, latency = min(1.0, 0.97 + r.gauss(0, 0.01)), latency * r.uniform(8, 15)
        resource = {"service.name": service, "host.name": host, "site": site,
                    "deployment.environment.name": "production", "cloud.region": "eu-west-1"}
        for name, value, unit in (("system.cpu.utilization", cpu, "1"),
                                  ("http.server.request.duration", latency, "s")):
            yield self._event("metric.sample", tenant,
                              {"name": name, "value": round(value, 6), "unit": unit,
                               "timestamp": _iso(t), "resource": resource}, t)

    def alerts(self) -> Iterator[Produced]:
        for f in self.faults:
            for alertname, sev in (("HighCPU", "warning"), ("SlowRequests", "critical")):
                labels = {"alertname": alertname, "severity": sev, "site": f.site,
                          "service": f.service, "host": f.host}
                for status, at in (("firing", f.start + timedelta(minutes=2)),
                                   ("firing", f.start + timedelta(minutes=7)),
                                   ("resolved", f.end + timedelta(minutes=1))):
                    data = {"status": status, "labels": labels,
                            "annotations": {"summary": f"{alertname} on {f.host}"},
                            "startsAt": _iso(f.start + timedelta(minutes=2)),
                            "endsAt": _iso(at) if status == "resolved" else "0001-01-01T00:00:00Z",
                            "generatorURL": f"http://prometheus.{f.site}/graph"}
                    yield self._event("alert", f.tenant, data, at)

    def _helpdesk(self) -> list[Produced]:
        if self._helpdesk_events is None:
            from connectors.demo_helpdesk import HelpdeskStream

            desk = HelpdeskStream(self.seed_text, self.start, self.end, TENANTS, self.faults)
            out = []
            for etype, tenant, data, when in desk.events():
                self._next_id = desk.new_id
                out.append(self._event(etype, tenant, data, when))
            self._next_id = None
            self._helpdesk_events = out
        return self._helpdesk_events

    def tickets(self) -> Iterator[Produced]:
        """Tickets at the faults' sites in people's own words, and the ordinary day's."""
        return iter([e for e in self._helpdesk() if e.topic == "tickets.events"])

    def help(self) -> Iterator[Produced]:
        """Help-center sessions: searches, reads, votes; a surge at each fault's site."""
        return iter([e for e in self._helpdesk() if e.topic == "help.interactions"])

    def invalid(self, n: int) -> Iterator[Produced]:
        """Bad input of every kind, each to a real input topic."""
        r = self.rng
        good = next(self.metrics()).value
        kinds = [
            lambda: b"not json at all {",
            lambda: b"[1, 2, 3]",
            lambda: orjson.dumps({**orjson.loads(good), "type": "metric.bogus"}),
            lambda: orjson.dumps({k: v for k, v in orjson.loads(good).items() if k != "tenant_id"}),
            lambda: orjson.dumps({**orjson.loads(good), "data": {"name": "cpu", "value": "high"}}),
            lambda: orjson.dumps({**orjson.loads(good), "type": "alert"}),
            lambda: b"\xff\xfe binary \x00 garbage",
            lambda: b'{"pad": "' + b"x" * 300_000 + b'"}',
            lambda: good,  # a valid metric, but sent to a topic that does not carry metrics
        ]
        for i in range(n):
            kind = i % len(kinds)
            value = kinds[kind]()
            topics = ["telemetry.alerts", "tickets.events", "help.interactions"]
            if kind != len(kinds) - 1:
                topics.append("telemetry.metrics")
            topic = r.choice(topics)
            yield Produced(topic, f"bad|{i}".encode(), value, False)

    def all(self, invalid_ratio: float = 0.01) -> list[Produced]:
        """Every event in time order, as a live feed replayed would arrive (an alert's
        'resolved' after its 'firing'), with the invalid ones scattered through it."""
        events = [*self.metrics(), *self.alerts(), *self.tickets(), *self.help()]
        events.sort(key=lambda e: orjson.loads(e.value)["time"])
        n_bad = round(len(events) * invalid_ratio / (1 - invalid_ratio))
        for bad in self.invalid(n_bad):
            events.insert(self.rng.randrange(len(events) + 1), bad)
        return events


def mixed_events(n: int, invalid_ratio: float = 0.02, seed: int = 11) -> list[Produced]:
    """Exactly ``n`` events, ``round(n * invalid_ratio)`` of them invalid, all types mixed."""
    stream = DemoStream(seed, hours=48, step_s=300)
    n_bad = round(n * invalid_ratio)
    pool = [*stream.alerts(), *stream.tickets(), *stream.help()]
    metrics = stream.metrics()
    while len(pool) < n - n_bad:
        pool.append(next(metrics))
    events = pool[: n - n_bad] + list(stream.invalid(n_bad))
    stream.rng.shuffle(events)
    return events
