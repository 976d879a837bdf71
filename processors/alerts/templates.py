"""Alert text reduced to templates, so "disk 91% on db-7" and "disk 95% on db-9" are one kind.

Two steps, as in Drain (He et al., ICWS 2017): masking replaces the obviously variable tokens
(IPs, UUIDs and hex ids, numbers with units, host-like names, URLs) with placeholders; then a
shallow Drain tree, keyed by token count and first token (the alertname, which we put first),
merges token sequences that agree on most positions and turns the positions where they differ
into ``<*>``. A template's id never changes when it is generalised, so incident keys built on it
stay valid. The miner is per tenant and bounded (least recently used templates are forgotten).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass

_TOKEN = re.compile("|".join((
    r"(?P<URL>[a-z][a-z0-9+.-]*://\S+)",
    r"(?P<IP>\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?)",
    r"(?P<HEX>(?:0x)?(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}"
    r"|[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12})",
    r"(?P<NUM>[-+]?\d+(?:[.,]\d+)*[a-z%/]*)",
    # host-like: a name holding a digit (db-7, web-03.fra1.example.net:9100, checkout-7d9f8b-x2)
    # or at least two dots (api.fra1.example.net)
    r"(?P<HOST>[\w-]*\d[\w.:-]*|[a-z][\w-]*(?:\.[\w-]+){2,}(?::\d+)?)",
)), re.I)
_PUNCT = ",;:.!?()[]{}\"'`"
WILDCARD = "<*>"


def mask(text: str) -> list[str]:
    """Tokens of ``text`` with variable ones replaced by typed placeholders (<NUM>, <HOST>..).

    Token by token: most words are plain letters and skip the regex, which keeps this cheap.
    """
    out: list[str] = []
    for tok in text.split():
        if tok.isalpha():
            out.append(tok)
            continue
        core = tok.strip(_PUNCT)
        m = _TOKEN.fullmatch(core) if core else None
        out.append(f"<{m.lastgroup}>" if m is not None else core or tok)
    return out


@dataclass(slots=True)
class Template:
    template_id: str
    tokens: list[str]
    size: int = 1

    @property
    def text(self) -> str:
        return " ".join(self.tokens)


class TemplateMiner:
    """Drain-style online template mining over masked alert text, bounded by ``max_templates``."""

    def __init__(self, sim_threshold: float = 0.5, max_templates: int = 5_000,
                 id_prefix: str = "t") -> None:
        if not 0.0 < sim_threshold <= 1.0:
            raise ValueError("sim_threshold must be in (0, 1]")
        self.sim_threshold = sim_threshold
        self.max_templates = max_templates
        self._prefix = id_prefix
        self._next = 0
        self._groups: dict[tuple[int, str], list[Template]] = {}
        self._exact: OrderedDict[str, Template] = OrderedDict()  # masked text -> template

    def __len__(self) -> int:
        return sum(len(g) for g in self._groups.values())

    def add(self, text: str) -> Template:
        """The template of ``text``, creating or generalising one as needed."""
        toks = mask(text)
        masked = " ".join(toks)
        hit = self._exact.get(masked)
        if hit is not None:
            self._exact.move_to_end(masked)
            hit.size += 1
            return hit
        key = (len(toks), toks[0] if toks else "")
        group = self._groups.setdefault(key, [])
        best, best_sim = None, -1.0
        for tpl in group:
            sim = _similarity(tpl.tokens, toks)
            if sim > best_sim:
                best, best_sim = tpl, sim
        if best is not None and best_sim >= self.sim_threshold:
            best.tokens = [a if a == b else WILDCARD for a, b in zip(best.tokens, toks,
                                                                     strict=True)]
            best.size += 1
        else:
            best = Template(f"{self._prefix}{self._next}", toks)
            self._next += 1
            group.append(best)
        self._exact[masked] = best
        if len(self._exact) > self.max_templates:
            self._evict()
        return best

    def _evict(self) -> None:
        """Forget the least recently seen quarter of masked texts and their orphan templates."""
        for _ in range(max(1, len(self._exact) // 4)):
            self._exact.popitem(last=False)
        live = {id(t) for t in self._exact.values()}
        for key in list(self._groups):
            kept = [t for t in self._groups[key] if id(t) in live]
            if kept:
                self._groups[key] = kept
            else:
                del self._groups[key]


def _similarity(template: list[str], toks: list[str]) -> float:
    """Share of positions that agree; a wildcard agrees with anything (Drain's simSeq)."""
    if not toks:
        return 1.0
    same = sum(1 for a, b in zip(template, toks, strict=True) if a in (b, WILDCARD))
    return same / len(toks)
