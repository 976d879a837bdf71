"""What a text, a service name or an alert is about, as a small set of canonical topic terms.

Alerts, tickets and help searches name the same thing differently: an incident on service
``vpn-gw`` with alert ``VpnTunnelDown``, a ticket "AnyConnect keeps dropping", a search
"globalprotect error". Each is cut into lowercase words (camelCase, dashes and digits split),
mapped through a synonym table of common IT help-desk subjects to one canonical term, and
stripped of words that say nothing about *what* is broken ("down", "error", "slow",
"please", the CPU and disk words of host alerts). Two signals agree on topic when their term
sets intersect. Words outside the table are kept as they are, so a service named ``jira`` still
meets a ticket that says "Jira".

A text saying that things are broken without naming them ("nothing works", "offline") gets
the term ``outage``, which meets only a site-wide incident (``site_wide``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

OUTAGE = "outage"
"""Term of a text that says things are broken without saying what."""

_PHRASES = {
    "wifi": r"wi[\s-]?fi|access points?",
    "email": r"e[\s-]mail",
    "login": r"(?:log|sign)[\s-]?(?:in|on)|active directory|locked out",
    "fileshare": r"(?:file[\s-]?share|shared drive|network drive|mapped drive)s?",
    "payments": r"card (?:terminal|reader)s?",
}
_PHRASE = re.compile("|".join(rf"\b(?P<{canon}>{p})\b" for canon, p in _PHRASES.items()),
                     re.IGNORECASE)
_PHRASE_HINTS = ("wi", "mail", "log", "sign", "shar", "drive", "access", "directory", "locked",
                 "card")
"""Every phrase of ``_PHRASES`` holds one of these: most texts skip the phrase pattern."""
_HAS_CAMEL = re.compile(r"[a-z][A-Z]|[A-Z][A-Z][a-z]")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_TOKEN = re.compile(r"[A-Za-z]+")
_COMPOUND = re.compile(r"\b([a-z]{2,})-([a-z]{1,})\b")
"""A hyphenated word is also read whole ("check-in" -> "checkin", as a service is named)."""
_SHORT_STOP = frozenset("""
am an as at be by do go he if in is it me my no of oh ok on or so to up us we ya yo
al de el en es la le lo mi se si su te tu un da em na ne os ou du et il je ca ce au ja
ab ek ha ho ka ke ki ko na pe se ye wo hu tk pm
""".split())  # noqa: SIM905
"""Two-letter words of common languages; any other two-letter word ("Rx", "AD" of ad-server)
may name a system, on a ticket as on an alert."""



def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


SYNONYMS: dict[str, str] = {}
for _canon, _words in {
    "vpn": "vpn anyconnect globalprotect forticlient openvpn wireguard ipsec tunnel tunnels "
           "tunel",
    "email": "email mail mails mailbox outlook exchange smtp imap inbox owa postfix correo "
             "buzon",
    "wifi": "wifi wireless wlan ssid inalambrica inalambrico",
    "network": "network networks lan ethernet switch switches router routers internet "
               "connectivity dns dhcp uplink wan firewall red",
    "login": "login logins logon sso mfa otp okta auth authentication ldap saml credentials "
             "signin idp kerberos sesion",
    "password": "password passwords passwd contrasena clave",
    "printer": "printer printers printing print prints scanner impresora imprimir escaner",
    "phone": "phone phones voip telephony sip pbx softphone dialtone telefono",
    "fileshare": "fileshare nas smb cifs nfs",
    "database": "database databases db postgres postgresql mysql sql oracle mssql",
    "intranet": "intranet portal wiki confluence",
    "erp": "erp sap",
    "crm": "crm salesforce",
    "power": "power ups pdu electricity blackout generator mains electricidad apagon "
             "luz corriente bijli lights",
    "payments": "payment payments checkout till tills pos",
    "chat": "slack teams chat",
    "video": "zoom webex video conferencing",
    "backup": "backup backups",
    "storage": "storage san",
}.items():
    for _w in _words.split():
        SYNONYMS[_w] = _canon

GENERIC = _wordset("""
a about after again alert alerts all also am an and any anyone app application apps are as
asap at back be been before being broke broken but by can cannot cant check come connect
connected connecting connection could critical day do does doesnt done dont down drop
dropped dropping error errors every failed failing fails failure fast fix fixed floor for
from get gets getting gone good got had has have having help hello hi high host hosts how i
if in instance instances is issue issues it its just keep keeps know last like load low me
more morning my need needs new no node nodes not now of off office ok on one or other our
out over people pls please probe problem problems rate really restarted restarting right
same see seem seems server servers service services since site slow so some someone still
stopped team thank thanks that the them there this time to today too trying unable up urgent
us use user users very was we were what when whole with work working works would yet you
your cpu memory disk swap clock skew latency load blackbox container containers systemd oom
exporter job p99 http 5xx 4xx warning info major minor status update any hours minutes
response responding respond unavailable
funciona funcionando puedo puede hay que los las del con por para una uno esta este desde
problema urgente ayuda sigue sin muy lento lenta mas cuando como pero todos nos
nahi hai kaam kar raha rahi bahut kya koi sab band ho gaya
space pressure expiring expires soon usage full saturation saturated throttling queue backlog
drops sessions session volume degraded unusual growing filling exceeded threshold many
connections replicas lag consumers group partitions crashed reboot rebooted heartbeat missing
absent target scrape spike increase ratio percent total count says said tried try keeps
thing things anything something tell told whole since around about already battery
""")

_OUTAGE_WORDS = _wordset("outage outages nothing everything everyone nobody unreachable offline "
                         "dead nada nadie todo caido caida")
_SITE_WIDE_ALERTS = re.compile(r"site|power|ups|pdu|unreachable|instancedown|nodedown",
                               re.IGNORECASE)


def words(text: str) -> list[str]:
    """Lowercase words of ``text``, split at dashes and digits, phrases joined ("wi-fi" ->
    "wifi"); a camelCase word gives its parts ("VpnTunnelDown" -> "vpn", "tunnel", "down"),
    and itself first if it is a product name of the table ("AnyConnect")."""
    text = _fold(text)
    low = text.lower()
    if any(hint in low for hint in _PHRASE_HINTS):
        text = _PHRASE.sub(_phrase, text)
        low = text.lower()
    joined = _COMPOUND.findall(low) if "-" in low else []
    if not _HAS_CAMEL.search(text):
        return _TOKEN.findall(low) + [a + b for a, b in joined]
    out = []
    for tok in _TOKEN.findall(text):
        low = tok.lower()
        if not tok[1:].islower() and not tok.isupper() and _CAMEL.search(tok):
            if low in SYNONYMS:
                out.append(low)
            out += _CAMEL.sub(" ", tok).lower().split()
        else:
            out.append(low)
    return out + [a + b for a, b in joined]


def _phrase(m: re.Match[str]) -> str:
    return f" {m.lastgroup} "


def _fold(text: str) -> str:
    """Accents off (``contraseña`` -> ``contrasena``) when there are any."""
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c))


VOCABULARY = frozenset(SYNONYMS.values()) | {OUTAGE}
"""Terms of the synonym table: subjects common enough to group tickets by on their own."""


def canonical(word: str) -> str | None:
    """The topic term of one word, or None if it says nothing about what is broken. Plurals
    are cut to their singular ("ads" meets the "ad" of ``ad-server``, "videos" "video")."""
    if len(word) < 2 or word in GENERIC or word in _SHORT_STOP:
        return None
    if word in SYNONYMS:
        return SYNONYMS[word]
    if len(word) > 2 and word.endswith("s") and word[-2] not in "su":
        stem = word[:-1]
        if stem in SYNONYMS:
            return SYNONYMS[stem]
        if stem in GENERIC or stem in _SHORT_STOP:
            return None
        return stem
    return word


@lru_cache(maxsize=1024)
def _place_words(places: tuple[str, ...]) -> frozenset[str]:
    return frozenset(w for p in places for w in words(p))


@lru_cache(maxsize=4096)
def name_terms(name: str, exclude: tuple[str, ...] = ()) -> frozenset[str]:
    """``terms`` of one short name (a service, host or alert name), cached: incident versions
    repeat the same few names."""
    return terms((name,), exclude)


def terms(texts: Iterable[str], exclude: Iterable[str] = ()) -> frozenset[str]:
    """Canonical topic terms of ``texts`` (``exclude``: words that name places, e.g. sites).

    A text with an outage word ("everything is down", "offline") also gives ``OUTAGE``."""
    skip = _place_words(tuple(exclude))
    out: set[str] = set()
    outage = False
    for text in texts:
        for w in words(text):
            if w in skip:
                continue
            if w in _OUTAGE_WORDS:
                outage = True
                continue
            if (t := canonical(w)) is not None:
                out.add(t)
    if outage:
        out.add(OUTAGE)
    return frozenset(out)


_REQUEST = re.compile(
    r"^\W*(?:how (?:do|can|to|should)\b|what(?:'s| is| are)\b|where (?:is|can|do)\b|"
    r"can (?:i|we) (?:get|have|order)\b|could (?:i|we) (?:get|have)\b|please (?:add|install|"
    r"create|give|grant|order|set up|change)\b|add me\b|i need (?:a|an|access|read|write)\b|"
    r"need (?:a|an|access)\b|request\b|.{0,40}\brequest$|is it possible\b)", re.IGNORECASE)


_FAULT = re.compile(
    r"\b(?:not|cannot|can'?t|unable|won'?t|doesn'?t|isn'?t|down|broken|fail\w*|errors?|stuck|"
    r"disconnect\w*|drops?|dropping|dropped|dead|offline|outage|unreachable|time[sd]? ?out|"
    r"slow|hang\w*|freez\w*|frozen|crash\w*|lost|nothing|missing|disappeared|rejected|"
    r"loop|no (?:network|signal|dial|connection|internet|power|access)|no funciona|caid[oa]|"
    r"falla|sin (?:red|internet|luz|conexion)|nahi|band|"
    r"no (?!problem|worries|rush|hurry|need)[a-z]{3,}\w*)\b", re.IGNORECASE)


_NOT_OUTAGE = re.compile(
    r"\b(?:fine now|ok now|okay now|working (?:again|now)|back to normal|just (?:fyi|so you know)|"
    r"only (?:on|for) (?:my|me)\b|only me\b|just me\b|on my (?:own )?(?:machine|laptop|pc)\b|"
    r"ya funciona|solo (?:a mi|en mi)|ab (?:theek|chal raha))", re.IGNORECASE)


def not_outage(*texts: str) -> bool:
    """The writer says it is over or theirs alone ("fine now, just FYI", "only on my
    machine"): a personal or past problem, not a symptom of an outage."""
    return any(_NOT_OUTAGE.search(t) for t in texts if t)


def reports_fault(*texts: str) -> bool:
    """The text says something does not work ("cannot connect", "keeps dropping", "no dial
    tone"): a symptom whatever the sentiment score made of it."""
    return any(_FAULT.search(t) for t in texts if t)


def is_request(*texts: str) -> bool:
    """A service request or a question (how do I, please add me, need access, ... request),
    not a report that something broke: help desks file both as tickets (ITIL: a request vs
    an incident)."""
    return any(_REQUEST.search(t) for t in texts if t)


def site_wide(alert_text: str, services: int, hosts: int) -> bool:
    """An incident about a whole site (power, reachability, many services), which users
    describe as "nothing works" rather than by a service name."""
    return bool(_SITE_WIDE_ALERTS.search(alert_text)) or services >= 3 or hosts >= 6


def sites_in(text: str, known: Iterable[str]) -> list[str]:
    """Known site names that ``text`` mentions (a ticket naming its site in text): the name as
    a word, all its parts in any order ("store-014" in "store 14", "dc-north" in "the north
    DC"; numbers compare as numbers), or a part of four letters or more no other known site
    has ("hq-leeds" in "Leeds head office")."""
    low = text.lower()
    known = tuple(known)
    found = set(_SITE_WORD.findall(low))
    hits = {s for s in known if s.lower() in found}
    if len(hits) == 1:
        return sorted(hits)
    whole, alone = _site_index(known)
    toks = {_part(p) for p in _SITE_PART.findall(low)}
    hits.update(s for s, ps in whole if ps <= toks)
    if not hits:
        hits = {s for s, x in alone if x in toks}
    return sorted(hits)


_SITE_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_SITE_PART = re.compile(r"[a-z]+|[0-9]+")


@lru_cache(maxsize=256)
def _site_index(known: tuple[str, ...]) -> tuple[tuple[tuple[str, frozenset[str]], ...],
                                                  tuple[tuple[str, str], ...]]:
    """Of a tenant's sites: (site, its parts) for those of several parts, and (site, part)
    for parts of four letters or more no other site has."""
    parts = {s: _parts(s) for s in known}
    owners: dict[str, int] = {}
    for ps in parts.values():
        for x in ps:
            owners[x] = owners.get(x, 0) + 1
    whole = tuple((s, ps) for s, ps in parts.items() if len(ps) > 1)
    alone = tuple((s, x) for s, ps in parts.items() for x in sorted(ps)
                  if owners[x] == 1 and len(x) >= 4 and x.isalpha() and x not in GENERIC)
    return whole, alone


def _part(p: str) -> str:
    return str(int(p)) if p.isdigit() else p


@lru_cache(maxsize=1024)
def _parts(site: str) -> frozenset[str]:
    return frozenset(_part(p) for p in _SITE_PART.findall(site.lower()))
