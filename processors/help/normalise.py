"""Search and chat text made comparable: one form per question, so queries can be grouped.

``normalise_query`` case-folds, folds accents (``contraseña`` -> ``contrasena``), turns every
character that is not a letter or a digit into a space, and drops English and Spanish function
words ("how", "to", "el", "de", ...), keeping the order of what is left: "How do I reset my
VPN?" and "reset vpn" group together, "error 809" keeps its digits. A query made only of
function words is kept whole rather than emptied. Nothing is stemmed or translated: what an
analyst reads in ``help_sessions.queries`` is still the user's words.
"""

from __future__ import annotations

import re
import unicodedata


def wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


MAX_LEN = 256
"""Longest normalised query kept (the column's contract)."""

STOPWORDS = wordset("""
a about above after again all am an and any are as at be because been before being below
between both but by can could did do does doing during each few for from further had
has have having he her here hers him his how i if in into is it its itself just me more most
my myself no nor not now of on once only or other our ours own same she should
so some such than that the their theirs them then there these they this those through to too
under until up very was we were what when where which while who whom why will with would you
your yours s t d ll m re ve cant dont doesnt isnt wont im ive pls please hi hello thanks
al algo algun alguna algunas alguno algunos ante antes como con contra cual cuando de del
desde donde durante e el ella ellas ellos en entre era eres es esa esas ese eso esos esta
estas este esto estos estoy fue fui ha han has hay la las le les lo los mas me mi mis mucho
muy nada ni no nos o os otra otro para pero poco por porque que quien se sea ser si sin
sobre son su sus tambien te tengo ti tu tus un una uno unos usted ustedes y ya yo hola
gracias favor puedo puede
""")

_NOT_WORD = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Case-folded, accents removed, anything but letters and digits as single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_WORD.sub(" ", bare).strip()


def words(text: str) -> list[str]:
    return fold(text).split()


def normalise_query(text: str) -> str:
    """The grouping form of a search or chat question (see the module docstring)."""
    ws = words(text)
    content = [w for w in ws if w not in STOPWORDS]
    return " ".join(content or ws)[:MAX_LEN].strip()
