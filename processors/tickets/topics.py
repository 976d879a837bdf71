"""What a ticket text is about (vpn, email, power, ...): a small word list per topic, in
English, Spanish, romanised Hindi/Telugu and the other languages we read, so correlation can
join tickets with alerts about the same thing. One dictionary lookup per word."""

from __future__ import annotations

_TOPICS = {
    "vpn": "vpn forticlient anyconnect globalprotect sslvpn",
    "email": "email mail mails outlook mailbox mailboxes inbox exchange correo correos owa "
             "postfach courriel",
    "wifi": "wifi wlan wireless ssid",
    "network": "network lan switch internet router fibre fiber isp uplink poe red netzwerk "
               "reseau rete rede conexion ethernet dns dhcp",
    "power": "power ups electricity breaker bijli luz corriente strom courant energia electric "
             "electrical outage generator",
    "printer": "printer printers print printing impresora drucker imprimante stampante "
               "impressora toner label labels",
    "phone": "phone phones telephony softphone softphones sip trunk telefono telefonos calls "
             "linea telefon telephone",
    "access": "badge badges door doors turnstile tarjeta tarjetas acceso",
    "hvac": "ac aircon crac cooling hvac temperature klimaanlage climatizacion",
    "safety": "gas lift elevator ascensor aufzug incendio aag dhuan pogalu flames burning "
              "evacuation",
    "security": "phishing ransomware malware virus hacked mfa suspicious anydesk teamviewer "
                "encrypted breach spray",
    "account": "password passwords login account locked contrasena passwort senha credentials "
               "signin",
    "erp": "erp sap tally posting postings invoice invoices facturar ledger",
    "payroll": "payroll salary salaries nomina payslip wages",
    "storage": "disk drive share volume backup storage nas",
    "laptop": "laptop pc computer monitor screen keyboard portatil ordenador computadora "
              "bitlocker",
    "meeting": "teams zoom display projector camera av conference hdmi",
}
WORD_TOPIC: dict[str, str] = {w: topic for topic, words in _TOPICS.items()
                              for w in words.split()}


def topics_of(toks: list[str], limit: int = 4) -> list[str]:
    """Topics in the order the text first names them."""
    found: list[str] = []
    get = WORD_TOPIC.get
    for topic in [tp for t in toks[:200] if (tp := get(t)) is not None]:
        if topic not in found:
            found.append(topic)
            if len(found) == limit:
                break
    return found
