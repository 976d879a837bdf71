"""A seeded alert-storm scenario with ground truth, shaped like Prometheus + Alertmanager output.

Tenants run sites with the same layout (and, on purpose, the same site and host names, so
identical label sets and fingerprints occur in several tenants). Alerts carry the labels that
node-exporter, blackbox-exporter and service rules emit (alertname, severity, instance, job,
service, site, env) and summary/description annotations with values and hosts, in the style of
the awesome-prometheus-alerts rule collection. Each alert occurrence is received when it starts
firing (after its ``for:``), again every ~5 minutes while it fires (Alertmanager re-sending its
group) and once when it resolves.

Incident shapes: one host failing many checks; one service failing on many hosts; a site power
loss (UPS on battery, then every host and probe down, then the site unreachable); a slow cascade
down a service dependency chain (each alert naming its failing upstream, as latency and error
alerts do); and two unrelated incidents (a host failure and a service failure with no
dependency between them) overlapping in time at one site. Noise: flapping checks (one truth
incident each) and unrelated single alerts, at random times, except that no noise alert starts at
a site while it has no power: a powered-off host exports no metrics, so no CPU, clock or error
rate alert can begin there (Prometheus sees only ``up == 0``; real systems attribute anything else
at that site to the outage, and so would any ground truth).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime

from schemas.events import Alert, AlertEvent

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC).timestamp()
SITE_NAMES = ("fra1", "ams2", "lon1", "nyc3", "sfo2")
TENANTS = ("acme", "globex", "initech", "umbrella")
# role prefix, service, hosts per site, port
ROLES = (("web", "storefront", 6, 8080), ("api", "orders-api", 4, 8081),
         ("pay", "payments", 3, 8443), ("chk", "checkout", 2, 8082), ("db", "postgres", 2, 9187),
         ("cache", "redis", 2, 9121),
         ("mq", "kafka", 3, 9308), ("bk", "backup", 1, 9400), ("mon", "grafana", 1, 3000))
UPSTREAMS = {"storefront": ("orders-api", "checkout"), "orders-api": ("postgres", "redis"),
             "checkout": ("payments",), "payments": ("postgres", "kafka"),
             "postgres": (), "redis": (), "kafka": (), "backup": (), "grafana": ()}
CASCADES = (("postgres", "orders-api", "storefront"), ("postgres", "payments", "checkout"),
            ("redis", "orders-api", "storefront"), ("kafka", "payments", "checkout"))
# alertname: (severity, summary, description); node checks use job="node"
NODE_CHECKS = {
    "HostHighCpuLoad": ("warning", "Host high CPU load (instance {instance})",
                        "CPU load is > 80% on {host}\n  VALUE = {v:.1f}"),
    "HostOutOfMemory": ("warning", "Host out of memory (instance {instance})",
                        "Node memory is filling up (< 10% left) on {host}\n  VALUE = {v:.1f}"),
    "HostOutOfDiskSpace": ("critical", "Host out of disk space (instance {instance})",
                           "Disk is almost full (< 10% left) on {mount}\n  VALUE = {v:.1f}"),
    "HostUnusualDiskWriteLatency": ("warning", "Host unusual disk write latency ({instance})",
                                    "Disk latency is growing (write operations > {v:.0f}ms)"),
    "HostSwapIsFillingUp": ("warning", "Host swap is filling up (instance {instance})",
                            "Swap is filling up (>80%) on {host}\n  VALUE = {v:.1f}"),
    "HostOomKillDetected": ("warning", "Host OOM kill detected (instance {instance})",
                            "OOM kill detected on {host}, {n} processes killed"),
    "HostSystemdServiceCrashed": ("warning", "Host systemd service crashed ({instance})",
                                  "systemd service crashed on {host}: {unit} exited"),
    "HostNetworkReceiveErrors": ("warning", "Host network receive errors (instance {instance})",
                                 "{host} interface eth0 has {v:.1f}% receive errors"),
    "HostClockSkew": ("warning", "Host clock skew (instance {instance})",
                      "Clock skew of {v:.2f}s detected on {host}. Ensure NTP is configured"),
}
SERVICE_CHECKS = {
    "HighErrorRate": ("critical", "High HTTP 5xx error rate on {service}",
                      "{service} on {host} answers {v:.1f}% of requests with 5xx; "
                      "most failing upstream: {upstream}"),
    "HighLatency": ("warning", "High p99 latency on {service}",
                    "p99 latency of {service} on {host} is {v:.2f}s; slowest upstream: {upstream}"),
    "BlackboxProbeFailed": ("critical", "Blackbox probe failed (instance {instance})",
                            "Probe of {instance} failed: connection refused after {v:.0f}ms"),
    "ContainerRestarting": ("warning", "Container restarting ({service} on {host})",
                            "Container {service}-{n} restarted {n} times in 15 minutes"),
}
ROOT_CHECKS = {
    "postgres": {"PostgresqlTooManyConnections": ("warning", "Postgresql too many connections",
                                                  "{host} uses {v:.0f}% of max_connections"),
                 "PostgresqlSlowQueries": ("warning", "Postgresql slow queries on {host}",
                                           "{n} queries running longer than {v:.0f}s")},
    "redis": {"RedisOutOfMemory": ("critical", "Redis out of memory (instance {instance})",
                                   "Redis on {host} is using {v:.1f}% of maxmemory"),
              "RedisTooManyConnections": ("warning", "Redis too many connections",
                                          "{host} has {n} client connections")},
    "kafka": {"KafkaConsumersGroupLag": ("critical", "Kafka consumer group lag on {host}",
                                         "Consumer group lag is {n} messages on {host}"),
              "KafkaTopicsReplicas": ("warning", "Kafka under-replicated partitions",
                                      "{n} partitions under-replicated on {host}")},
}


@dataclass(frozen=True, slots=True)
class Notification:
    at: float
    event: AlertEvent
    truth: str
    shape: str
    occurrence: bool


@dataclass(slots=True)
class Scenario:
    notifications: list[Notification] = field(default_factory=list)
    shapes: dict[str, str] = field(default_factory=dict)
    overlaps: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Host:
    name: str
    service: str
    port: int


class _Gen:
    def __init__(self, seed: int, tenants: int, sites: int, hours: float) -> None:
        self.rng = random.Random(seed)
        self.sc = Scenario()
        self.seq = 0
        self.tenants = TENANTS[:tenants]
        self.sites = sites
        self.span = hours * 3600.0
        self.outages: dict[tuple[str, str], list[tuple[float, float]]] = {}

    def powered(self, tenant: str, site: str, t: float) -> bool:
        """Whether ``site`` has power at ``t`` (noise alerts cannot start where it has none)."""
        return not any(a <= t <= b for a, b in self.outages.get((tenant, site), ()))

    def layout(self, site: str) -> list[Host]:
        return [Host(f"{prefix}-{i:02d}.{site}.example.net", service, port)
                for prefix, service, count, port in ROLES for i in range(1, count + 1)]

    def emit(self, tenant: str, labels: dict[str, str], notes: dict[str, str], onset: float,
             duration: float, truth: str, shape: str) -> float:
        """All notifications of one occurrence; returns when it resolves."""
        rng = self.rng
        at = onset + rng.uniform(5, 75)  # rule `for:` plus evaluation and group_wait
        end = at + duration
        first = True
        while at < end:
            self._add(tenant, "firing", labels, notes, onset, None, at, truth, shape, first)
            first = False
            at += rng.uniform(270, 330)
        self._add(tenant, "resolved", labels, notes, onset, end, end + rng.uniform(0, 30), truth,
                  shape, False)
        return end

    def _add(self, tenant: str, status: str, labels: dict[str, str], notes: dict[str, str],
             onset: float, ends: float | None, at: float, truth: str, shape: str,
             first: bool) -> None:
        self.seq += 1
        alert = Alert(status=status, labels=labels, annotations=notes,
                      starts_at=datetime.fromtimestamp(onset, UTC),
                      ends_at=datetime.fromtimestamp(ends, UTC) if ends else None,
                      generator_url=f"http://prometheus.{labels.get('site', 'x')}:9090/graph")
        event = AlertEvent(id=f"{tenant}-{self.seq}", source="alertmanager", tenant_id=tenant,
                           time=datetime.fromtimestamp(at, UTC), data=alert)
        self.sc.notifications.append(Notification(at, event, truth, shape, first))
        self.sc.shapes.setdefault(truth, shape)

    def alert(self, tenant: str, site: str, host: Host, name: str, onset: float, duration: float,
              truth: str, shape: str, upstream: str | None = None) -> None:
        rng = self.rng
        short = host.name.split(".", 1)[0]
        if name in NODE_CHECKS:
            sev, summ, desc = NODE_CHECKS[name]
            labels = {"instance": f"{host.name}:9100", "job": "node"}
        elif name in SERVICE_CHECKS:
            sev, summ, desc = SERVICE_CHECKS[name]
            instance = (f"https://{host.name}/health" if name == "BlackboxProbeFailed"
                        else f"{host.name}:{host.port}")
            labels = {"instance": instance, "job": "blackbox" if name == "BlackboxProbeFailed"
                      else host.service, "service": host.service}
        else:
            sev, summ, desc = ROOT_CHECKS[host.service][name]
            labels = {"instance": f"{host.name}:{host.port}", "job": host.service,
                      "service": host.service}
        if upstream is None:
            upstream = rng.choice(UPSTREAMS[host.service] or ("none",))
        values = {"instance": labels["instance"], "host": short, "service": host.service,
                  "v": rng.uniform(5, 99), "n": rng.randint(2, 400), "upstream": upstream,
                  "mount": rng.choice(("/", "/var/lib/postgresql", "/data", "/var/log")),
                  "unit": rng.choice(("nginx.service", "node_exporter.service", "cron.service"))}
        labels = {"alertname": name, "severity": sev, **labels, "site": site, "env": "prod"}
        notes = {"summary": summ.format(**values), "description": desc.format(**values)}
        self.emit(tenant, labels, notes, onset, duration, truth, shape)

    def facility(self, tenant: str, site: str, name: str, onset: float, duration: float,
                 truth: str) -> float:
        if name == "SiteUnreachable":
            labels = {"alertname": name, "severity": "critical", "instance":
                      f"gw.{site}.example.net", "job": "blackbox-external"}
            notes = {"summary": f"Site {site} unreachable",
                     "description": f"All external probes to {site} failed for 2 minutes"}
        else:
            labels = {"alertname": name, "severity": "warning" if name == "UPSOnBattery"
                      else "critical", "instance": f"ups-01.{site}.example.net:161",
                      "job": "snmp"}
            notes = {"summary": f"{name} on ups-01.{site}",
                     "description": f"UPS ups-01 reports {name}, runtime left "
                                    f"{self.rng.randint(2, 30)} minutes"}
        labels.update(site=site, env="prod")
        return self.emit(tenant, labels, notes, onset, duration, truth, "site_power_loss")


def generate(seed: int = 7, tenants: int = 3, sites: int = 3, hours: float = 6.0,
             singles_per_site_hour: float = 1.2, flapping_per_site: int = 1) -> Scenario:
    """A reproducible scenario; the same seed gives the same notifications, ids included."""
    g = _Gen(seed, tenants, sites, hours)
    rng = g.rng
    for tenant in g.tenants:
        sites_here = rng.sample(SITE_NAMES, sites)
        shapes = ["host_failure", "service_failure", "site_power_loss", "cascade", "overlap",
                  "host_failure", "service_failure", "cascade"]
        rng.shuffle(shapes)
        # injected incidents at one site are ~2 h apart: ground truth stays unambiguous
        # (the overlap shape is the one deliberate exception); noise overlaps anything
        starts = {site: T0 + rng.uniform(0, 1200) for site in sites_here}
        for n, shape in enumerate(shapes):
            site = sites_here[n % len(sites_here)]
            _inject(g, tenant, site, shape, starts[site], f"{tenant}/{shape}/{n}")
            starts[site] += 6600 + rng.uniform(0, 1200)
        for site in sites_here:
            hosts = g.layout(site)
            for k in range(flapping_per_site):
                _flapping(g, tenant, site, rng.choice(hosts), f"{tenant}/flap/{site}/{k}")
            for k in range(int(singles_per_site_hour * hours)):
                host = rng.choice(hosts)
                name = rng.choice([*NODE_CHECKS, *SERVICE_CHECKS, *ROOT_CHECKS.get(host.service,
                                                                                  {})])
                onset = T0 + rng.uniform(0, g.span - 3600)
                while not g.powered(tenant, site, onset):
                    onset = T0 + rng.uniform(0, g.span - 3600)
                g.alert(tenant, site, host, name, onset, rng.uniform(300, 3600),
                        f"{tenant}/single/{site}/{k}", "single")
    g.sc.notifications.sort(key=lambda x: (x.at, x.event.id))
    return g.sc


def _inject(g: _Gen, tenant: str, site: str, shape: str, t: float, truth: str) -> None:
    rng = g.rng
    hosts = g.layout(site)
    if shape == "host_failure":
        _host_failure(g, tenant, site, rng.choice(hosts), t, truth, shape)
    elif shape == "service_failure":
        _service_failure(g, tenant, site, rng.choice(list(UPSTREAMS)[:4]), t, truth, shape)
    elif shape == "site_power_loss":
        g.facility(tenant, site, "UPSOnBattery", t, 3600, truth)
        g.facility(tenant, site, "UPSBatteryLow", t + rng.uniform(180, 300), 3300, truth)
        down = t + rng.uniform(300, 420)
        back = down
        for h in hosts:
            lost = rng.uniform(2400, 3000)
            back = max(back, _down(g, tenant, site, h, down + rng.uniform(0, 90), lost, truth))
        back = max(back, g.facility(tenant, site, "SiteUnreachable", down + rng.uniform(60, 150),
                                    2700, truth))
        g.outages.setdefault((tenant, site), []).append((down, back))
    elif shape == "cascade":
        chain = rng.choice(CASCADES)
        step = t
        for i, service in enumerate(chain):
            group = [h for h in hosts if h.service == service]
            names = list(ROOT_CHECKS[service]) if i == 0 else ["HighLatency", "HighErrorRate"]
            for h in group:
                for name in rng.sample(names, rng.randint(1, len(names))):
                    g.alert(tenant, site, h, name, step + rng.uniform(0, 120),
                            rng.uniform(1800, 3000), truth, shape,
                            upstream=chain[i - 1] if i else None)
            step += rng.uniform(240, 420)
    else:  # overlap: a host failure and an unrelated service failure at one site, same time
        service = rng.choice(("payments", "storefront", "checkout"))
        related = _closure(service)
        host = rng.choice([h for h in hosts if h.service not in related
                           and service not in _closure(h.service)])
        _host_failure(g, tenant, site, host, t, truth + "a", shape)
        _service_failure(g, tenant, site, service, t + rng.uniform(-60, 120), truth + "b", shape)
        g.sc.overlaps.append((truth + "a", truth + "b"))


def _host_failure(g: _Gen, tenant: str, site: str, host: Host, t: float, truth: str,
                  shape: str) -> None:
    rng = g.rng
    checks = rng.sample([c for c in NODE_CHECKS if c != "HostClockSkew"], rng.randint(3, 5))
    checks += [c for c in ("HighLatency", "ContainerRestarting") if rng.random() < 0.5]
    for name in checks:
        g.alert(tenant, site, host, name, t + rng.uniform(0, 360), rng.uniform(900, 3000),
                truth, shape)


def _service_failure(g: _Gen, tenant: str, site: str, service: str, t: float, truth: str,
                     shape: str) -> None:
    rng = g.rng
    group = [h for h in g.layout(site) if h.service == service]
    names = rng.sample(["HighErrorRate", "HighLatency", "BlackboxProbeFailed"], rng.randint(1, 3))
    for h in group:
        for name in names:
            if rng.random() < 0.85:
                g.alert(tenant, site, h, name, t + rng.uniform(0, 240), rng.uniform(900, 2400),
                        truth, shape)


def _down(g: _Gen, tenant: str, site: str, host: Host, t: float, duration: float,
          truth: str) -> float:
    short = host.name.split(".", 1)[0]
    labels = {"alertname": "InstanceDown", "severity": "critical",
              "instance": f"{host.name}:9100", "job": "node", "site": site, "env": "prod"}
    notes = {"summary": f"Instance {host.name}:9100 down",
             "description": f"{short} of job node has been down for more than 1 minute."}
    end = g.emit(tenant, labels, notes, t, duration, truth, "site_power_loss")
    g.alert(tenant, site, host, "BlackboxProbeFailed", t + g.rng.uniform(0, 60), duration,
            truth, "site_power_loss")
    return end


def _flapping(g: _Gen, tenant: str, site: str, host: Host, truth: str) -> None:
    rng = g.rng
    t = T0 + rng.uniform(0, g.span - 7200)
    labels = {"alertname": "HostClockSkew", "severity": "warning",
              "instance": f"{host.name}:9100", "job": "node", "site": site, "env": "prod"}
    notes = {"summary": f"Host clock skew (instance {host.name}:9100)",
             "description": "Clock skew detected. Ensure NTP is configured correctly"}
    for _ in range(rng.randint(4, 9)):
        duration = rng.uniform(60, 200)
        end = (g.emit(tenant, labels, notes, t, duration, truth, "flapping")
               if g.powered(tenant, site, t) else t + duration)  # powered off: no clock to skew
        t = end + rng.uniform(60, 200)


def _closure(service: str) -> set[str]:
    """A service and everything it depends on, directly or not."""
    out, todo = set(), [service]
    while todo:
        s = todo.pop()
        if s not in out:
            out.add(s)
            todo.extend(UPSTREAMS[s])
    return out
