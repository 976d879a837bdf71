"""Scenario generator C for the correlation benchmark: a media house, an airline and a
pharmacy chain with background tickets, help traffic and lone alerts everywhere, plus outages
of several shapes, each listing exactly the alerts, tickets and help sessions it caused.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

from benchmarks.correlation.truth import Outage, Scenario

T0 = 1_710_136_800.0  # 2024-03-11T06:00:00Z
MIN = 60.0


# Per service, two lines: "name|what people call it|clauses people write|alerts when down"
# and "    Spanish|romanised Hindi|alerts when slow".
_SVC_TABLE = """
cms|the CMS|the CMS won't save articles;can't publish in the CMS|CmsApiDown,CmsDbConnRefused
    no podemos publicar en el CMS|CMS mein article save nahi ho raha|CmsSaveLatencyHigh
transcode|video encoding|videos are stuck in processing;uploads never finish|TranscodeWorkersDown
    los videos se quedan procesando|video upload atak gaya hai|TranscodeQueueBacklog
ad-server|ads|ads are not showing on the site;ad slots are blank|AdDecisionErrors5xx
    no salen los anuncios|ads dikh hi nahi rahe|AdDecisionSlow
sso|login|can't log in to anything;the login page just spins|IdpProbeFailing,SamlErrors
    no puedo iniciar sesion|login hi nahi ho raha|IdpTokenLatencyHigh
file-share|the shared drive|the shared drive is gone;can't open files on S:|SmbShareUnavailable
    no abre la unidad compartida|shared drive khul nahi raha|SmbIoLatencyHigh
newsroom-chat|chat|chat messages aren't sending;the newsroom chat is dead|ChatGatewayDown
    el chat no envia mensajes|chat pe message nahi ja raha|ChatDeliveryDelay
email|email|emails aren't arriving;Outlook says disconnected|SmtpRelayDown,MailboxServerUnreachable
    no llegan los correos|mail nahi aa rahe|MailQueueGrowing
booking|the booking screen|the booking screen hangs;can't rebook pax|BookingApiDown,PnrServiceErrors
    la pantalla de reservas se cuelga|booking screen hang ho raha hai|BookingLatencyP99High
checkin|check-in|check-in kiosks show an error;boarding passes won't print|CheckinBackendDown
    los kioscos de check-in dan error|check-in counter pe error aa raha|CheckinSlowResponses
crew-roster|the roster|crew roster won't load;can't see my pairings|RosterSyncFailed
    no carga el roster|roster load nahi ho raha|RosterApiSlow
baggage|baggage scanning|bag tags won't scan;baggage system offline|BagMessageBrokerDown
    no escanea las maletas|bag scanner kaam nahi kar raha|BagMessageLag
voip|the phones|we can't make calls;desk phones have no dial tone|SipTrunkDown,PbxRegistrationsLow
    no podemos hacer llamadas|phone se call nahi lag rahi|SipJitterHigh
crm|the CRM|the CRM times out;customer records won't open|CrmAppDown
    el CRM no responde|CRM timeout de raha hai|CrmQuerySlow
loyalty|miles lookup|can't look up frequent flyer miles;loyalty page errors|LoyaltyApiErrors
    no aparecen las millas|miles check nahi ho rahe|LoyaltyApiSlow
dispensing|the Rx system|can't dispense scripts;Rx screen freezes|RxAppDown,RxDbReplicaDown
    no podemos dispensar recetas|prescription dispense nahi ho raha|DispensingVerifySlow
pos|the tills|the tills won't take cards;checkout is frozen|PosGatewayDown,PaymentAuthFailures
    las cajas no cobran|till pe card payment fail ho raha|PosAuthLatencyHigh
inventory|stock lookup|stock levels show zero for everything;can't check stock|InventorySyncFailed
    el inventario sale en cero|stock check nahi ho raha|InventoryApiSlow
wifi|the wifi|the wifi keeps dropping;no wifi on the shop floor|WlanControllerDown
    el wifi se cae|wifi baar baar chala jata hai|WlanClientRetriesHigh
label-print|label printing|labels won't print;the label printer queue is stuck|LabelSpoolerDown
    no imprimen las etiquetas|label print nahi ho raha|LabelQueueDelay
"""
_rows = _SVC_TABLE.strip().splitlines()
SVC: dict[str, tuple[str, list[str], str, str, list[str], list[str]]] = {}
for _a, _b in zip(_rows[::2], _rows[1::2], strict=True):
    _n, _noun, _cl, _down = _a.split("|")
    _es, _hi, _slow = _b.strip().split("|")
    SVC[_n] = (_noun, _cl.split(";"), _es, _hi, _down.split(","), _slow.split(","))

TENANTS: dict[str, dict] = {
    "harbor-media": {"tk": "HM", "dom": "harbormedia.example",
                     "sites": {"lisbon": "the Lisbon office", "dublin": "Dublin newsroom",
                               "austin": "the Austin studio", "pune": "Pune hub"},
                     "svcs": ["cms", "transcode", "ad-server", "sso", "file-share",
                              "newsroom-chat", "email"]},
    "skylark-air": {"tk": "SKY", "dom": "skylark.example",
                    "sites": {"dublin": "Dublin airport", "madrid": "Madrid hub",
                              "mumbai": "Mumbai station", "denver": "Denver crew base",
                              "gatwick": "Gatwick ops"},
                    "svcs": ["booking", "checkin", "crew-roster", "baggage", "voip", "sso",
                             "crm", "loyalty"]},
    "greenleaf-rx": {"tk": "GL", "dom": "greenleaf.example",
                     "sites": {"store-014": "store 14", "store-102": "store 102",
                               "store-233": "the Riverside store", "dc-north": "the north DC",
                               "hq-leeds": "Leeds head office", "store-301": "store 301"},
                     "svcs": ["dispensing", "pos", "inventory", "voip", "email", "wifi",
                              "label-print"]},
}
SHARED_SITE = "dublin"
_NAMES = ("Ana Priya Tom Li Sofia Raj Marta Kevin Aisha Omar Lucia Chen Nina Arjun Emma Diego "
          "Fatima Jonas Meera Paul Sara Ivan Grace Rohan Elena Sam Hana Luis Zoe Vikram/"
          "Silva Sharma Byrne Wang Garcia Patel Costa Murphy Khan Novak Lopez Iyer Walsh Kim "
          "Ortega Reddy Hughes Moreau Das Kowalski Ferreira Nair Brennan Rossi")
FIRST, LAST = (part.split() for part in _NAMES.split("/"))
HOWTO = ["How do I set up my out-of-office reply?", "Need a second monitor for my desk",
         "My laptop is really slow since yesterday's update", "Printer on floor 2 keeps jamming",
         "Password expired and the reset link never came", "VPN drops every hour from home",
         "Where do I find the expense claim form?", "Please add me to the {svc} admins group",
         "{noun} crashes when I open big files, only on my machine",
         "Keyboard missing keys, can I get a new one?", "New starter next Monday needs accounts",
         "Teams camera not detected", "Como cambio mi firma de correo?",
         "Mera laptop charge nahi ho raha, naya charger chahiye", "{noun} was slow for me "
         "this morning, fine now, just FYI", "Can't find the holiday calendar"]
HELP_Q = ["reset password", "vpn setup", "expense policy", "printer driver", "holiday calendar",
          "out of office", "new starter checklist", "mfa new phone", "shared mailbox access",
          "como solicitar vacaciones", "laptop replace kaise kare", "parking permit"]
ALERT_NOISE = [("DiskSpaceLow", "warning"), ("CertExpiringSoon", "info"),
               ("BackupJobFailed", "warning"), ("CpuSaturation", "warning"),
               ("ContainerRestarting", "warning"), ("ClockSkew", "info"),
               ("MemoryPressure", "warning"), ("ProbeBlip", "critical")]


def _iso(t: float) -> str:
    dt = datetime.fromtimestamp(t, UTC)
    return f"{dt:%Y-%m-%dT%H:%M:%S}.{dt.microsecond // 1000:03d}Z"


class _World:
    def __init__(self, rng: random.Random, hours: float) -> None:
        self.rng, self.t_end = rng, T0 + hours * 3600.0
        self.evs: list[tuple[float, int, dict]] = []
        self.seq = 0
        self.used: set[str] = set()
        self.people: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for ten, cfg in TENANTS.items():
            for site in cfg["sites"]:
                names = [(rng.choice(FIRST), rng.choice(LAST)) for _ in range(16)]
                self.people[ten, site] = [(f"{f} {la}", f"{f}.{la}@{cfg['dom']}".lower())
                                          for f, la in names]

    def uid(self, prefix: str, space: int, fmt: str = "x") -> str:
        """A random id never handed out before (generation order must not leak into ids)."""
        while (v := f"{prefix}{self.rng.randrange(space // 10, space):{fmt}}") in self.used:
            pass
        self.used.add(v)
        return v

    def emit(self, tenant: str, typ: str, src: str, t: float, data: dict) -> str:
        self.seq += 1
        eid = f"c-{typ[:2]}-{self.seq:07d}"
        env = {"specversion": "1.0", "id": eid, "source": src, "time": _iso(t),
               "tenant_id": tenant, "type": typ, "data": data}
        self.evs.append((t, self.seq, env))
        return eid

    def alert(self, tenant: str, labels: dict[str, str], summary: str, start: float,
              end: float) -> list[str]:
        """One alert: re-sent while firing every few minutes, then a resolved copy."""
        rng, ids = self.rng, []
        every = rng.choice([60.0, 120.0, 240.0, 300.0])
        base = {"labels": labels, "annotations": {"summary": summary}, "startsAt": _iso(start)}
        t = max(start, T0) + rng.uniform(5, 40)
        while t < min(end, self.t_end):
            ids.append(self.emit(tenant, "alert", f"alertmanager/{tenant}", t,
                                 {"status": "firing", **base}))
            t += every + rng.uniform(-5, 5)
        if end < self.t_end:
            ids.append(self.emit(tenant, "alert", f"alertmanager/{tenant}", end + rng.uniform(
                1, 30), {"status": "resolved", **base, "endsAt": _iso(end)}))
        return ids

    def host(self, svc: str, site: str) -> str:
        return f"{svc}-{site}-{self.rng.randint(1, 4):02d}"

    def ticket(self, tenant: str, t: float, person: tuple[str, str], subject: str, text: str,
               site: str | None, svc: str | None, prio: str | None,
               thread: list[tuple[float, str, str | None]]) -> str:
        """A ticket created at ``t`` plus its thread of (time, action, text-or-status)."""
        tid = self.uid(f"{TENANTS[tenant]['tk']}-", 10**5, "d")
        src = f"helpdesk/{tenant}"
        d: dict = {"ticket_id": tid, "action": "created", "timestamp": _iso(t),
                   "subject": subject, "text": text, "requester": person[1],
                   "channel": self.rng.choice(["email", "portal", "portal", "phone", "chat"])}
        for k, v in (("priority", prio), ("site", site), ("service", svc)):
            if v is not None:
                d[k] = v
        self.emit(tenant, "ticket.event", src, t + self.rng.uniform(0.5, 8), d)
        for tt, action, body in sorted(thread, key=lambda x: x[0]):
            if tt >= self.t_end:
                break
            e: dict = {"ticket_id": tid, "action": action, "timestamp": _iso(tt),
                       "requester": person[1]}
            if action == "status_changed":
                e["status"] = body
            elif body:
                e["text"] = body
            self.emit(tenant, "ticket.event", src, tt + self.rng.uniform(0.5, 8), e)
        return tid

    def session(self, tenant: str, t: float, queries: list[str], articles: list[str],
                site: str | None, svc: str | None, hits: tuple[int, int]) -> str:
        rng = self.rng
        sid = self.uid("hs-", 2**48)
        user = f"u{rng.randint(1, 99999)}" if rng.random() < 0.6 else None
        steps = rng.choice(["s", "sv", "svv", "svo", "c", "sc", "v", "ssv", "cv"])
        for st in steps:
            d: dict = {"session_id": sid, "timestamp": _iso(t)}
            if st in "sc":
                d.update(kind="search" if st == "s" else "chat_question",
                         query=rng.choice(queries))
                if st == "s":
                    d["result_count"] = rng.randint(*hits)
            else:
                d.update(kind="article_view", article_id=rng.choice(articles))
            for k, v in (("user_id", user), ("site", site), ("service", svc)):
                if v is not None:
                    d[k] = v
            if t < self.t_end:
                self.emit(tenant, "help.interaction", f"helpcenter/{tenant}", t, d)
            if st == "v" and rng.random() < 0.3:
                t += rng.uniform(5, 60)
                self.emit(tenant, "help.interaction", f"helpcenter/{tenant}", t,
                          {**d, "kind": "vote", "vote": rng.choice(["up", "down"])})
            t += rng.uniform(10, 150)
        return sid


def _outage_ticket(w: _World, o: Outage, when: float, person: tuple[str, str],
                   svcs: list[str]) -> None:
    rng, disp = w.rng, TENANTS[o.tenant]["sites"][o.site]
    svc = o.service or rng.choice(svcs)
    noun, clauses, es, hi = SVC[svc][:4]
    lang = rng.choices(["en", "es", "hi"], [0.8, 0.11, 0.09])[0]
    site_mode = rng.choices(["field", "text", "none"], [0.4, 0.35, 0.25])[0]
    where = {"es": f" en {disp}", "hi": f" {disp} mein"}.get(
        lang, rng.choice([f" here at {disp}", f" at {disp}", f" in {disp}"]))
    where = where if site_mode == "text" else ""
    hhmm = datetime.fromtimestamp(when - rng.uniform(0, 600), UTC).strftime("%H:%M")
    if o.service is None and rng.random() < 0.6:
        clause = rng.choice(["nothing works, no network at all", "the power just went out",
                             "everything is offline", "no internet and the phones are dead"])
        subject = rng.choice(["Everything down", "No network!!", "power cut?", "site offline"])
    else:
        clause = rng.choice(clauses)
        subject = rng.choice([f"{noun} not working", f"URGENT - {noun}", f"{noun} down?",
                              f"Problem with {noun}", "help please", "outage?"])
    if lang == "es":
        text = f"Hola, {es}{where} desde las {hhmm}. Pueden revisar? Gracias"
    elif lang == "hi":
        text = f"Hi team, {hi}{where} {hhmm} se. Please jaldi check karo, sab ruka hua hai."
    else:
        c = clause[0].upper() + clause[1:]
        text = rng.choice([f"{c}{where} since around {hhmm}.", f"Is something down? {c}{where}.",
                           f"{c}{where}. Whole team is blocked.",
                           f"Hi, {clause}{where}, customers are waiting. Please fix ASAP",
                           f"{c}{where} - tried restarting, no luck."])
    gone = o.end + rng.uniform(2, 90) * MIN
    thread: list[tuple[float, str, str | None]] = []
    t = when + rng.uniform(3, 15) * MIN
    if rng.random() < 0.7:
        thread.append((t, "status_changed", "in_progress"))
        thread.append((t + 20, "commented", f"We're aware of an issue with {noun} and are "
                                            "investigating. No need to raise more tickets."))
    if rng.random() < 0.5 and t + 10 * MIN < o.end:
        thread.append((t + rng.uniform(5, 15) * MIN, "commented",
                       rng.choice(["Still not working.", "Any update?? still dead here",
                                   "sigue sin funcionar", "abhi bhi nahi chal raha",
                                   "+1, my whole team has the same"])))
    thread.append((max(gone - 5 * MIN, t + 30), "commented",
                   rng.choice(["Working again now, thanks", "Service restored, closing.",
                               "ya funciona, gracias", "ab chal raha hai, thanks"])))
    thread.append((gone, "closed", None))
    prio = rng.choice(["high", "urgent", "normal", None])
    o.ticket_ids.append(w.ticket(o.tenant, when, person, subject, text,
                                 o.site if site_mode == "field" else None,
                                 svc if rng.random() < 0.35 else None, prio, thread))


def _outage_help(w: _World, o: Outage, lo: float, hi: float, per_hour: float,
                 svcs: list[str]) -> None:
    rng, disp = w.rng, TENANTS[o.tenant]["sites"][o.site]
    t = lo
    while True:
        t += rng.expovariate(per_hour / 3600.0)
        if t >= hi or t >= w.t_end:
            return
        svc = o.service or rng.choice(svcs)
        noun, clauses, es, hin = SVC[svc][:4]
        qs = [f"{noun} not working", f"{svc} down", rng.choice(clauses), f"{noun} outage {disp}",
              "status page", es, hin]
        if o.service is None:
            qs += ["no internet", "network down", f"power outage {disp}"]
        arts = [f"kb-{svc}-troubleshoot", "kb-status", f"kb-{svc}-faq", "kb-known-issues"]
        site = o.site if rng.random() < 0.6 else None
        sv = svc if rng.random() < 0.3 else None
        o.help_session_ids.append(w.session(o.tenant, t, qs, arts, site, sv, (0, 4)))


def _alerts_for(w: _World, o: Outage, shape: str) -> None:
    rng, site, end = w.rng, o.site, o.end
    det = o.start + rng.uniform(0.5, 6) * MIN
    if shape == "site_loss":
        cause = rng.choice(["power", "network"])
        name = "UpsOnBattery" if cause == "power" else "SiteUplinkDown"
        o.alert_ids += w.alert(o.tenant, {"alertname": name, "severity": "critical",
                                          "site": site, "host": f"edge-{site}-01"},
                               f"{cause} loss at {site}", det, end + rng.uniform(0, 4) * MIN)
        for svc in rng.sample(TENANTS[o.tenant]["svcs"], rng.randint(2, 4)):
            lab = {"alertname": "TargetUnreachable", "severity": "critical", "site": site,
                   "service": svc, "host": w.host(svc, site)}
            o.alert_ids += w.alert(o.tenant, lab, f"{svc} targets at {site} unreachable",
                                   det + rng.uniform(0, 3) * MIN, end + rng.uniform(1, 8) * MIN)
        return
    assert o.service is not None
    svc = o.service
    if shape == "user_first":
        if rng.random() < 0.5:
            return
        det = o.start + rng.uniform(20, 50) * MIN
        names, sev = SVC[svc][5], "warning"
    elif shape == "degraded":
        names, sev = SVC[svc][5], "warning"
    else:
        names, sev = [*SVC[svc][4], "HttpProbeFailed"], "critical"
    for name in rng.sample(names, rng.randint(1, len(names))):
        lab = {"alertname": name, "severity": sev, "site": site, "service": svc,
               "host": w.host(svc, site)}
        if rng.random() < 0.2:
            del lab["host"]
        s = det + rng.uniform(0, 4) * MIN
        e = min(end, det + 20 * MIN) if shape == "user_first" else end + rng.uniform(0, 5) * MIN
        if s >= e:
            continue
        if rng.random() < 0.25 and e - s > 20 * MIN:  # flaps once mid-way
            mid = s + (e - s) * rng.uniform(0.3, 0.6)
            o.alert_ids += w.alert(o.tenant, lab, f"{name} on {svc} at {site}", s, mid)
            s = mid + rng.uniform(1, 4) * MIN
        o.alert_ids += w.alert(o.tenant, lab, f"{name} on {svc} at {site}", s, e)


SHAPE = {  # shape -> (tickets lo/hi, help multiplier lo/hi, duration minutes lo/hi)
    "svc_down": ((3, 9), (4.0, 8.0), (20, 100)), "site_loss": ((5, 12), (2.0, 4.0), (25, 120)),
    "degraded": ((1, 4), (2.0, 3.0), (30, 150)), "silent": ((0, 0), (0.0, 0.0), (15, 60)),
    "user_first": ((4, 10), (5.0, 9.0), (30, 120)), "shared": ((3, 7), (4.0, 7.0), (25, 90)),
}


def generate(seed: int = 1, hours: float = 12.0) -> Scenario:
    rng = random.Random(seed)
    w = _World(rng, hours)
    span = hours * 3600.0
    help_rate = {t: rng.uniform(40, 120) for t in TENANTS}  # sessions/hour per tenant

    shapes = ["svc_down", "site_loss", "degraded", "silent", "user_first", "twin", "shared"]
    shapes += rng.choices(["svc_down", "svc_down", "degraded", "user_first", "site_loss"],
                          k=rng.randint(1, 6))
    if rng.random() < 0.5:
        shapes.remove("twin")
        shapes.append("twin")
    rng.shuffle(shapes)
    plan: list[tuple[str, str, str, str | None, float, float]] = []
    for shape in shapes:
        for _ in range(40):
            ten = rng.choice(["harbor-media", "skylark-air"] if shape == "shared" else [*TENANTS])
            site = SHARED_SITE if shape == "shared" else rng.choice([*TENANTS[ten]["sites"]])
            kind = "svc_down" if shape == "twin" else shape
            lo, hi = SHAPE["svc_down" if kind == "shared" else kind][2]
            dur = min(rng.uniform(lo, hi) * MIN, 0.3 * span)
            st = T0 + rng.uniform(0.04, 0.9) * span - dur * 0.5
            svc = {"site_loss": None, "shared": "sso"}.get(kind, rng.choice(TENANTS[ten]["svcs"]))
            cand = [(kind, ten, site, svc, st, st + dur)]
            if shape == "twin":
                s2 = site if rng.random() < 0.3 else rng.choice(
                    [x for x in TENANTS[ten]["sites"] if x != site])
                sv2 = rng.choice([x for x in TENANTS[ten]["svcs"] if x != svc])
                st2 = st + rng.uniform(-8, 12) * MIN
                cand.append((rng.choice(["svc_down", "degraded"]), ten, s2, sv2, st2,
                             st2 + dur * rng.uniform(0.6, 1.4)))
            gap = min(30 * MIN, 0.05 * span)
            clash = any((p[1] == c[1] or c[2] == SHARED_SITE) and p[2] == c[2]
                        and p[4] < c[5] + gap and c[4] < p[5] + gap for c in cand for p in plan)
            if not clash:
                plan += cand
                break
    plan.sort(key=lambda p: p[4])

    outages: list[Outage] = []
    for i, (kind, ten, site, svc, st, en) in enumerate(plan):
        o = Outage(f"o{i + 1}", ten, site, svc, st, en)
        outages.append(o)
        _alerts_for(w, o, "svc_down" if kind == "shared" else kind)
        svcs = TENANTS[ten]["svcs"]
        (tlo, thi), (mlo, mhi), _ = SHAPE[kind]
        people = rng.sample(w.people[ten, site], min(rng.randint(tlo, thi), 16))
        delay = rng.uniform(1, 8) if kind != "user_first" else rng.uniform(-2, 3)
        for person in people:
            when = st + (delay + rng.expovariate(1 / 8.0)) * MIN
            _outage_ticket(w, o, min(when, en + rng.uniform(0, 15) * MIN), person, svcs)
        if mhi > 0:  # outage help traffic: a multiple of this site's share of the background
            _outage_help(w, o, st + rng.uniform(1, 5) * MIN, en + 10 * MIN,
                         rng.uniform(mlo, mhi) * help_rate[ten] / len(TENANTS[ten]["sites"]), svcs)
        # guaranteed unrelated activity at the affected site during the outage
        for _ in range(rng.randint(1, 3)):
            _bg_ticket(w, ten, site, rng.uniform(st, en))
        for _ in range(rng.randint(2, 5)):
            _bg_session(w, ten, rng.uniform(st, en), site)
        if kind == "shared":  # the other tenant with the same site name: unrelated tickets
            other = "skylark-air" if ten == "harbor-media" else "harbor-media"
            for _ in range(rng.randint(2, 4)):
                _bg_ticket(w, other, SHARED_SITE, rng.uniform(st - 10 * MIN, en), "sso")
            for _ in range(rng.randint(3, 6)):
                _bg_session(w, other, rng.uniform(st, en), SHARED_SITE)

    for ten, cfg in TENANTS.items():
        for site in cfg["sites"]:
            t = T0
            rate = rng.uniform(1.0, 2.5) / 3600.0  # unrelated tickets/hour at this site
            while (t := t + rng.expovariate(rate)) < w.t_end:
                _bg_ticket(w, ten, site, t)
        t = T0
        while (t := t + rng.expovariate(help_rate[ten] / 3600.0)) < w.t_end:
            _bg_session(w, ten, t, None)
        t = T0
        while (t := t + rng.expovariate(1.5 / 3600.0)) < w.t_end:
            name, sev = rng.choice(ALERT_NOISE)
            site, svc = rng.choice(list(cfg["sites"])), rng.choice(cfg["svcs"])
            lab = {"alertname": name, "severity": sev, "site": site, "service": svc,
                   "host": w.host(svc, site)}
            if rng.random() < 0.15:
                del lab["service"]
            dur = rng.uniform(2, 8) if name == "ProbeBlip" else rng.uniform(3, 45)
            w.alert(ten, lab, f"{name} on {lab['host']}", t, t + dur * MIN)
        site = rng.choice(list(cfg["sites"]))
        w.alert(ten, {"alertname": "CertExpiringSoon", "severity": "info", "site": site,
                      "host": f"proxy-{site}-01"}, "TLS cert expires in 9 days",
                T0 - 3600.0, w.t_end + 3600.0)

    w.evs.sort(key=lambda x: (x[0], x[1]))
    new_id: dict[str, str] = {}  # ids in time order: they must say nothing about ground truth
    for n, (_, _, env) in enumerate(w.evs):
        new_id[env["id"]] = env["id"] = f"evc-{seed}-{n:07d}"
    for o in outages:
        o.alert_ids = [new_id[a] for a in o.alert_ids]
    return Scenario([e for _, _, e in w.evs], outages)


def _bg_ticket(w: _World, ten: str, site: str, t: float, svc: str | None = None) -> None:
    rng = w.rng
    svc = svc or rng.choice(TENANTS[ten]["svcs"])
    tmpl = rng.choice(HOWTO)
    if svc == "sso" and rng.random() < 0.5:
        tmpl = rng.choice(["Locked out after too many password attempts",
                           "MFA prompt never arrives on my new phone"])
    text = tmpl.format(svc=svc, noun=SVC[svc][0])
    text = text[0].upper() + text[1:]
    person = rng.choice(w.people[ten, site])
    thread: list[tuple[float, str, str | None]] = []
    tt = t + rng.uniform(10, 240) * MIN
    if rng.random() < 0.5:
        thread.append((tt, "commented", rng.choice(["Can you try restarting?",
                                                    "Sent you the link", "Thanks, done."])))
    if rng.random() < 0.3:
        thread.append((tt + 60, "status_changed", "pending"))
    thread.append((tt + rng.uniform(5, 600) * MIN, "closed", None))
    w.ticket(ten, t, person, text[:60], text,
             site if rng.random() < 0.5 else None,
             svc if "{" in tmpl and rng.random() < 0.4 else None,
             rng.choice(["low", "normal", "normal", None]), thread)


def _bg_session(w: _World, ten: str, t: float, site: str | None) -> None:
    rng = w.rng
    if site is None and rng.random() < 0.5:
        site = rng.choice([*TENANTS[ten]["sites"]])
    svc = rng.choice(TENANTS[ten]["svcs"])
    qs = [*rng.sample(HELP_Q, 3), f"{SVC[svc][0]} how to"]
    arts = [f"kb-{rng.randint(100, 180)}", f"kb-{svc}-faq", "kb-onboarding"]
    w.session(ten, t, qs, arts, site, svc if rng.random() < 0.2 else None, (0, 40))
