"""Text normalisation shared by every scorer: one lowercase, accent-folded form per text, so
cue lexicons are written once without accents and matched with plain regexes."""

from __future__ import annotations

import re
import unicodedata

MAX_CHARS = 6_000
"""Longer texts are cut: the facts that matter come in the first pages, and the per-text
cost must stay bounded (a 32 KB forwarded mail is scored in the time of 6 KB)."""

_FOLD: dict[int, str] = {}
for _c in range(0xC0, 0x250):
    _ch = chr(_c)
    _base = unicodedata.normalize("NFKD", _ch)
    _plain = "".join(b for b in _base if not unicodedata.combining(b))
    if _plain != _ch and _plain.isascii():
        _FOLD[_c] = _plain.lower()
_FOLD.update({0xDF: "ss", 0xE6: "ae", 0x153: "oe", 0xF8: "o", 0x2019: "'", 0x2018: "'",
              0x60: "'", 0xB4: "'", 0x201C: '"', 0x201D: '"', 0x2013: "-", 0x2014: "-",
              0xBF: " ", 0xA1: " ", 0xA0: " "})

TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_SPACE = re.compile(r"\s+")
_SIGNATURE = re.compile(
    r"\n\s*(?:confidentiality notice|this e-?mail and any attachments|disclaimer:)",
    re.IGNORECASE)


def normalise(text: str) -> str:
    """Lowercase, accents folded (``está`` -> ``esta``), curly quotes straightened, white space
    collapsed, legal footers dropped; cut at ``MAX_CHARS``."""
    low = text[:MAX_CHARS].lower()
    if "confidential" in low or "disclaimer" in low or "this e" in low:
        m = _SIGNATURE.search(low)
        if m:
            low = low[:m.start()]
    if not low.isascii():
        low = low.translate(_FOLD)
    return " ".join(low.split())


def tokens(norm: str) -> list[str]:
    return TOKEN.findall(norm)


def letters_ratio_latin(text: str) -> float:
    """Share of letters that are Latin (ASCII after folding): below ~0.5 the text is in
    another script and the romanised cue lexicons do not apply."""
    sample = text[:400]
    if sample.isascii():
        return 1.0
    letters = len(_LETTER.findall(sample))
    if not letters:
        return 1.0
    return 1.0 - len(_NON_LATIN.findall(sample)) / letters


_LETTER = re.compile(r"[^\W\d_]")
_NON_LATIN = re.compile(r"[^\W\d_\u0000-\u024f]")


_QUOTE = re.compile(r"(?:^|\n)\s*(?:>|-{2,}\s*(?:original message|forwarded message)|"
                    r"from:\s.{0,120}\n\s*sent:|on .{5,120} wrote:)", re.IGNORECASE)


def own_part(raw: str) -> str:
    """The writer's own words: the text before a quoted reply or a forwarded mail."""
    if ">" not in raw and "---" not in raw and ":" not in raw:
        return raw
    m = _QUOTE.search(raw[:MAX_CHARS])
    return raw[:m.start()] if m and m.start() > 0 else raw


_NEG_EMOJI = re.compile("[\U0001F644\U0001F612\U0001F61F\U0001F643\U0001F624\U0001F621"
                        "\U0001F620\U0001F61E\U0001F629\U0001F62B\U0001F62D\U0001F622"
                        "\U0001F623\U0001F616\U0001F613\U0001F92C\U0001F480\U0001F44E"
                        "\U0001F611\U0001F615\U0001F641\u2639]")
"""Eye roll, unamused, worried, upside-down, angry, crying, thumbs down..."""
_POS_EMOJI = re.compile("[\U0001F60A\U0001F642\U0001F600\U0001F603\U0001F604\U0001F601"
                        "\U0001F602\U0001F923\U0001F60D\U0001F973\U0001F389\U0001F44D"
                        "\U0001F4AA\u2764\U0001F64C\u2705\U0001F60C]")
"""Smiles, laughing, party, thumbs up, raised hands, check mark..."""


def emoji_valence(raw: str) -> float:
    """Feeling carried by emoji, which the word tokens do not see: -1.2 per sad or annoyed
    face, +0.6 per happy one, capped."""
    if raw.isascii():
        return 0.0
    neg = len(_NEG_EMOJI.findall(raw))
    pos = len(_POS_EMOJI.findall(raw))
    return max(-2.4, -1.2 * neg) + min(1.2, 0.6 * pos)
