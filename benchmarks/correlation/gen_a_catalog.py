"""What generator A's tenants run and what their people write: services with their alerts,
ticket texts and help searches when they break, and everyday tickets and searches that are
about something else (some on the same subjects: a VPN how-to during a VPN outage exists)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Service:
    name: str
    """The ``service`` label of its alerts (None for ones nobody monitors: a user-only outage)."""
    hosts: str
    """Host name prefix: ``<site>-<hosts>-NN``."""
    alerts: tuple[tuple[str, str, str], ...]
    """(alertname, severity, summary template) fired when it breaks."""
    subjects: tuple[str, ...]
    texts: tuple[str, ...]
    queries: tuple[str, ...]
    articles: tuple[str, ...]
    ticket_service: str
    """What a user puts in the ticket's service field, when they fill it in."""


SERVICES = {
    "vpn": Service(
        "vpn-gw", "vpn",
        (("VpnTunnelDown", "critical", "IPsec tunnel down on {host}"),
         ("BlackboxProbeFailed", "critical", "Probe of https://{host}/ failed"),
         ("VpnGatewayHighSessionDrops", "warning", "Session drops on {host} above 20%")),
        ("VPN not connecting", "Cannot connect to VPN", "AnyConnect keeps disconnecting",
         "VPN error 809", "remote access broken", "Lost VPN connection during a call",
         "GlobalProtect says gateway not responding"),
        ("Since about {clock} I cannot connect to the VPN from {place}. It just times out.",
         "The whole team at {place} lost the VPN, we cannot reach any internal system.",
         "AnyConnect drops every two minutes, I cannot work like this.",
         "VPN client says the gateway is not responding. Tried twice, rebooted, same thing.",
         "Urgent: customer demo in 20 minutes and the VPN is down for everyone here."),
        ("vpn not connecting", "vpn error 809", "anyconnect gateway not responding",
         "vpn disconnects", "how to reset vpn client", "globalprotect timeout"),
        ("kb-vpn-troubleshoot", "kb-vpn-setup", "kb-remote-access"), "vpn"),
    "email": Service(
        "exchange", "mail",
        (("SmtpQueueBacklog", "critical", "SMTP queue on {host} above 5000 messages"),
         ("ExchangeTransportDown", "critical", "MSExchangeTransport stopped on {host}"),
         ("HighLatency", "warning", "p99 latency of OWA on {host} is 8s")),
        ("Outlook not receiving emails", "Emails stuck in outbox", "Cannot send mail",
         "No new email since this morning", "Outlook disconnected", "mailbox not updating"),
        ("Nothing has arrived in my inbox since {clock}, and my sent mails sit in the outbox.",
         "Outlook shows 'disconnected' at {place}, colleagues have the same problem.",
         "Clients say our replies never arrived. This is critical for the quarter close.",
         "Webmail works but is extremely slow, the desktop client does not sync."),
        ("outlook not syncing", "email stuck outbox", "cannot send email", "owa slow",
         "outlook disconnected"),
        ("kb-outlook-sync", "kb-email-outbox", "kb-webmail"), "email"),
    "wifi": Service(
        "wlan-ctrl", "wlc",
        (("AccessPointDown", "warning", "Access point {host}-ap7 is down"),
         ("WlanControllerUnreachable", "critical", "Wireless controller {host} unreachable")),
        ("Wifi keeps dropping", "No wireless on floor 2", "Cannot join the corporate WiFi",
         "wi-fi very slow in the meeting rooms", "Laptop does not see the office network"),
        ("The wifi at {place} disconnects every few minutes since {clock}.",
         "None of us on the second floor can join the wireless network.",
         "Meeting room wifi is unusable, we had to cancel a video call.",
         "My laptop cannot find the corporate SSID anymore, the phone neither."),
        ("wifi not working", "wifi keeps disconnecting", "cannot connect to wireless",
         "corporate ssid missing"),
        ("kb-wifi-join", "kb-wifi-troubleshoot"), "wifi"),
    "sso": Service(
        "sso", "idp",
        (("SsoHighErrorRate", "critical", "SAML assertion errors on {host} above 30%"),
         ("LdapBindFailures", "critical", "LDAP binds failing from {host}")),
        ("Cannot log in to anything", "SSO login loop", "MFA code not accepted",
         "Login page keeps reloading", "Locked out of all apps"),
        ("Every app sends me back to the login page since {clock}.",
         "MFA codes are rejected for me and two colleagues at {place}.",
         "I get 'authentication failed' on the portal, the password is right.",
         "Nobody here can sign in to the intranet or to the ERP."),
        ("login loop", "mfa code not accepted", "sso error", "cannot sign in",
         "authentication failed"),
        ("kb-sso-help", "kb-mfa-reset"), "sso"),
    "fileshare": Service(
        "files", "nas",
        (("SmbServiceDown", "critical", "SMB service down on {host}"),
         ("NasVolumeDegraded", "warning", "Volume vol2 degraded on {host}")),
        ("Shared drive not mapping", "S: drive missing", "Cannot open files on the share",
         "Network drive disconnected"),
        ("The S: drive disappeared this morning at {place}, we cannot open the project files.",
         "Opening anything from the shared drive hangs Explorer.",
         "File share says 'network path not found' for everyone in accounting."),
        ("shared drive missing", "map network drive", "network path not found"),
        ("kb-map-drive", "kb-file-share"), "fileshare"),
    "erp": Service(
        "sap-erp", "erp",
        (("HighErrorRate", "critical", "HTTP 5xx rate of sap-erp on {host} above 10%"),
         ("HighLatency", "warning", "p99 latency of sap-erp on {host} is 12s")),
        ("SAP very slow", "Cannot post invoices in SAP", "ERP timeouts",
         "SAP transaction hangs"),
        ("SAP takes minutes for every transaction since {clock}.",
         "Posting invoices in the ERP fails with a timeout, month end is tomorrow.",
         "The SAP GUI freezes at {place}, colleagues report the same."),
        ("sap slow", "sap timeout", "erp invoice posting error"),
        ("kb-sap-gui", "kb-erp-faq"), "erp"),
    "phone": Service(
        "voip-pbx", "pbx",
        (("SipTrunkDown", "critical", "SIP trunk 2 down on {host}"),
         ("HighCallDropRate", "warning", "Call drops on {host} above 5%")),
        ("Desk phone has no dial tone", "Calls dropping", "Cannot call outside",
         "Phones dead at reception"),
        ("Our desk phones at {place} have no dial tone since {clock}.",
         "External calls drop after a few seconds, customers are complaining.",
         "Reception cannot take or make any call."),
        ("phone no dial tone", "calls dropping", "voip not working"),
        ("kb-desk-phone", "kb-voip"), "phone"),
}
POWER = Service(
    "facility", "ups",
    (("UPSOnBattery", "warning", "UPS ups-01 on battery"),
     ("SitePowerLoss", "critical", "Mains power lost at the site")),
    ("Power cut at the office", "Everything is down", "No network at all",
     "Nothing works on our floor", "Lights out, PCs off"),
    ("Power went out at {place} around {clock}, nothing works.",
     "Everything is down here: no network, no phones, screens black.",
     "Is there an outage? Nothing on our floor works since {clock}.",
     "The whole office is offline."),
    ("power outage office", "nothing works", "is there an outage", "network down"),
    ("kb-status", "kb-outage-faq"), "")

# everyday tickets about something else: (subject, text, ticket service field)
EVERYDAY = (
    ("Printer on floor 3 jammed", "The printer near the kitchen jams on every page.", "printer"),
    ("Toner empty", "Printer PRN-204 is out of toner, can someone replace it?", "printer"),
    ("Password reset", "I forgot my password after holidays, please reset it.", "sso"),
    ("New laptop request", "Our new hire starts Monday and needs a laptop.", ""),
    ("Need Adobe Acrobat license", "Please install Acrobat Pro for contract review.", ""),
    ("Access to finance folder", "I need read access to the finance reports folder.", ""),
    ("Monitor flickering", "My second monitor flickers, maybe the cable.", ""),
    ("Teams camera not detected", "The webcam is not detected in calls.", ""),
    ("Headset broken", "My headset microphone stopped working.", ""),
    ("Keyboard missing keys", "Two keys came off my keyboard.", ""),
    ("How do I set up VPN on my new laptop?", "I got a new laptop, how do I install the VPN "
     "client? No rush.", "vpn"),
    ("Add me to the sales mailing list", "Please add me to the sales distribution list.",
     "email"),
    ("Email signature", "How do I change my email signature to the new logo?", "email"),
    ("Guest wifi password", "What is this week's guest wifi password for a visitor?", "wifi"),
    ("Shared mailbox access", "I need access to the support shared mailbox.", "email"),
    ("Software update popup", "A software update keeps asking to restart.", ""),
    ("Conference room booking broken", "The room panel shows the wrong bookings.", ""),
    ("Laptop battery drains fast", "My laptop battery lasts one hour.", ""),
    ("Excel crashes", "Excel crashes when I open the budget file.", ""),
    ("Request a second screen", "Could I get a second screen for my desk?", ""),
)
EVERYDAY_QUERIES = (
    ("change password", "kb-password"), ("install printer", "kb-printer"),
    ("expense report", "kb-expenses"), ("holiday calendar", "kb-hr-holidays"),
    ("set up email signature", "kb-signature"), ("vpn setup new laptop", "kb-vpn-setup"),
    ("book meeting room", "kb-rooms"), ("guest wifi", "kb-guest-wifi"),
    ("teams camera", "kb-teams"), ("order equipment", "kb-equipment"),
    ("excel crash", "kb-office"), ("printer toner", "kb-printer"),
    ("outlook calendar sharing", "kb-calendar"), ("reset mfa device", "kb-mfa-reset"),
)
FOLLOW_UPS = ("Still not working!!", "Any update? We are blocked.", "Same here, please hurry.",
              "This is now affecting the whole floor.", "Is anyone looking at this?")
NOISE_ALERTS = (("HostHighCpuLoad", "warning", "CPU load above 90% on {host}"),
                ("HostOutOfDiskSpace", "critical", "Disk almost full on {host}"),
                ("HostMemoryPressure", "warning", "Memory above 95% on {host}"),
                ("ContainerRestarting", "warning", "Container restarting on {host}"),
                ("CertificateExpiringSoon", "warning", "TLS certificate on {host} expires "
                 "in 10 days"))
NOISE_SERVICES = ("intranet", "build-ci", "monitoring", "backup", "hr-portal", "print-srv")
PLACES = {"par1": "the Paris office", "lon1": "the London office", "fra1": "Frankfurt",
          "nyc1": "the New York office", "sgp1": "the Singapore office", "mad1": "Madrid"}
