"""Held-out correlation scenario B: three companies' IT help desks through one working day.

Noise everywhere (unrelated tickets, hundreds of help sessions an hour, single unrelated alerts)
and 8-14 outages: a service down at one site (sometimes seen by users before monitoring); a site
losing power or uplink (site-only alerts, callers naming no service, help traffic going quiet
there); a slow service with warnings only; alerts nobody complains about; complaints with one
late weak warning; two unrelated outages at once in one tenant; and an outage at "hq" while the
other tenant's "hq" has unrelated tickets about the same service. Truth: what each outage caused.
Ids never leak it (stream-order envelope ids, ticket numbers by creation time, random sessions).
An alert's envelope ``time`` is when it was sent (startsAt, re-sent every ~5 min, endsAt when
resolved), the clock the clustering stage runs on; other events use their ``timestamp``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import NamedTuple

from benchmarks.correlation.truth import Outage, Scenario

T0 = datetime(2026, 3, 3, 7, 0, tzinfo=UTC).timestamp()  # a Tuesday, 07:00 UTC


def _p(s: str) -> tuple[str, ...]:
    return tuple(s.split("|"))


class _Svc(NamedTuple):
    prefix: str  # in host names
    disp: str  # what users call it
    alert: str  # alertname stem
    down: tuple[str, ...]  # users saying it is broken
    slow: tuple[str, ...]  # users saying it is slow
    queries: tuple[str, ...]  # searches when it is broken
    howto: tuple[str, ...]  # everyday questions about it
    kb: tuple[str, ...]  # two troubleshooting articles, then how-to articles


SVC = {k: _Svc(*_p(h), *map(_p, rest[:4]), tuple(f"kb-{k}-{a}" for a in _p(rest[4])))
       for k, h, *rest in (
    ("exchange", "mbx|email|Exchange", "I can't get email on my phone|Outlook just says "
     "Disconnected|my emails are stuck in the outbox|I'm not receiving any emails|webmail shows "
     "an error", "Outlook is painfully slow|emails take ages to arrive", "outlook disconnected|"
     "email not working|outlook trying to connect|mail not syncing on phone|owa error 503",
     "set up an out of office reply|add a shared mailbox", "offline|mobile-sync|ooo|shared"),
    ("vpn", "vpn|the VPN|VpnGateway", "the VPN won't connect|GlobalProtect is stuck on "
     "Connecting|I can't reach any internal system from home|the VPN drops every minute",
     "the VPN is crawling|everything over the VPN takes forever", "vpn not connecting|"
     "globalprotect stuck connecting|remote access down|vpn error 809",
     "install the VPN on a new laptop|use the VPN on a Mac", "troubleshooting|errors|install|mac"),
    ("wifi", "wlc|the wifi|WlanController", "the wifi keeps dropping|there's no wireless in the "
     "meeting rooms|my laptop says connected, no internet|nobody can join the corporate wifi",
     "the wifi is very slow|video calls keep freezing on wifi", "wifi not working|connected no "
     "internet|wifi keeps disconnecting|wireless down", "get a guest wifi code for visitors|"
     "connect my phone to the wifi", "troubleshooting|no-internet|guest|phone"),
    ("erp", "erp|SAP|Erp", "SAP won't let me log in|I can't post goods receipts in SAP|SAP hangs "
     "on the login screen|SAP says system not available", "SAP is extremely slow today|every "
     "transaction in SAP takes a minute", "sap not available|sap login error|sap system down|"
     "goods receipt error", "create a purchase order in SAP|change my SAP printer",
     "login|connection|purchase-order|printing"),
    ("fileshare", "fs|the shared drive|FileServer", "the S: drive has disappeared|I can't open "
     "anything on the shared drive|mapped drives show a red cross", "opening files from the S: "
     "drive takes ages|saving to the shared drive is super slow", "s drive missing|network drive"
     " not available|shared drive access denied|mapped drive red x", "map a network drive|"
     "restore a previous version of a file", "missing|errors|map-drive|versions"),
    ("voip", "cucm|the desk phones|CallManager", "the desk phones are dead|there's no dial tone|"
     "all our phones say Registering|customers say they can't get through to us", "call quality"
     " is terrible|there's a long delay on calls", "desk phone no dial tone|phone registering|"
     "phones not working|calls dropping", "forward my desk phone to my mobile|set up voicemail",
     "registering|no-dial-tone|forward|voicemail"),
    ("citrix", "ctx|Citrix|Citrix", "Citrix won't launch|my virtual desktop is a black screen|"
     "Citrix says no resources available|my Citrix session keeps disconnecting", "Citrix is "
     "really laggy|typing in the virtual desktop lags", "citrix not launching|citrix black "
     "screen|no resources available|citrix disconnected", "install Citrix Workspace at home|"
     "use two monitors in Citrix", "launch|disconnects|install|monitors"),
    ("wms", "wms|the WMS|Wms", "the scanners can't connect to the WMS|the handhelds show Server "
     "unavailable|pick lists aren't coming through|we can't book any deliveries in", "the "
     "scanners hang after every scan|the WMS is very slow", "scanner server unavailable|wms "
     "down|handheld cannot connect|pick list missing", "reset a handheld scanner|reprint a "
     "pallet label", "offline|scanners|reset|labels"),
    ("ehr", "ehr|the patient record system|Ehr", "the patient record system won't open|EHR is "
     "frozen on the login screen|we can't see any patient notes|prescriptions won't save",
     "the patient record system is very slow|notes take a minute to load", "ehr not loading|"
     "patient records down|ehr login frozen|cannot save prescription", "use my smartcard with "
     "EHR|create a note template", "login|offline|smartcard|notes"),
    ("printing", "prt|printing|PrintServer", "nothing comes out of the printers|all print jobs "
     "are stuck in the queue|follow-me printing won't release my jobs", "printing takes ten "
     "minutes per job|print jobs sit in the queue for ages", "printer offline|print queue stuck|"
     "follow me print not releasing|cannot print", "add a printer|scan to email",
     "offline|queue|add-printer|scan"))}

# tenant: mail domain, ticket prefix, help sessions/hour, services, sites (code|where|city|size)
TENANTS = {t: (d, p, r, s.split(), tuple((*_p(x)[:3], int(x[-1])) for x in sites.split(", ")))
           for t, d, p, r, s, sites in (
    ("northwind", "northwind.co.uk", "NW", 130, "exchange vpn wifi erp fileshare voip wms "
     "printing", "hq|head office|Manchester|3, leeds|the Leeds depot|Leeds|2, bristol|the "
     "Bristol warehouse|Bristol|2, glasgow|the Glasgow depot|Glasgow|1, york|the York branch|"
     "York|1"),
    ("contoso-health", "contoso-health.org", "CH", 100, "exchange vpn wifi ehr citrix "
     "fileshare", "hq|the head office|Harbour Street|2, st-marys|St Mary's clinic|St Mary's|3, "
     "riverside|the Riverside clinic|Riverside|2, oakwood-lab|the Oakwood lab|Oakwood|1"),
    ("fabrikam", "fabrikam.fr", "FB", 90, "exchange vpn wifi erp fileshare citrix voip "
     "printing", "paris|the Paris office|Paris|3, lyon|the Lyon plant|Lyon|2, lille|the Lille "
     "plant|Lille|2, nantes|the Nantes hub|Nantes|1, toulouse|the Toulouse office|Toulouse|1, "
     "metz|Metz|Metz|1"))}
FIRST = _p("anna|james|priya|tom|sofia|li|omar|grace|ben|chloe|raj|emma|luca|nina|sam|zoe|ali|"
           "kate|marc|lea|hugo|ines|yusuf|ella")
LAST = _p("smith|khan|brown|patel|martin|dubois|nowak|jones|wright|chen|ali|moreau|garcia|evans|"
          "kelly|lopez|walker|hughes|roux|bernard")
POWER = _p("we've lost power in the building|the lights went out and nothing works|all the PCs "
           "and phones died at once")
UPLINK = _p("nothing is working, no network at all|the internet is down for the whole office|"
            "every system says no connection|we can't reach anything, not even email")
IMPACT = _p("The whole team is affected.|I have a customer call in 20 minutes.|Restarted twice, "
            "no luck.|Colleagues have the same problem.|Is there an outage?|This is blocking our "
            "work.|Please help asap.|Not sure if it's just me.")
STILL = _p("Still down.|Any update? Still not working here.|Still the same, please update.")
BACK = _p("Works again, thanks!|All good now, thank you.|Seems to be back, cheers.")
AGENT = _p("We are aware of a problem with {} and are working on it.|Thanks, we have several "
           "reports and an engineer is on it.|Linked to an ongoing incident, updates to follow.")
BG = [_p(r) for r in (  # subject|text, a site phrase where {w} is|service or -
    "Password reset|I'm locked out after changing my password{w}, can you reset it?|-",
    "Account locked|My account got locked after too many attempts{w}.|-",
    "Printer jammed|The printer by the kitchen{w} jams on every page.|printing",
    "Printer out of toner|The big printer{w} prints blank pages, toner low.|printing",
    "Request: second monitor|Could I get a second monitor for my desk{w}?|-",
    "Headset not working|My headset mic is not detected in Teams{w}.|-",
    "Laptop battery swollen|The battery on my laptop looks swollen, is that safe?|-",
    "New starter on Monday|A new starter joins us{w} on Monday, please set up an account.|-",
    "Install Visio|I need Visio for a project, can it be installed?|-",
    "Access to finance folder|I need read access to the finance folder.|fileshare",
    "MFA on new phone|I got a new phone and need to move my authenticator app.|-")]
GEN_Q = _p("reset password|mfa new phone|expense report|holiday request|payslip|install software|"
           "teams background|book a meeting room|parking permit|onedrive sync|lost badge")
GEN_KB = _p("kb-password-reset|kb-mfa|kb-expenses|kb-leave|kb-software|kb-onedrive|kb-teams")
NOISE = [x.split(";") for x in _p(  # single unrelated alerts: alertname;severity;summary
    "HostOutOfDiskSpace;warning;Disk almost full on {h} (/var {n}% used)|HostHighCpuLoad;warning;"
    "CPU load above 85% on {h}|CertificateExpiringSoon;info;TLS certificate on {h} expires in {n}"
    " days|HostClockSkew;warning;Clock skew detected on {h}|BackupJobFailed;warning;Nightly "
    "backup of {h} failed|RaidArrayDegraded;critical;RAID array degraded on {h}")]
DUR = {"service_down": (25, 120), "slow_mon": (30, 100), "site_down": (20, 90),
       "degraded": (30, 120), "silent": (10, 40), "weak": (30, 100)}  # minutes
Steps = list[tuple[float, dict]]


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _busy(t: float) -> float:
    """Working-day load: quiet before 07:00 and after 19:00 UTC, busiest around 13:00."""
    h = (7 + (t - T0) / 3600) % 24
    return 0.25 if h < 7 or h > 19 else 0.45 + 0.55 * math.sin(math.pi * (h - 7) / 12)


class _Gen:
    def __init__(self, seed: int, hours: float) -> None:
        self.rng, self.seed, self.end = random.Random(seed), seed, T0 + hours * 3600
        self.out: list[tuple[float, int, dict]] = []
        self.owner: dict[int, Outage] = {}  # id(alert event) -> the outage that caused it
        self.tickets: list[tuple[str, Steps, Outage | None]] = []
        self.windows: list[tuple[str, str, str | None, float, float, str]] = []  # + shape
        self.kinds: dict[int, str] = {}  # id(outage) -> shape
        self.outages: list[Outage] = []
        self.sites = {t: {s[0]: s for s in v[4]} for t, v in TENANTS.items()}
        self.people: dict[tuple[str, str], list[str]] = {}
        for t, (dom, *_, sites) in TENANTS.items():
            names = self.rng.sample([f"{f}.{n}" for f in FIRST for n in LAST], 15 * 10)
            for code, *_, size in sites:
                self.people[t, code] = [f"{n}@{dom}" for n in names[:15 * size]]
                names = names[15 * size:]

    def _add(self, tenant: str, typ: str, source: str, t: float, data: dict,
             o: Outage | None = None) -> None:
        ev = {"specversion": "1.0", "id": "", "source": source, "time": _iso(t),
              "tenant_id": tenant, "type": typ, "data": data}
        self.out.append((t, len(self.out), ev))
        if o is not None:
            self.owner[id(ev)] = o

    def _times(self, per_hour: float, lo: float, hi: float,
               shape: Callable[[float], float] = _busy) -> list[float]:
        """A Poisson process of at most ``per_hour`` thinned by ``shape``."""
        out: list[float] = []
        t = lo + self.rng.expovariate(per_hour / 3600)
        while t < hi:
            if self.rng.random() < shape(t):
                out.append(t)
            t += self.rng.expovariate(per_hour / 3600)
        return out

    def _alert(self, o: Outage | None, tenant: str, name: str, sev: str, site: str,
               service: str | None, host: str | None, summary: str, a: float, b: float) -> None:
        """One alert: firing at ``a``, re-sent every ~5 minutes, resolved at ``b``."""
        labels = {"alertname": name, "severity": sev, "site": site}
        if service:
            labels["service"] = service
        if host:
            labels["host"] = host
            labels["instance"] = f"{host}.{tenant}.lan:{9115 if 'Probe' in name else 9100}"
        labels |= {"job": "blackbox" if "Probe" in name else "node" if host else "slo",
                   "env": "prod"}
        data, t = {"labels": labels, "annotations": {"summary": summary}, "startsAt": _iso(a)}, a
        while t < min(b, self.end):
            self._add(tenant, "alert", "alertmanager", t,
                      {"status": "firing"} | data | {"labels": dict(labels)}, o)
            t += self.rng.uniform(270, 330)
        if b <= self.end:
            self._add(tenant, "alert", "alertmanager", b,
                      {"status": "resolved"} | data | {"endsAt": _iso(b)}, o)

    def _step(self, steps: Steps, t: float, action: str, text: str, **extra: str | None) -> None:
        if t <= self.end:
            data = {"action": action, "timestamp": _iso(t)}
            steps.append((t, data | {k: v for k, v in (extra | {"text": text}).items() if v}))

    def _ticket(self, tenant: str, t: float, o: Outage | None, subject: str, text: str,
                **extra: str | None) -> Steps:
        steps: Steps = []
        self._step(steps, t, "created", text, subject=subject, **extra)
        self.tickets.append((tenant, steps, o))
        return steps

    def _session(self, tenant: str, t: float, site: str, svc: str | None,
                 o: Outage | None = None, kind: str = "") -> None:
        """A few help-center interactions; about an outage when ``o`` is given."""
        rng, s = self.rng, SVC.get(svc or "")
        sid = f"{rng.getrandbits(64):016x}"  # random: unique in practice, says nothing
        base = {"session_id": sid}
        if rng.random() < 0.5:
            base["user_id"] = rng.choice(self.people[tenant, site])
        if rng.random() < (0.4 if kind == "site_down" else 0.7 if o else 0.6):
            base["site"] = site
        if s and rng.random() < 0.3:
            base["service"] = svc
        if o is not None:
            pool = s.queries if s else ("internet down", "network outage",
                                        f"power cut {self.sites[tenant][site][2].lower()}")
            qs = [rng.choice(pool) for _ in range(1 + (rng.random() < 0.3))]
            steps = [("search", q, 0 if rng.random() < 0.3 else rng.randint(1, 12)) for q in qs]
            if s and rng.random() < 0.7:
                steps.append(("article_view", rng.choice(s.kb[:2]), None))
                if rng.random() < 0.45:
                    steps.append(("vote", steps[-1][1], "down" if rng.random() < 0.7 else "up"))
            if rng.random() < 0.35:
                steps.append(("chat_question", rng.choice(
                    (f"is {s.disp if s else 'the network'} down?", qs[0])), None))
        else:
            q, kbs = (rng.choice(s.howto).lower(), s.kb[1:]) if s else (rng.choice(GEN_Q), GEN_KB)
            steps = [("search", q, 0 if rng.random() < 0.06 else rng.randint(2, 40))]
            steps += [("article_view", rng.choice(kbs), None) for _ in range(rng.randint(0, 2))]
            if steps[-1][0] == "article_view" and rng.random() < 0.25:
                steps.append(("vote", steps[-1][1], "up" if rng.random() < 0.75 else "down"))
            if rng.random() < 0.1:
                steps.append(("chat_question", f"how do I {q}?", None))
            if rng.random() < 0.3:
                steps = steps[1:] or steps  # came in from a link: no search
        for k, v, x in steps:
            d = base | {"kind": k, "timestamp": _iso(t),
                        "article_id" if k in ("article_view", "vote") else "query": v}
            if x is not None:
                d["result_count" if k == "search" else "vote"] = x
            self._add(tenant, "help.interaction", "helpcenter", t, d)
            t += rng.uniform(4, 100)
        if o is not None:
            o.help_session_ids.append(sid)

    # -- the plan ------------------------------------------------------------------------------
    def _near(self, tenant: str, site: str | None, svc: str | None, a: float, b: float,
              kind: str = "") -> bool:
        """An outage (of shape ``kind``) of this tenant at this site or service overlaps [a, b]."""
        return any(t == tenant and (s == site or (svc and v == svc)) and a <= b2 and a2 <= b
                   and kind in k for t, s, v, a2, b2, k in self.windows)

    def _free(self, tenant: str, site: str, svc: str | None, a: float, b: float) -> bool:
        return not self._near(tenant, site, svc, a - 1800, b + 1800)  # 30 min apart

    def _pick(self, kind: str, tenant: str, site: str | None = None, at: float | None = None,
              svcs: list[str] | None = None) -> Outage | None:
        rng = self.rng
        for _ in range(300):
            st = site or rng.choice(list(self.sites[tenant]))
            svc = None if kind == "site_down" else rng.choice(svcs or TENANTS[tenant][3])
            dur = min(rng.uniform(*DUR[kind.split("@")[0]]) * 60, (self.end - T0) * 0.4)
            a = at + rng.uniform(-600, 600) if at else rng.uniform(T0 + 900, self.end - dur - 900)
            if T0 + 300 < a < self.end - 600 - dur and self._free(tenant, st, svc, a, a + dur):
                self.outages.append(Outage("", tenant, st, svc, a, a + dur))
                self.windows.append((tenant, st, svc, a, a + dur, kind))
                self.kinds[id(self.outages[-1])] = kind
                return self.outages[-1]
        return None

    def plan(self) -> None:
        rng, names = self.rng, list(TENANTS)
        tn = rng.choice(names)  # two unrelated outages at two sites of one tenant, at once
        if o := self._pick(rng.choice(("service_down", "slow_mon")) + "@pair", tn):
            self._pick(rng.choice(("service_down", "degraded")) + "@pair", tn, rng.choice(
                [s for s in self.sites[tn] if s != o.site]), o.start,
                [s for s in TENANTS[tn][3] if s != o.service])
        a, b = rng.sample(["northwind", "contoso-health"], 2)  # both have a site "hq"
        for _ in range(50):
            both = [s for s in TENANTS[a][3] if s in TENANTS[b][3]]
            if not (o := self._pick("service_down@shared-site", a, "hq", None, both)):
                break
            if self._free(b, "hq", None, o.start, o.end):
                self.windows.append((b, "hq", None, o.start, o.end, "reserved"))  # stays clean
                self._trap(b, o)
                break
            self.outages.pop()
            self.windows.pop()
        kinds = ["slow_mon", "site_down", "degraded", "silent", "weak"]  # + 3 above = 8
        kinds += [rng.choice(("service_down", "service_down", "slow_mon", "degraded",
                              "site_down", "silent", "weak")) for _ in range(rng.randint(0, 6))]
        for k in kinds:
            self._pick(k, rng.choice(names))

    def _trap(self, tenant: str, o: Outage) -> None:
        """Unrelated tickets and help at the other tenant's same-named site, same service."""
        rng, how = self.rng, SVC[o.service or "vpn"].howto
        self._ticket(tenant, rng.uniform(o.start, o.end), None, f"How do I {rng.choice(how)}?",
                     "Hi, could someone explain how to do this? Thanks.", site="hq",
                     requester=rng.choice(self.people[tenant, "hq"]), service=o.service,
                     channel="portal", priority="low")
        for _ in range(rng.randint(1, 3)):
            self._bg_ticket(tenant, "hq", rng.uniform(o.start, o.end))
        for t in sorted(rng.uniform(o.start, o.end) for _ in range(rng.randint(2, 5))):
            self._session(tenant, t, "hq", o.service)

    # -- background ----------------------------------------------------------------------------
    def _bg_ticket(self, tenant: str, site: str, t: float) -> None:
        rng, where = self.rng, self.sites[tenant][site][1]
        r, svc = rng.random(), rng.choice(TENANTS[tenant][3])
        if r < 0.2:
            how = rng.choice(SVC[svc].howto)
            subj, text = f"How do I {how}?", f"Hi, how do I {how}{{w}}? Thanks."
        elif r < 0.27:  # one user's own problem with a service that works for everyone else
            if self._near(tenant, None, svc, t - 3600, t + 3600):
                return
            subj = text = _cap(rng.choice(SVC[svc].down)) + "{w}, only me it seems."
        else:
            subj, text, s = rng.choice(BG)
            svc = s if s in TENANTS[tenant][3] else None
        site_field = site if rng.random() < 0.7 else None
        w = f" at {where}" if site_field is None and rng.random() < 0.5 else ""
        steps = self._ticket(tenant, t, None, subj.format(w=""), text.format(w=w),
                             priority=rng.choice(("low", "normal", "normal", "high")),
                             requester=rng.choice(self.people[tenant, site]), site=site_field,
                             service=svc if rng.random() < 0.6 else None,
                             channel=rng.choice(("portal", "email", "email", "phone", "chat")))
        t2 = t + rng.uniform(300, 3600)
        if rng.random() < 0.6:
            self._step(steps, t2, "status_changed", "Assigned to 1st line.", status="in_progress")
        if rng.random() < 0.3:
            self._step(steps, t2 + 60, "commented", "Could you send a screenshot or asset tag?")
        self._step(steps, t2 + rng.uniform(600, 10800), "closed", "Resolved, closing.")

    def background(self) -> None:
        rng = self.rng
        for tn, (_, _, rate, svcs, sites) in TENANTS.items():
            for t in self._times(rate, T0, self.end):
                site = rng.choices(sites, [s[3] for s in sites])[0][0]
                if not self._near(tn, site, None, t, t, "site_down"):  # no network, no browsing
                    self._session(tn, t, site, rng.choice(svcs) if rng.random() < 0.55 else None)
            for code, *_, size in sites:
                for t in self._times(0.7 * size, T0, self.end):
                    if not self._near(tn, code, None, t, t, "site_down") or rng.random() < 0.2:
                        self._bg_ticket(tn, code, t)
            for t in self._times(3, T0, self.end, lambda _: 1.0):
                (code, *_, size), dur = rng.choice(sites), rng.uniform(180, 3600)
                if self._near(tn, code, None, t - 900, t + dur + 900):
                    continue  # nothing unrelated fires at a site in trouble
                (name, sev, summ), svc = rng.choice(NOISE), rng.choice(svcs)
                host = f"{code}-{SVC[svc].prefix}{rng.randint(1, size):02d}"
                self._alert(None, tn, name, sev, code, svc if rng.random() < 0.8 else None,
                            host, summ.format(h=host, n=rng.randint(3, 97)), t, t + dur)

    # -- outages -------------------------------------------------------------------------------
    def _outage_alerts(self, o: Outage, kind: str, lag: float, power: bool) -> None:
        rng, site, a, sv = self.rng, o.site, o.start, o.service
        s, size = SVC.get(sv or ""), self.sites[o.tenant][site][3]
        hosts = [f"{site}-{s.prefix}{i:02d}" for i in range(1, size + 1)] if s else []

        def alert(name: str, sev: str, svc: str | None, host: str | None, summ: str, at: float,
                  until: float = 0.0) -> None:
            self._alert(o, o.tenant, name, sev, site, svc, host, summ, at,
                        until or o.end + rng.uniform(30, 240))

        if kind == "site_down":
            gw = f"{site}-{'ups' if power else 'rtr'}01"
            alert("UPSOnBattery" if power else "WanLinkDown", "warning" if power else "critical",
                  None, gw, f"{gw}: {'mains power lost' if power else 'uplink down'}",
                  a + rng.uniform(20, 60))
            alert("SiteUnreachable", "critical", None, None, f"All probes to {site} failing",
                  a + rng.uniform(120, 300))
            for svc in TENANTS[o.tenant][3]:
                h = f"{site}-{SVC[svc].prefix}01"
                alert("BlackboxProbeFailed", "critical", svc, h, f"Probe of {h} failed",
                      a + rng.uniform(150, 420))
        elif s and kind == "degraded":
            for h in rng.sample(hosts, min(len(hosts), 2)):
                alert(f"{s.alert}LatencyHigh", "warning", sv, h, f"p95 latency of {sv} on {h} "
                      "above 2s", a + rng.uniform(180, 480))
            if rng.random() < 0.6:
                alert("SloBurnRateHigh", "warning", sv, None, f"{sv} latency SLO burning fast",
                      a + rng.uniform(300, 900))
        elif s and kind == "weak":  # one short warning, late: monitoring barely sees it
            h = rng.choice(hosts)
            alert("HighErrorRate", "warning", sv, h, f"{sv} on {h} answers 3% errors", a + lag,
                  a + lag + rng.uniform(480, 1200))
        elif s:
            for i, h in enumerate(hosts[:1] if kind == "silent" else hosts):
                alert("BlackboxProbeFailed", "critical", sv, h, f"Probe of {h} failed",
                      a + lag + i * rng.uniform(0, 240))
            alert(*(("ClusterDegraded", "warning") if kind == "silent" else
                    (f"{s.alert}Down", "critical")), sv, None, f"{sv} at {site} unavailable",
                  a + lag + rng.uniform(30, 300))

    def outage(self, o: Outage) -> None:
        rng, kind, tn, site = self.rng, self.kinds[id(o)].split("@")[0], o.tenant, o.site
        _, where, city, size = self.sites[tn][site]
        s, a, power = SVC.get(o.service or ""), o.start, rng.random() < 0.5
        lag = rng.uniform(600, 1500) if kind in ("slow_mon", "weak") else rng.uniform(60, 180)
        self._outage_alerts(o, kind, lag, power)
        if kind == "silent":
            return
        early = kind in ("slow_mon", "weak", "site_down")  # users notice before monitoring
        first = min(o.end - 300, a + (rng.uniform(90, 360) if early else
                                      lag + rng.uniform(120, 900)))
        lo_hi = {"degraded": (0.7, 2), "weak": (2.5, 5)}.get(kind, (2, 5))
        for i, who in enumerate(rng.sample(self.people[tn, site],
                                           max(1, round(size * rng.uniform(*lo_hi))))):
            t = first if i == 0 else first + (o.end - first) * rng.random() ** 1.6
            if s is None:
                phrase, disp = rng.choice(POWER if power else UPLINK), "the network"
                subj = rng.choice(("No network", "Power cut?", f"Everything down in {city}",
                                   "URGENT nothing working"))
            else:
                phrase, disp = rng.choice(s.slow if kind == "degraded" else s.down), s.disp
                subj = rng.choice((_cap(phrase), f"{_cap(s.disp)} not working",
                                   f"{_cap(s.disp)} down?", f"URGENT: {phrase}"))
            mode = rng.random()  # the site in the field, in the text only, or nowhere
            w = rng.choice((f" here at {where}", f" at {where}", f" in {city}")) if (
                0.4 < mode < 0.9 or rng.random() < 0.3) else ""
            when = rng.choice(("", f" since about {datetime.fromtimestamp(a, UTC):%H:%M}",
                               " suddenly"))
            channel = rng.choice(("phone", "phone", "chat") if s is None else
                                 ("portal", "email", "phone", "chat"))
            hi = "Phoned in:" if channel == "phone" else rng.choice(("Hi,", "Hello,", ""))
            body = f"{phrase if hi[:1] == 'H' else _cap(phrase)}{w}{when}."
            steps = self._ticket(
                tn, t, o, subj, " ".join(x for x in (hi, body, rng.choice(IMPACT)) if x),
                requester=who, site=site if mode < 0.55 else None, channel=channel,
                service=(o.service or rng.choice(TENANTS[tn][3])) if rng.random() < 0.35
                else None, priority=rng.choice(("normal", "high") if kind == "degraded" else
                                               ("normal", "high", "high", "urgent")))
            if i and rng.random() < 0.15:
                self._step(steps, t + rng.uniform(120, 900), "closed",
                           "Merged into the parent ticket for this outage.")
                continue
            if rng.random() < 0.5:
                self._step(steps, t + rng.uniform(120, 900), "commented",
                           rng.choice(AGENT).format(disp))
            if rng.random() < 0.35 and t + 1200 < o.end:
                self._step(steps, rng.uniform(t + 900, o.end), "commented", rng.choice(STILL),
                           requester=who)
            t2 = o.end + rng.uniform(120, 1800)
            if rng.random() < 0.5:
                self._step(steps, t2, "commented", rng.choice(BACK), requester=who)
            self._step(steps, t2 + 120, "status_changed", "Service restored.", status="solved")
            self._step(steps, t2 + rng.uniform(600, 7200), "closed", "Closed after restore.")
        base = TENANTS[tn][2] * size / sum(x[3] for x in TENANTS[tn][4])  # site sessions/hour
        mult = {"site_down": 1.2, "degraded": 2.5, "weak": 8.0}.get(kind, 5.0)
        lo = a + rng.uniform(60, 240)
        for t in self._times(max(base, 6) * mult * rng.uniform(0.8, 1.3), lo, o.end,
                             lambda t: 0.35 + 0.65 * math.exp(-(t - lo) / 1500)):
            self._session(tn, t, site, o.service, o, kind)
        if s is not None:  # the printer still jams during the VPN outage
            for _ in range(rng.randint(1, 2)):
                self._bg_ticket(tn, site, rng.uniform(o.start, o.end))

    def scenario(self) -> Scenario:
        self.plan()
        self.background()
        for o in self.outages:
            self.outage(o)
        for tenant, (_, prefix, *_) in TENANTS.items():
            num = self.rng.randint(20000, 60000)
            for _, steps, o in sorted((x for x in self.tickets if x[0] == tenant),
                                      key=lambda x: x[1][0][0]):
                num += self.rng.randint(1, 3)  # other queues share the numbering
                for t, d in steps:
                    self._add(tenant, "ticket.event", "servicedesk", t,
                              {"ticket_id": f"{prefix}-{num}"} | d)
                if o is not None:
                    o.ticket_ids.append(f"{prefix}-{num}")
        self.out.sort(key=lambda x: (x[0], x[1]))
        events = [ev for t, _, ev in self.out if t <= self.end]
        for i, ev in enumerate(events):
            ev["id"] = f"b{self.seed}-{i:06d}"
            if (o := self.owner.get(id(ev))) is not None:
                o.alert_ids.append(ev["id"])
        self.outages.sort(key=lambda o: o.start)
        for i, o in enumerate(self.outages, 1):
            o.id = f"o{i}"
        return Scenario(events, self.outages)


def generate(seed: int = 1, hours: float = 12.0) -> Scenario:
    """A deterministic mixed stream for ``seed`` over ``hours`` hours, with ground truth."""
    return _Gen(seed, hours).scenario()
