"""The help-desk side of the demo stream: tickets and help-center sessions.

Around each injected fault the people at its site notice: some search the help center and give
up, then open tickets in their own words (several languages), follow up with "still down" and
thank the desk when it works again; searches about the symptom at that site jump. Meanwhile
the ordinary day goes on everywhere: password resets, printers, how-to questions, content the
help center lacks, and now and then something urgent that no alert sees (a smell of gas). A
separate random stream keeps the rest of the demo's data unchanged by what is written here.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

Event = tuple[str, str, dict, datetime]
"""(event type, tenant, data, time)"""

SYMPTOMS: dict[str, dict[str, Any]] = {
    # how the people affected name a fault of each service, and what they search for
    "web": {"queries": ["website not loading", "portal slow", "web portal error 504"],
            "article": "status-page",
            "texts": [
                ("Portal extremely slow", "The web portal takes minutes to load any page. "
                 "Nobody on our floor can work with it, we have customers waiting.", "en"),
                ("Website down?", "Is the website down? I get a 504 error every time since "
                 "about ten minutes ago, and so do my colleagues.", "en"),
                ("El portal no carga", "El portal web no carga desde hace un rato, todo el "
                 "equipo de ventas está parado.", "es"),
                ("portal slow", "portal bahut slow hai, page load hi nahi ho raha. poori team "
                 "ka kaam ruka hua hai", "hi-latn"),
                ("Web portal", "Third time today I'm writing about the portal. Still the same "
                 "spinning wheel.", "en")]},
    "api": {"queries": ["mobile app not syncing", "api error 503", "app cannot connect"],
            "article": "status-page",
            "texts": [
                ("App not syncing", "The mobile app stopped syncing orders, all our drivers "
                 "are affected and deliveries are piling up.", "en"),
                ("API errors", "Our integration gets HTTP 503 from the API on every call "
                 "since 10 minutes. The nightly export is due in two hours.", "en"),
                ("La app no sincroniza", "La aplicación móvil no sincroniza, ningún "
                 "repartidor puede cerrar pedidos.", "es"),
                ("app not working", "app sync nahi ho raha, saare drivers ka same issue hai, "
                 "jaldi dekho please", "hi-latn")]},
    "db": {"queries": ["reports not loading", "database error", "report timeout"],
           "article": "status-page",
           "texts": [
               ("Reports time out", "Every report times out with a database error. The whole "
                "finance team is blocked and month-end closes today.", "en"),
               ("Database error", "Getting 'database unavailable' in the CRM, same for "
                "everyone here.", "en"),
               ("Informes sin cargar", "Los informes dan error de base de datos, no podemos "
                "trabajar ninguno.", "es"),
               ("reports", "reports open avvatledu, database error vastondi, andariki same "
                "problem", "te-latn")]},
}
STILL = ["Still down for us.", "Any update? Still the same here, nobody can work.",
         "sigue sin funcionar", "abhi bhi same problem hai"]
FIXED = ["Works again, thanks a lot!", "All good now, thank you for the quick fix.",
         "ya funciona, gracias"]
BACKGROUND = [
    ("Password reset", "I forgot my password after the holidays, can you reset it?", "en"),
    ("Printer jam", "The printer on the 2nd floor keeps jamming on A3 paper.", "en"),
    ("How to add a signature", "URGENT!!! how do I change my email signature??", "en"),
    ("New monitor", "Could I get a second monitor for my desk? No rush.", "en"),
    ("Teams background", "Great, the Teams background reset itself again. Love it.", "en"),
    ("Cambio de contraseña", "¿Cómo cambio mi contraseña del correo?", "es"),
    ("laptop slow", "mera laptop thoda slow hai, kal dekh lena", "hi-latn"),
    ("Thanks", "Thanks for sorting out my VPN profile yesterday, works perfectly.", "en"),
    ("Planned move", "Heads-up: we move to the new office next month, please plan the "
     "network ports.", "en"),
    ("Export to PDF", "How can I export the timesheet to PDF? I could not find it in the "
     "help center.", "en"),
]
URGENT_ONE_OFF = [
    ("Strange smell", "Sorry to bother you, there is a faint smell of gas near the server "
     "room on the ground floor, probably nothing but I wanted to say it.", "en"),
    ("Clicked a link", "I think I typed my password into a fake login page from an email "
     "ten minutes ago. What do I do?", "en"),
]
GAP_QUERIES = ["export timesheet pdf", "change invoice address", "expense approval",
               "parking permit", "vpn error 809"]
BACKGROUND_QUERIES = ["reset password", "printer driver", "vpn setup", "sso login",
                      "invoice copy", "holiday calendar"]
ARTICLES = ("reset-password", "vpn-setup", "billing-faq", "status-page", "sso-login")


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


class HelpdeskStream:
    def __init__(self, seed: str, start: datetime, end: datetime,
                 tenants: dict[str, tuple[str, ...]], faults: list[Any]) -> None:
        self.rng = random.Random(f"{seed}/helpdesk")
        self.start, self.end = start, end
        self.tenants = tenants
        self.faults = faults

    def new_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    # -- tickets -------------------------------------------------------------------------------
    def _thread(self, tenant: str, site: str, service: str | None, requester: str,
                at: datetime, subject: str, text: str, *, priority: str = "normal",
                follow: list[tuple[timedelta, str]] = (),  # type: ignore[assignment]
                close_at: datetime | None = None) -> Iterator[Event]:
        r = self.rng
        tid = f"{tenant[:2].upper()}-{r.randint(10000, 99999)}"
        base: dict[str, Any] = {"ticket_id": tid, "requester": requester, "site": site}
        if service:
            base["service"] = service
        yield ("ticket.event", tenant, {**base, "action": "created", "timestamp": _iso(at),
                                        "subject": subject, "text": text, "priority": priority,
                                        "channel": r.choice(("email", "portal", "chat"))}, at)
        for delay, comment in follow:
            t = at + delay
            if t < self.end:
                yield ("ticket.event", tenant, {**base, "action": "commented",
                                                "timestamp": _iso(t), "text": comment}, t)
        if close_at is not None and close_at < self.end:
            yield ("ticket.event", tenant, {**base, "action": "closed",
                                            "timestamp": _iso(close_at),
                                            "text": "Closed by the service desk."}, close_at)

    def fault_tickets(self, f: Any, sessions: Callable[..., Iterator[Event]]) -> Iterator[Event]:
        r = self.rng
        sym = SYMPTOMS[f.service]
        texts = list(sym["texts"])
        r.shuffle(texts)
        for k, (subject, text, _lang) in enumerate(texts[: r.randint(3, len(texts))]):
            at = f.start + timedelta(minutes=4 + 4 * k + r.uniform(0, 3))
            user = f"user{r.randint(1, 500)}@{f.tenant}.example"
            if r.random() < 0.5:  # looked in the help center first, found nothing
                yield from sessions(f.tenant, f.site, user, at - timedelta(minutes=r.uniform(
                    3, 12)), [r.choice(sym["queries"])], zero=True, article=sym["article"])
            follow = []
            if r.random() < 0.6:
                follow.append((timedelta(minutes=15), r.choice(STILL)))
            after = f.end - at + timedelta(minutes=r.uniform(2, 10))
            if r.random() < 0.7:
                follow.append((after, r.choice(FIXED)))
            yield from self._thread(
                f.tenant, f.site, f.service if r.random() < 0.6 else None, user, at, subject,
                text, priority=r.choice(("normal", "high", "urgent")), follow=follow,
                close_at=f.end + timedelta(minutes=30))

    def background_tickets(self) -> Iterator[Event]:
        r = self.rng
        for tenant, sites in self.tenants.items():
            t = self.start + timedelta(minutes=r.uniform(10, 120))
            while t < self.end:
                site = r.choice(sites)
                user = f"user{r.randint(1, 500)}@{tenant}.example"
                pool = URGENT_ONE_OFF if r.random() < 0.04 else BACKGROUND
                subject, text, _lang = r.choice(pool)
                follow = [(timedelta(hours=r.uniform(1, 5)), "Thanks, that solved it.")] \
                    if r.random() < 0.3 else []
                yield from self._thread(tenant, site, None, user, t, subject, text,
                                        priority=r.choice(("low", "normal", "high", "urgent")),
                                        follow=follow,
                                        close_at=t + timedelta(hours=r.uniform(2, 30)))
                t += timedelta(minutes=r.expovariate(1 / 150))

    # -- help center ---------------------------------------------------------------------------
    def session(self, tenant: str, site: str, user: str | None, at: datetime,
                queries: list[str], *, zero: bool = False,
                article: str | None = None) -> Iterator[Event]:
        r = self.rng
        sid = f"s{r.getrandbits(40):x}"
        t = at
        for q in queries:
            kind = "search" if r.random() < 0.8 else "chat_question"
            data: dict[str, Any] = {"kind": kind, "timestamp": _iso(t), "session_id": sid,
                                    "query": q, "site": site}
            if kind == "search":
                data["result_count"] = 0 if zero else r.randint(1, 12)
            if user:
                data["user_id"] = user
            yield ("help.interaction", tenant, data, t)
            t += timedelta(seconds=r.uniform(5, 60))
        if article:
            base = {"session_id": sid, "article_id": article, "site": site}
            if user:
                base["user_id"] = user
            yield ("help.interaction", tenant, {**base, "kind": "article_view",
                                                "timestamp": _iso(t)}, t)
            if r.random() < 0.4:
                t += timedelta(seconds=r.uniform(10, 90))
                yield ("help.interaction", tenant, {**base, "kind": "vote", "timestamp": _iso(t),
                                                    "vote": r.choice(("up", "down"))}, t)

    def background_help(self) -> Iterator[Event]:
        r = self.rng
        for tenant, sites in self.tenants.items():
            t = self.start
            while t < self.end:
                site = r.choice(sites)
                user = f"user{r.randint(1, 500)}@{tenant}.example" if r.random() < 0.8 else None
                if r.random() < 0.15:
                    yield from self.session(tenant, site, user, t, [r.choice(GAP_QUERIES)],
                                            zero=True)
                else:
                    yield from self.session(tenant, site, user, t,
                                            [r.choice(BACKGROUND_QUERIES)],
                                            article=r.choice(ARTICLES))
                t += timedelta(minutes=r.expovariate(1 / 4))

    def fault_help(self, f: Any) -> Iterator[Event]:
        r = self.rng
        sym = SYMPTOMS[f.service]
        t = f.start + timedelta(minutes=2)
        while t < f.end:
            user = f"user{r.randint(501, 900)}@{f.tenant}.example"
            yield from self.session(f.tenant, f.site, user, t, [r.choice(sym["queries"])],
                                    zero=r.random() < 0.5, article=sym["article"])
            t += timedelta(seconds=r.expovariate(1 / 40))

    def events(self) -> Iterator[Event]:
        yield from self.background_tickets()
        yield from self.background_help()
        for f in self.faults:
            yield from self.fault_tickets(f, self.session)
            yield from self.fault_help(f)
