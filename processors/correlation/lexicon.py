"""Words a tenant's users use for its services, learned from its own tickets.

No fixed table knows that at one tenant "stock levels" means the ``inventory`` service, or
"customer records" ``crm``. Each tenant learns it from tickets whose service is known: the
ticket's own ``service`` field, or the single service of the incident the ticket joined on a
subject it named itself (site, time and a shared term), never one learned here, so a guess
never teaches further guesses. A ticket's content words (its topic terms, bar place words,
outage words, contraction stubs and the tenant's service names) are counted once per ticket
against that service; every complaint's words are also counted as used, service unknown.

A word stands for a service once ``MIN_TICKETS`` distinct tickets used it with that service
within ``TTL_S``, at least ``MIN_SHARE`` of those with a known service were about it and at
least ``MIN_SHARE_ALL`` of all that used it: a word every subject uses ("stuck", "customers
are waiting") learns nothing. Held tickets using a word just taught are placed again. Each
service keeps at most ``MAX_WORDS`` words (the least recently used go first); counts older
than ``TTL_S`` are forgotten. Everything is per tenant (it lives in the tenant's state) and
depends only on the order items are taken in, never on hashing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from processors.correlation.terms import OUTAGE

TTL_S = 14 * 86_400.0
MIN_TICKETS = 3
MIN_SHARE = 0.75
"""Of the tickets with a known service that used the word."""
MIN_SHARE_ALL = 0.3
"""Of every ticket that used it: a word of a reply template ("customers are waiting") is
used about every subject, most of them unlabelled."""
EXPIRE_S = 3600.0
MAX_WORDS = 48
"""Per service."""
MAX_TOTAL = 4096
"""Words tracked at all, least recently used dropped first."""
_KEEP = 16
"""Latest tickets remembered per word."""


@dataclass(slots=True)
class Lexicon:
    words: dict[str, list[list]] = field(default_factory=dict)
    """word -> the latest tickets that used it, ``[time, ref, service or None]``, oldest
    first; the dict itself runs from least to most recently used."""
    per_service: dict[str, dict[str, float]] = field(default_factory=dict)
    """service -> word -> when last counted with it, least recent first (the cap)."""
    last_expire: float = float("-inf")

    def __len__(self) -> int:
        return len(self.words)

    def observe(self, ref: str, item_terms: frozenset[str], skip: frozenset[str],
                now: float) -> None:
        """Ticket ``ref`` (a complaint) used these words, its service not known yet."""
        for word in sorted(item_terms - skip):
            if _content(word):
                self._entry(word, ref, now)
        while len(self.words) > MAX_TOTAL:
            self._forget(next(iter(self.words)))

    def learn(self, ref: str, service: str, item_terms: frozenset[str],
              skip: frozenset[str], now: float) -> None:
        """Ticket ``ref`` is about ``service``: its content words count towards it (once)."""
        for word in sorted(item_terms - skip):
            if not _content(word):
                continue
            self._entry(word, ref, now)[2] = service
            book = self.per_service.setdefault(service, {})
            book.pop(word, None)
            book[word] = now
            if len(book) > MAX_WORDS:
                old = next(iter(book))
                del book[old]
                for e in self.words.get(old, ()):
                    if e[2] == service:
                        e[2] = None
        while len(self.words) > MAX_TOTAL:
            self._forget(next(iter(self.words)))

    def services(self, item_terms: frozenset[str], now: float) -> dict[str, str]:
        """Service -> the word of ``item_terms`` that stands for it (the best supported)."""
        best: dict[str, tuple[int, str]] = {}
        books = self.per_service.values()
        for word in item_terms:
            entries = self.words.get(word)
            if entries is None or not any(word in b for b in books):
                continue
            live = [e[2] for e in entries if now - e[0] <= TTL_S]
            counts: dict[str, int] = {}
            for svc in live:
                if svc is not None:
                    counts[svc] = counts.get(svc, 0) + 1
            labelled = sum(counts.values())
            for svc, n in counts.items():
                if (n >= MIN_TICKETS and n >= MIN_SHARE * labelled
                        and n >= MIN_SHARE_ALL * len(live)):
                    prev = best.get(svc)
                    if prev is None or (-n, word) < (-prev[0], prev[1]):
                        best[svc] = (n, word)
        return {svc: word for svc, (_, word) in sorted(best.items())}

    def expire(self, now: float) -> None:
        """Forget what is past ``TTL_S`` (matching ignores it anyway: this only frees it), at
        most every ``EXPIRE_S``."""
        if now - self.last_expire < EXPIRE_S:
            return
        self.last_expire = now
        for word in list(self.words):
            entries = self.words[word]
            if now - entries[0][0] <= TTL_S:
                continue
            live = [e for e in entries if now - e[0] <= TTL_S]
            if live:
                self.words[word] = live
            else:
                self._forget(word)
        for svc in list(self.per_service):
            book = self.per_service[svc]
            for word in [w for w, t in book.items() if now - t > TTL_S]:
                del book[word]
            if not book:
                del self.per_service[svc]

    def _entry(self, word: str, ref: str, now: float) -> list:
        entries = self.words.pop(word, [])
        self.words[word] = entries  # now the most recently used
        for e in entries:
            if e[1] == ref:
                return e
        entries.append([now, ref, None])
        del entries[:-_KEEP]
        return entries[-1]

    def _forget(self, word: str) -> None:
        for svc in {e[2] for e in self.words.pop(word, ()) if e[2] is not None}:
            book = self.per_service.get(svc, {})
            book.pop(word, None)
            if not book:
                self.per_service.pop(svc, None)


_FRAGMENTS = frozenset({"won", "aren", "isn", "wasn", "weren", "didn", "couldn", "shouldn",
                        "wouldn", "hasn", "haven", "hadn", "ain", "ive", "youre", "theyre"})
"""What is left of contractions ("won't" -> "won"): used about every subject."""


def _content(word: str) -> bool:
    return word != OUTAGE and len(word) >= 3 and word not in _FRAGMENTS
