"""What a help search or chat question is about: one topic word per query, for spike series.

In order, first hit wins, over the words of the normalised query:

1. a small lexicon of help-desk subjects in English and Spanish (``correo``, ``outlook`` and
   ``e-mail`` are all ``email``); each word is tried as it is, without a plural ``s``/``es``,
   and joined with the next one (``wi fi`` -> ``wifi``). Topic names are the canonical terms of
   ``processors/correlation/terms.py`` where both have the subject, so a spike meets the
   tickets and alerts about the same thing;
2. else the first word that names a thing rather than a state ("invoice" in "invoice
   missing"): at least three letters, not a number, not a generic word (error, slow, site);
3. else ``outage`` if the query only says that something is broken ("site slow", "no
   funciona"), the term correlation gives such texts;
4. else no topic: the interaction counts for its session, not for any spike.
"""

from __future__ import annotations

from processors.help.normalise import STOPWORDS, wordset

OUTAGE = "outage"

LEXICON: dict[str, str] = {}
for _topic, _words in {
    "vpn": "vpn anyconnect globalprotect forticlient openvpn wireguard tunnel tunel",
    "email": "email mail mailbox outlook exchange inbox correo buzon",
    "wifi": "wifi wireless wlan ssid inalambrica inalambrico",
    "network": "network internet ethernet lan dns dhcp",
    "password": "password passwd contrasena clave pin",
    "login": "login logon signin sso mfa 2fa otp okta authenticator autenticacion sesion",
    "printer": "printer print printing scanner impresora imprimir impresion escaner",
    "payroll": "payroll payslip salary paycheck nomina salario sueldo",
    "power": "power electricity blackout ups electricidad apagon luz corriente",
    "phone": "phone telephone voip softphone telefono movil celular",
    "laptop": "laptop computer pc desktop portatil ordenador computadora",
    "web": "web website webpage webportal portal",
    "api": "api app mobile sync syncing sincroniza sincronizar",
    "database": "database db sql basedatos",
    "reports": "report reporting informe",
}.items():
    for _w in _words.split():
        LEXICON[_w] = _topic

BROKEN = wordset("""
down slow outage broken crash crashed crashing fail failed failing failure error errors
unavailable offline unreachable timeout freeze frozen caido caida lento lenta falla fallo
roto rota funciona bloqueado
""")
"""Words that say something is wrong without saying what."""

GENERIC = BROKEN | wordset("""
site sitio page pagina app application aplicacion system sistema problem problema issue
help ayuda fix arreglar reset restablecer change cambiar cambio setup configure configurar
install instalar update actualizar access acceso need necesito cannot working work works
get getting new nuevo nueva use usar open abrir account cuenta connect connection conexion
loading load carga cargar
""")
"""Words that name no subject: never a topic of their own."""


def _lexicon(word: str) -> str | None:
    if word in LEXICON:
        return LEXICON[word]
    for suffix in ("es", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            stem = word[: -len(suffix)]
            if stem in LEXICON:
                return LEXICON[stem]
    return None


def topic_of(normalised: str) -> str | None:
    """The topic of a normalised query (``normalise.normalise_query``), or None."""
    ws = normalised.split()
    for i, w in enumerate(ws):
        hit = _lexicon(w) or (_lexicon(w + ws[i + 1]) if i + 1 < len(ws) else None)
        if hit:
            return hit
    for w in ws:
        if len(w) >= 3 and not w.isdigit() and w not in GENERIC and w not in STOPWORDS:
            return w[:64]
    return OUTAGE if any(w in BROKEN for w in ws) else None
