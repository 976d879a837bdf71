"""The per-tenant lexicon: words users use for a service, learned from the tenant's tickets."""

from __future__ import annotations

from processors.correlation import lexicon
from processors.correlation.lexicon import Lexicon
from processors.correlation.processor import CorrelationProcessor
from schemas.insights import TicketInsightEvent
from tests.unit.test_correlation_processor import at, feed, incident, latest, processor, ts

STOCK = frozenset({"stock", "level", "zero"})


def teach(lx: Lexicon, n: int, service: str = "inventory", words: frozenset[str] = STOCK,
          t: float = 0.0) -> None:
    for i in range(n):
        lx.learn(f"{service}-{i}", service, words, frozenset(), t + i)


def test_a_word_stands_for_a_service_only_with_enough_tickets() -> None:
    lx = Lexicon()
    teach(lx, 2)
    assert lx.services(frozenset({"stock"}), 10.0) == {}
    lx.learn("inventory-1", "inventory", STOCK, frozenset(), 5.0)  # the same ticket again
    assert lx.services(frozenset({"stock"}), 10.0) == {}
    teach(lx, 3)
    assert lx.services(frozenset({"stock", "printer"}), 10.0) == {"inventory": "stock"}
    assert lx.services(STOCK, 10.0) == {"inventory": "level"}  # ties: the first word


def test_a_word_used_about_several_services_learns_nothing() -> None:
    lx = Lexicon()
    teach(lx, 3, "inventory", frozenset({"stuck"}))
    teach(lx, 2, "label-print", frozenset({"stuck"}))
    assert lx.services(frozenset({"stuck"}), 10.0) == {}
    lx2 = Lexicon()  # mostly used by tickets whose service nobody knows: a template word
    teach(lx2, 3, "inventory", frozenset({"customer"}))
    for i in range(10):
        lx2.observe(f"x-{i}", frozenset({"customer"}), frozenset(), float(i))
    assert lx2.services(frozenset({"customer"}), 20.0) == {}


def test_what_was_learned_is_forgotten_after_the_ttl() -> None:
    lx = Lexicon()
    teach(lx, 3)
    later = 3.0 + lexicon.TTL_S + 1.0
    assert lx.services(STOCK, later) == {}
    lx.expire(later)
    assert len(lx) == 0 and not lx.per_service


def test_each_service_keeps_a_bounded_number_of_words() -> None:
    lx = Lexicon()
    many = frozenset(f"word{i:03d}" for i in range(lexicon.MAX_WORDS + 10))
    teach(lx, 3, words=many)
    assert len(lx.per_service["inventory"]) == lexicon.MAX_WORDS
    assert lx.services(frozenset({"word000"}), 5.0) == {}


def stock_ticket(minute: float, tid: str, *, tenant: str = "acme",
                 service: str | None = None) -> TicketInsightEvent:
    return TicketInsightEvent(
        id=f"{tenant}-{tid}-0:insight", source="test", tenant_id=tenant, data={
            "ticket_id": tid, "text_id": f"{tid}-0", "seq": 0, "action": "created",
            "timestamp": at(minute), "site": "par1", "service": service,
            "subject": "stock levels wrong", "excerpt": "Stock levels show zero",
            "language": "en", "readable": True, "sentiment": "negative",
            "sentiment_score": -0.5, "urgency": 0.9, "urgent": True, "topics": [],
            "escalated": False})


def inventory_down(minute: float, tenant: str = "acme", iid: str = "inc-9"):
    return incident(minute, tenant=tenant, iid=iid, service="inventory",
                    alert="InventorySyncFailed")


def taught(proc: CorrelationProcessor, tenant: str = "acme") -> None:
    """Three tickets that name their service teach the tenant what 'stock levels' means."""
    feed(proc, [stock_ticket(-600 + 10 * i, f"S-{i}", tenant=tenant, service="inventory")
                for i in range(3)])


def test_a_learned_word_joins_a_ticket_and_says_why() -> None:
    proc = processor()
    taught(proc)
    out = feed(proc, [inventory_down(0), stock_ticket(4, "T-1")])
    [ev] = latest(out).values()
    assert ev.data.ticket_ids == ["T-1"]
    [why] = [e.why for e in ev.data.evidence if e.kind == "ticket"]
    assert why.startswith("same site par1; mentions '")
    assert "', which tickets about inventory at this tenant use; 4 min after" in why


def test_without_the_lexicon_the_ticket_does_not_join() -> None:
    proc = processor()
    assert feed(proc, [inventory_down(0), stock_ticket(4, "T-1")]) == []


def test_tenants_never_share_what_they_learned() -> None:
    proc = processor()
    taught(proc, "acme")
    assert feed(proc, [inventory_down(0, "globex"), stock_ticket(4, "T-1", tenant="globex")]) == []
    assert proc.tenants["globex"].s.lexicon.services(frozenset({"stock"}), ts(5)) == {}
    assert proc.tenants["acme"].s.lexicon.services(frozenset({"stock"}), ts(5))


def test_the_lexicon_survives_a_snapshot() -> None:
    proc = processor()
    taught(proc)
    blobs = proc.snapshot()
    fresh = processor()
    part, blob = blobs["acme"]
    fresh.restore("acme", blob, part)
    out = feed(fresh, [inventory_down(0), stock_ticket(4, "T-1")])
    assert [ev.data.ticket_ids for ev in latest(out).values()] == [["T-1"]]
