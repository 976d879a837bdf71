"""Generator A: seeded outages with the alerts, tickets and help-center traffic they cause,
among everyday tickets and searches, with ground truth (the one the correlation was tuned on).

Two tenants run sites with partly the same names (``par1`` and ``lon1`` in both). Per tenant,
outages of six shapes, cycled in a seeded order:

- ``service``: a service breaks at a site: its alerts, then tickets (some urgent, some naming
  the site only in their text or not at all, some with follow-ups) and help searches there;
- ``users_first``: the same, but monitoring notices 8-20 minutes after the users do;
- ``site_power``: a site loses power: UPS and power alerts, hosts of many services down; users
  write "nothing works" rather than a service name;
- ``degraded``: warning alerts only, a ticket or three, a few searches;
- ``silent``: alerts that nobody complains about;
- ``no_alert``: users complain (urgent tickets, a burst of searches), no alert fires.

Everywhere and all the time: everyday tickets (printers, access requests, and some on the
same subjects as outages, e.g. "how do I set up VPN"), everyday help searches, noise alerts of
unrelated services, and once per tenant a harmless burst of "change password" searches. During
every outage with tickets, one or two everyday tickets come from the affected site and one
same-subject how-to ticket from another site; the other tenant gets a ticket on the same
subject at the same-named site.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

from benchmarks.correlation.gen_a_catalog import (
    EVERYDAY,
    EVERYDAY_QUERIES,
    FOLLOW_UPS,
    NOISE_ALERTS,
    NOISE_SERVICES,
    PLACES,
    POWER,
    SERVICES,
    Service,
)
from benchmarks.correlation.truth import Outage, Scenario

T0 = datetime(2026, 11, 23, 7, 0, tzinfo=UTC).timestamp()
TENANTS = {"acme": ("par1", "lon1", "fra1", "nyc1"), "globex": ("par1", "lon1", "sgp1", "mad1")}
SHAPES = ("service", "users_first", "site_power", "degraded", "silent", "no_alert")


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")


def _clock(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%H:%M")


class _Gen:
    def __init__(self, seed: int, hours: float) -> None:
        self.rng = random.Random(seed)
        self.span = hours * 3600.0
        self.events: list[tuple[float, dict]] = []
        self.outages: list[Outage] = []
        self.seq = 0
        self.tickets = 0
        self.sessions = 0
        self.subject: dict[str, str] = {}
        """Outage id -> its SERVICES key."""

    def _env(self, etype: str, tenant: str, data: dict, at: float, prefix: str) -> str:
        self.seq += 1
        eid = f"{prefix}-{tenant}-{self.seq}"
        self.events.append((at, {"specversion": "1.0", "id": eid, "source": "gen-a",
                                 "type": etype, "time": _iso(at), "tenant_id": tenant,
                                 "data": data}))
        return eid

    # -- signals -------------------------------------------------------------------------------
    def alert(self, tenant: str, site: str, service: str, host: str, name: str, severity: str,
              summary: str, onset: float, end: float) -> list[str]:
        """Every notification of one alert: firing, re-sent every ~5 min, resolved."""
        labels = {"alertname": name, "severity": severity, "site": site, "service": service,
                  "host": host}
        notes = {"summary": summary.format(host=host), "description": f"{name} at {site}"}
        ids = []
        at = onset + self.rng.uniform(30, 90)
        while at < end:
            ids.append(self._env("alert", tenant, {"status": "firing", "labels": labels,
                                                   "annotations": notes,
                                                   "startsAt": _iso(onset)}, at, "a"))
            at += self.rng.uniform(270, 330)
        done = end + self.rng.uniform(0, 120)
        ids.append(self._env("alert", tenant, {"status": "resolved", "labels": labels,
                                               "annotations": notes, "startsAt": _iso(onset),
                                               "endsAt": _iso(done)}, done, "a"))
        return ids

    def ticket(self, tenant: str, site: str, subject: str, text: str, at: float, *,
               priority: str = "normal", service: str = "", follow_up: float | None = None,
               close_at: float | None = None) -> str:
        rng = self.rng
        self.tickets += 1
        tid = f"{tenant[:2].upper()}-{1000 + self.tickets}"
        mode = rng.random()
        data = {"ticket_id": tid, "action": "created", "timestamp": _iso(at),
                "subject": subject, "text": text, "priority": priority,
                "requester": f"u{rng.randint(1, 400)}@{tenant}.example"}
        if mode < 0.6:
            data["site"] = site
        elif mode < 0.8:
            data["text"] = f"{text} (site {site.upper() if rng.random() < 0.5 else site})"
        if service and rng.random() < 0.4:
            data["service"] = service
        self._env("ticket.event", tenant, data, at, "t")
        if follow_up is not None:
            self._env("ticket.event", tenant, {"ticket_id": tid, "action": "commented",
                                               "timestamp": _iso(follow_up),
                                               "text": rng.choice(FOLLOW_UPS)}, follow_up, "t")
        if close_at is not None:
            self._env("ticket.event", tenant, {"ticket_id": tid, "action": "closed",
                                               "timestamp": _iso(close_at),
                                               "text": "Works again, thanks."}, close_at, "t")
        return tid

    def session(self, tenant: str, site: str, at: float, queries: tuple[str, ...],
                articles: tuple[str, ...], *, failing: bool = False) -> str:
        rng = self.rng
        self.sessions += 1
        sid = f"s-{tenant}-{self.sessions}"
        user = f"u{rng.randint(1, 400)}@{tenant}.example" if rng.random() < 0.7 else None
        base = {"session_id": sid, "site": site, **({"user_id": user} if user else {})}
        t = at
        for _ in range(rng.randint(1, 3)):
            r = rng.random()
            if r < 0.5:
                data = {"kind": "search", "query": rng.choice(queries),
                        "result_count": 0 if failing and rng.random() < 0.6
                        else rng.randint(1, 12)}
            elif r < 0.8:
                data = {"kind": "article_view", "article_id": rng.choice(articles)}
            else:
                data = {"kind": "chat_question", "query": rng.choice(queries)}
            self._env("help.interaction", tenant, {**base, **data, "timestamp": _iso(t)}, t, "h")
            t += rng.uniform(10, 120)
        return sid

    # -- outages -------------------------------------------------------------------------------
    def outage(self, tenant: str, site: str, shape: str, start: float, n: int) -> Outage:
        rng = self.rng
        key = rng.choice(sorted(SERVICES))
        svc = POWER if shape == "site_power" else SERVICES[key]
        dur = rng.uniform(40 if shape == "users_first" else 20, 90) * 60
        o = Outage(f"{tenant}/{shape}/{n}", tenant, site,
                   None if shape == "site_power" else svc.name, start, start + dur)
        if shape != "no_alert":
            self._outage_alerts(o, svc, shape)
        counts = {"service": (3, 10), "users_first": (3, 8), "site_power": (4, 10),
                  "degraded": (1, 3), "silent": (0, 0), "no_alert": (4, 8)}[shape]
        first = start + (rng.uniform(60, 300) if shape in ("users_first", "no_alert")
                         else rng.uniform(120, 480) + (o.start - start))
        for i in range(rng.randint(*counts)):
            at = first if i == 0 else min(first + rng.expovariate(1 / 600), o.end + 900)
            urgent = shape != "degraded" and (rng.random() < 0.3 or (
                shape == "no_alert" and i < 2))
            priority = "urgent" if urgent else rng.choice(("high", "normal", "normal"))
            text = rng.choice(svc.texts).format(place=PLACES[site], clock=_clock(o.start))
            o.ticket_ids.append(self.ticket(
                tenant, site, rng.choice(svc.subjects), text, at, priority=priority,
                service=svc.ticket_service,
                follow_up=at + rng.uniform(300, 1500) if rng.random() < 0.35 else None,
                close_at=o.end + rng.uniform(600, 3600) if rng.random() < 0.5 else None))
        # people search when it breaks: most sessions in its first quarter of an hour
        sessions = {"service": (20, 60), "users_first": (20, 60), "site_power": (8, 20),
                    "degraded": (5, 12), "silent": (0, 0), "no_alert": (20, 50)}[shape]
        for _ in range(rng.randint(*sessions)):
            at = start + min(rng.expovariate(1 / 480), 0.8 * dur)
            o.help_session_ids.append(self.session(tenant, site, at, svc.queries, svc.articles,
                                                   failing=True))
        self.outages.append(o)
        self.subject[o.id] = key
        return o

    def _outage_alerts(self, o: Outage, svc: Service, shape: str) -> None:
        rng = self.rng
        onset = o.start + (rng.uniform(480, 1200) if shape == "users_first" else 0.0)
        o.start = min(o.start, onset)
        hosts = [f"{o.site}-{svc.hosts}-{i:02d}" for i in range(1, rng.randint(2, 4))]
        alerts = svc.alerts
        if shape == "degraded":
            alerts = tuple(a for a in alerts if a[1] == "warning") or alerts[-1:]
        for name, severity, summary in alerts:
            for host in hosts if name != "SitePowerLoss" else hosts[:1]:
                at = onset + rng.uniform(0, 240)
                o.alert_ids += self.alert(o.tenant, o.site, svc.name, host, name, severity,
                                          summary, at, o.end + rng.uniform(-120, 120))
        if shape == "site_power":
            names = sorted(SERVICES)
            for i in range(rng.randint(6, 10)):
                other = SERVICES[names[i % len(names)]]
                host = f"{o.site}-{other.hosts}-{i:02d}"
                o.alert_ids += self.alert(o.tenant, o.site, other.name, host, "InstanceDown",
                                          "critical", "{host} down", onset + rng.uniform(30, 200),
                                          o.end + rng.uniform(0, 300))

    def _busy(self, tenant: str, site: str, t: float) -> bool:
        """Whether ``site`` of ``tenant`` has an outage within two hours of ``t`` (a ticket
        placed there could truly be about it, so it is no trap)."""
        return any(o.tenant == tenant and o.site == site and o.start - 7200 <= t <= o.end + 7200
                   for o in self.outages)

    def traps(self, o: Outage) -> None:
        """Unrelated tickets that look related: same site (other subject), same subject
        (other site), and the other tenant's same-named site."""
        rng, key = self.rng, self.subject[o.id]
        mid = (o.start + o.end) / 2
        for _ in range(rng.randint(1, 2)):
            subject, text, service = rng.choice([e for e in EVERYDAY if e[2] != key])
            self.ticket(o.tenant, o.site, subject, text, rng.uniform(o.start, o.end + 600),
                        service=service)
        same = [e for e in EVERYDAY if e[2] == key]
        other = rng.choice([s for s in TENANTS[o.tenant] if s != o.site])
        if same and not self._busy(o.tenant, other, mid):
            subject, text, service = rng.choice(same)
            self.ticket(o.tenant, other, subject, text, mid, service=service)
        twin = "globex" if o.tenant == "acme" else "acme"
        svc = SERVICES.get(key)
        if (o.site in TENANTS[twin] and svc is not None and o.service is not None
                and not self._busy(twin, o.site, mid)):
            self.ticket(twin, o.site, svc.subjects[0], "Is it just me? Seems fine again now.",
                        mid, priority="normal", service=svc.ticket_service)

    # -- background ----------------------------------------------------------------------------
    def background(self, tenant: str) -> None:
        rng, sites = self.rng, TENANTS[tenant]
        t = T0
        while (t := t + rng.expovariate(6 / 3600)) < T0 + self.span:
            subject, text, service = rng.choice(EVERYDAY)
            prio = "high" if rng.random() < 0.15 else rng.choice(("low", "normal", "normal"))
            self.ticket(tenant, rng.choice(sites), subject, text, t, priority=prio,
                        service=service)
        t = T0
        while (t := t + rng.expovariate(40 / 3600)) < T0 + self.span:
            query, article = rng.choice(EVERYDAY_QUERIES)
            self.session(tenant, rng.choice(sites), t, (query,), (article,))
        t = T0
        while (t := t + rng.expovariate(2 / 3600)) < T0 + self.span:
            name, severity, summary = rng.choice(NOISE_ALERTS)
            site, service = rng.choice(sites), rng.choice(NOISE_SERVICES)
            self.alert(tenant, site, service, f"{site}-{service}-{rng.randint(1, 9):02d}",
                       name, severity, summary, t, t + rng.uniform(300, 2400))
        burst_site, burst = rng.choice(sites), T0 + rng.uniform(0.1, 0.9) * self.span
        for _ in range(rng.randint(15, 25)):
            self.session(tenant, burst_site, burst + rng.uniform(0, 900),
                         ("change password", "password expired"), ("kb-password",))


def generate(seed: int = 1, hours: float = 12.0) -> Scenario:
    """A reproducible scenario: the same seed and hours give the same events, ids included."""
    g = _Gen(seed, hours)
    rng = g.rng
    per_tenant = max(len(SHAPES), round(hours / 2))
    for tenant, sites in TENANTS.items():  # outages first: traps avoid them
        shapes = [SHAPES[i % len(SHAPES)] for i in range(per_tenant)]
        rng.shuffle(shapes)
        slot = g.span / per_tenant
        for n, shape in enumerate(shapes):
            start = T0 + n * slot + rng.uniform(0.05, 0.45) * slot
            g.outage(tenant, rng.choice(sites), shape, start, n)
    for o in list(g.outages):
        if o.ticket_ids:
            g.traps(o)
    for tenant in TENANTS:
        g.background(tenant)
    g.events.sort(key=lambda e: (e[0], e[1]["id"]))
    return Scenario([e for _, e in g.events], g.outages)
