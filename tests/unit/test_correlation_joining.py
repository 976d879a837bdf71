"""Joining rules on one tenant's records: site-wide losses and tickets with no site."""

from __future__ import annotations

from processors.correlation.records import IncidentRec, TicketRec
from processors.correlation.tenant import Params, Tenant, TenantState
from processors.correlation.terms import name_terms, site_wide, terms

T = 1_000_000.0


def inc(ref: str, site: str, services: tuple[str, ...], title: str) -> IncidentRec:
    origin = {t: f"service {s}" for s in services for t in name_terms(s, (site,))}
    origin.update({t: f"alert {title}" for t in name_terms(title, (site,))})
    return IncidentRec(ref, title, 3, True, T, T + 60, (site,), services, (), 3,
                       frozenset(origin), origin, site_wide(title, len(services), 1))


def tk(ref: str, text: str, site: str | None) -> TicketRec:
    return TicketRec(ref, T + 120, T + 120, site, False, None, text, terms([text]), True,
                     "negative", False, False, True)


def tenant(*incs: IncidentRec) -> Tenant:
    ten = Tenant(TenantState("t1"), Params())
    ten.advance(T + 60)
    for i in incs:
        ten.take_incident(i)
    return ten


def test_a_site_wide_loss_takes_complaints_about_the_tenants_services_at_its_site() -> None:
    ten = tenant(inc("i-mail", "lon1", ("email",), "MailQueueGrowing"),
                 inc("i-power", "par1", (), "UpsOnBattery"))
    ten.advance(T + 120)
    ten.take_ticket(tk("T-1", "Emails aren't arriving", "par1"))
    ten.take_ticket(tk("T-2", "Emails aren't arriving", "par1"))
    c = ten.s.correlations[ten.s.tickets["T-1"].cid]
    assert c.incidents == ["i-power"] and set(c.tickets) == {"T-1", "T-2"}


def test_a_ticket_with_no_site_goes_to_the_one_scope_it_names() -> None:
    ten = tenant(inc("i-chat", "lon1", ("chat",), "ChatGatewayDown"),
                 inc("i-power", "par1", (), "UpsOnBattery"))
    ten.advance(T + 120)
    ten.take_ticket(tk("T-1", "The chat is dead, nothing works", None))
    ten.take_ticket(tk("T-2", "chat is dead", None))
    assert ten.s.tickets["T-1"].cid is not None
    assert ten.s.correlations[ten.s.tickets["T-1"].cid].incidents == ["i-chat"]
