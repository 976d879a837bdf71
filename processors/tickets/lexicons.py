"""The compiled cue lexicons per language, built once per process.

Romanised Hindi and Telugu are code-mixed with English ("server room ka AC leak ho raha
hai"), so their texts are read with their own lexicon and the English one."""

from __future__ import annotations

from functools import lru_cache

from processors.tickets import lexicon_en, lexicon_es, lexicon_eu, lexicon_indic
from processors.tickets.cues import Hit, Lexicon


@lru_cache(maxsize=1)
def lexicons() -> dict[str, tuple[Lexicon, ...]]:
    en = Lexicon("en", lexicon_en.FAMILIES, lexicon_en.NEGATORS, lexicon_en.TRAPS)
    es = Lexicon("es", lexicon_es.FAMILIES, lexicon_es.NEGATORS, lexicon_es.TRAPS)
    hi = Lexicon("hi-latn", lexicon_indic.HI, lexicon_indic.HI_NEGATORS, lexicon_indic.HI_TRAPS,
                 negation_after=True)
    te = Lexicon("te-latn", lexicon_indic.TE, lexicon_indic.TE_NEGATORS, lexicon_indic.TE_TRAPS,
                 negation_after=True)
    eu = lexicon_eu
    other = {lang: Lexicon(lang, fams, neg, eu.TRAPS) for lang, fams, neg in (
        ("de", eu.DE, eu.DE_NEGATORS), ("fr", eu.FR, eu.FR_NEGATORS),
        ("it", eu.IT, eu.IT_NEGATORS), ("pt", eu.PT, eu.PT_NEGATORS))}
    return {"en": (en,), "es": (es,), "hi-latn": (hi, en), "te-latn": (te, en),
            **{k: (v,) for k, v in other.items()}}


def find_hits(lang: str, norm: str, toks: list[str]) -> list[Hit]:
    """Every cue of the language's lexicons in the text, in text order."""
    chain = lexicons().get(lang, ())
    if len(chain) == 1:
        return chain[0].find(norm, toks)
    hits: list[Hit] = []
    for lx in chain:
        hits.extend(lx.find(norm, toks))
    hits.sort(key=lambda h: h.start)
    return hits
