"""E-mail over SMTP (DESIGN §6): a Dutch text with counts per message type, the oldest deadline
(art. 17.3) and a link to the portal — never message content, never client data."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from knooppunt.notify import register
from knooppunt.notify.base import Bestemming, Kanaal, Melding, Uitslag, moment_nl, typenaam
from knooppunt.protocol.soorten import HUB_BERICHTTYPEN


def _beheer_tekst(melding: Melding) -> str:
    d = melding.details or {}
    wat = {"certificaat_toegevoegd": "toegevoegd aan", "certificaat_ingetrokken": "ingetrokken in"}.get(
        str(d.get("actie")), "gewijzigd in"
    )
    return "\n".join(
        [
            "Goedendag,",
            "",
            f"Er is een certificaat {wat} de registratie van {melding.deelnemer_naam} (OIN "
            f"{melding.deelnemer}) in het adresboek van het Schuldenknooppunt:",
            "",
            f"  vingerafdruk (SHA-256): {d.get('vingerafdruk', '?')}",
            f"  onderwerp:              {d.get('onderwerp', '?')}",
            f"  geldig tot:             {d.get('geldigTot', '?')}",
            f"  gebruik:                {', '.join(d.get('gebruik') or []) or '?'}",
            f"  door:                   {d.get('door', '?')}, op {d.get('moment', '?')}",
            "",
            "Herkent u deze wijziging niet? Neem dan direct contact op met de beheerder van het",
            "knooppunt: met een certificaat in het adresboek kan namens uw organisatie worden verbonden",
            "of kunnen berichten voor u worden versleuteld.",
            "",
            "Deze e-mail bevat geen inhoud van berichten. U krijgt hem altijd bij een wijziging van uw",
            "certificaten, ook als notificaties over nieuwe berichten uit staan.",
            "",
        ]
    )


# How a registration change (hub.adresboek.wijzig) names its fields and values.
_VELDNAMEN = {
    "modules": "modules",
    "gebruiktBsn": "gebruikt BSN (art. 3.2)",
    "standaardAkkoord": "standaard akkoord (art. 7.1)",
    "schuldensoorten": "schuldensoorten",
    "inboxQuotum": "inboxquotum in bytes",
}


def _waarde(waarde: object) -> str:
    if waarde is None:
        return "(standaardwaarde)"
    if isinstance(waarde, bool):
        return "ja" if waarde else "nee"
    if isinstance(waarde, list):
        return ", ".join(str(w) for w in waarde) or "(geen)"
    return str(waarde)


def _registratie_tekst(melding: Melding) -> str:
    d = melding.details or {}
    wijzigingen = d.get("wijzigingen") or {}
    regels = [
        "Goedendag,",
        "",
        f"De registratie van {melding.deelnemer_naam} (OIN {melding.deelnemer}) in het adresboek van het",
        "Schuldenknooppunt is gewijzigd:",
        "",
    ]
    for veld, waarden in wijzigingen.items():
        oud, nieuw = _waarde(waarden.get("oud")), _waarde(waarden.get("nieuw"))
        regels.append(f"  {_VELDNAMEN.get(veld, veld)}: {oud} -> {nieuw}")
    return "\n".join(
        [
            *regels,
            "",
            f"  door: {d.get('door', '?')}, op {d.get('moment', '?')}",
            "",
            "Herkent u deze wijziging niet? Neem dan direct contact op met de beheerder van het",
            "knooppunt: de modules en kenmerken in het adresboek bepalen welke berichten u krijgt.",
            "",
            "Deze e-mail bevat geen inhoud van berichten. U krijgt hem altijd bij een wijziging van uw",
            "registratie, ook als notificaties over nieuwe berichten uit staan.",
            "",
        ]
    )


_TOEGANG = {
    "sleuteltoegang_gevraagd": ("heeft toegang gevraagd tot", "gevraagd"),
    "sleuteltoegang_gegeven": ("heeft toegang gekregen tot", "gegeven"),
    "sleuteltoegang_geweigerd": ("heeft geen toegang gekregen tot", "geweigerd"),
    "sleuteltoegang_beeindigd": ("heeft geen toegang meer tot", "beëindigd"),
}


def _toegang_tekst(melding: Melding) -> str:
    d = melding.details or {}
    wat = _TOEGANG[str(d.get("actie"))][0]
    return "\n".join(
        [
            "Goedendag,",
            "",
            f"Een gebruiker van {melding.deelnemer_naam} (OIN {melding.deelnemer}) {wat} de sleutels van uw",
            "organisatie in het webportaal van het Schuldenknooppunt:",
            "",
            f"  gebruiker: {d.get('gebruiker', '?')} ({d.get('naam') or 'naam onbekend'})",
            f"  door:      {d.get('door', '?')}, op {d.get('moment', '?')}",
            "",
            "Wie toegang heeft tot de sleutels, kan de berichten voor uw organisatie openen en namens",
            "haar ondertekenen. Herkent u deze wijziging niet? Beëindig de toegang in het portaal",
            "(Sleutels en berichten) en neem contact op met de beheerder van het knooppunt.",
            "",
            "Deze e-mail bevat geen inhoud van berichten. U krijgt hem altijd bij een wijziging van de",
            "toegang tot uw sleutels, ook als notificaties over nieuwe berichten uit staan.",
            "",
        ]
    )


def tekst(melding: Melding) -> str:
    if melding.soort == "beheer" and (melding.details or {}).get("actie") in _TOEGANG:
        return _toegang_tekst(melding)
    if melding.soort == "beheer" and (melding.details or {}).get("actie") == "deelnemer_gewijzigd":
        return _registratie_tekst(melding)
    if melding.soort == "beheer":
        return _beheer_tekst(melding)
    totaal = melding.totaal
    regels = [
        "Goedendag,",
        "",
        f"Er {'staat' if totaal == 1 else 'staan'} {totaal} nieuw{'' if totaal == 1 else 'e'} "
        f"bericht{'' if totaal == 1 else 'en'} voor {melding.deelnemer_naam} (OIN {melding.deelnemer}) "
        "klaar in het Schuldenknooppunt:",
        "",
    ]
    regels += [f"  {aantal:>5}  {typenaam(code)} ({code})" for code, aantal in melding.aantallen.items()]
    # DESIGN §6: only a participant's message tells its sender when it expires; the hub's own
    # notices (foutbericht, ontvangstbevestiging) expire silently.
    van_deelnemers = any(code not in HUB_BERICHTTYPEN for code in melding.aantallen)
    if melding.oudste_verloopt_op is not None and van_deelnemers:
        regels += [
            "",
            f"Bevestig de ontvangst vóór {moment_nl(melding.oudste_verloopt_op)} (art. 17.3). Een bericht",
            "dat dan niet bevestigd is, verloopt: de inhoud wordt gewist en de afzender krijgt bericht",
            "(art. 17.5).",
        ]
    elif melding.oudste_verloopt_op is not None:
        regels += [
            "",
            "Dit zijn meldingen van het Schuldenknooppunt zelf. Bevestig ze vóór "
            f"{moment_nl(melding.oudste_verloopt_op)};",
            "een melding die dan niet bevestigd is, verloopt zonder verder bericht.",
        ]
    if melding.portaal_url:
        regels += ["", f"Bekijk en download de berichten in het webportaal: {melding.portaal_url}"]
    else:
        regels += ["", "Haal de berichten op via uw koppeling met het Schuldenknooppunt."]
    regels += [
        "",
        "Deze e-mail bevat geen inhoud van berichten. U krijgt hem omdat uw organisatie notificaties",
        "van het Schuldenknooppunt heeft aangezet; de beheerder van het knooppunt kan dat wijzigen.",
        "",
    ]
    return "\n".join(regels)


def onderwerp(melding: Melding) -> str:
    """The subject line: one line, whatever the participant's name holds (the adresboek refuses
    control characters, but a name registered before that rule may still carry a line break)."""
    return " ".join(_onderwerp(melding).split())


def _onderwerp(melding: Melding) -> str:
    if melding.soort == "beheer" and (melding.details or {}).get("actie") in _TOEGANG:
        wat = _TOEGANG[str((melding.details or {}).get("actie"))][1]
        return f"Schuldenknooppunt: toegang tot de sleutels van {melding.deelnemer_naam} {wat}"
    if melding.soort == "beheer" and (melding.details or {}).get("actie") == "deelnemer_gewijzigd":
        return f"Schuldenknooppunt: wijziging in de registratie van {melding.deelnemer_naam}"
    if melding.soort == "beheer":
        return f"Schuldenknooppunt: wijziging in de certificaten van {melding.deelnemer_naam}"
    totaal = melding.totaal
    return (
        f"Schuldenknooppunt: {totaal} nieuw{'' if totaal == 1 else 'e'} bericht{'' if totaal == 1 else 'en'}"
    )


@register("email")
class EmailKanaal(Kanaal):
    def opstellen(self, melding: Melding, adressen: tuple[str, ...]) -> EmailMessage:
        bericht = EmailMessage()
        bericht["From"] = self.settings.smtp_afzender
        bericht["To"] = ", ".join(adressen)
        bericht["Subject"] = onderwerp(melding)
        bericht["Date"] = formatdate(usegmt=True)
        bericht["Message-ID"] = make_msgid(domain=self.settings.smtp_afzender.rpartition("@")[2] or None)
        bericht["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies
        bericht.set_content(tekst(melding))
        return bericht

    def verstuur(self, melding: Melding, bestemming: Bestemming) -> Uitslag:
        if not bestemming.emailadressen:
            return Uitslag.mislukt("er is geen e-mailadres (meer) ingesteld", definitief=True)
        s = self.settings
        if not s.smtp_host:
            return Uitslag.mislukt("KNOOPPUNT_SMTP_HOST is niet ingesteld; de hub kan geen e-mail versturen")
        bericht = self.opstellen(melding, bestemming.emailadressen)
        try:
            with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.notificatie_timeout_seconden) as smtp:
                if s.smtp_starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if s.smtp_gebruiker:
                    smtp.login(s.smtp_gebruiker, s.smtp_wachtwoord.get_secret_value())
                geweigerd = smtp.send_message(bericht)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reden = next(iter(exc.recipients.values()))
            return Uitslag.mislukt(
                f"SMTP {code}: alle adressen geweigerd ({_tekst(reden)})", antwoordcode=code
            )
        except smtplib.SMTPResponseException as exc:
            return Uitslag.mislukt(
                f"SMTP {exc.smtp_code}: {_tekst(exc.smtp_error)}", antwoordcode=exc.smtp_code
            )
        except (smtplib.SMTPException, OSError) as exc:
            return Uitslag.mislukt(f"SMTP-verbinding mislukt: {type(exc).__name__}: {exc}")
        if geweigerd:
            # Delivered to the others; retrying would send them a duplicate.
            return Uitslag(
                True,
                antwoordcode=250,
                fout=f"geweigerd door de mailserver: {', '.join(sorted(geweigerd))}"[:500],
            )
        return Uitslag(True, antwoordcode=250)


def _tekst(waarde: bytes | str) -> str:
    return waarde.decode(errors="replace") if isinstance(waarde, bytes) else str(waarde)
