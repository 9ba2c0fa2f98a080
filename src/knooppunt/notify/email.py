"""E-mail over SMTP (DESIGN §6): a Dutch text with counts per message type, the oldest deadline
(art. 17.3) and a link to the portal — never message content, never client data."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Collection
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from knooppunt.notify import register
from knooppunt.notify.base import Bestemming, Kanaal, Melding, Uitslag, moment_nl, typenaam
from knooppunt.protocol.catalogus import CATALOGUS
from knooppunt.protocol.soorten import HUB_BERICHTTYPEN

_ONTWIKKEL = "portaal:dev:"


def door_in_woorden(door: object, *, beheerders: Collection[str] = ()) -> str:
    """Who made a change, as people say it, from the audit log's actor (hub.audit): a person of the
    portal by their name where the hub knows it (the development login's name is in its actor),
    else "een gebruiker van het portaal"; an operator — on the command line, or in the portal with
    an eHerkenning subject of KNOOPPUNT_PORTAAL_BEHEERDERS (``beheerders``) — "beheer van het
    knooppunt"; the hub's own jobs "het knooppunt zelf". Anything else as it is."""
    actor = str(door or "")
    portaal = actor.startswith("portaal:")
    if actor.startswith("beheer:") or (portaal and actor.removeprefix("portaal:") in beheerders):
        return "beheer van het knooppunt"
    if actor == "KNOOPPUNT":
        return "het knooppunt zelf"
    if actor.startswith(_ONTWIKKEL) and actor.removeprefix(_ONTWIKKEL).strip():
        return actor.removeprefix(_ONTWIKKEL).strip()
    if portaal:
        return "een gebruiker van het portaal"
    return actor or "onbekend"


def _moment(waarde: object) -> str:
    """An ISO 8601 moment of the details as people write it in Europe/Amsterdam."""
    try:
        moment = datetime.fromisoformat(str(waarde))
    except ValueError:
        return str(waarde) if waarde else "?"
    return moment_nl(moment) if moment.tzinfo is not None else str(waarde)


def _door_en_moment(d: dict[str, object], beheerders: Collection[str]) -> str:
    return f"{door_in_woorden(d.get('door'), beheerders=beheerders)}, op {_moment(d.get('moment'))}"


def _beheer_tekst(melding: Melding, beheerders: Collection[str]) -> str:
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
            f"  geldig tot:             {_moment(d.get('geldigTot'))}",
            f"  gebruik:                {', '.join(d.get('gebruik') or []) or '?'}",
            f"  door:                   {_door_en_moment(d, beheerders)}",
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


def _module(keuze: str) -> str:
    """``schuldregeling:2.0`` (the adresboek's notation) as the approval mail writes it:
    "Schuldregeling (versie 2.0)"; a module without versions has them all."""
    code, _, versies = keuze.partition(":")
    genoemd = [v for v in versies.split(",") if v] or list(CATALOGUS.moduleversies(code))
    return CATALOGUS.modulenaam(code) + (f" (versie {', '.join(genoemd)})" if genoemd else "")


def _modules(waarde: object) -> list[str]:
    if not isinstance(waarde, list) or not waarde:
        return ["      (geen)"]
    return [f"      - {_module(str(keuze))}" for keuze in waarde]


def _waarde(waarde: object) -> str:
    if waarde is None:
        return "(standaardwaarde)"
    if isinstance(waarde, bool):
        return "ja" if waarde else "nee"
    if isinstance(waarde, list):
        return ", ".join(str(w) for w in waarde) or "(geen)"
    return str(waarde)


def _registratie_tekst(melding: Melding, beheerders: Collection[str]) -> str:
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
        if veld == "modules":  # names and versions, one module a line
            regels += ["  modules, was:", *_modules(waarden.get("oud"))]
            regels += ["  modules, nu:", *_modules(waarden.get("nieuw"))]
            continue
        oud, nieuw = _waarde(waarden.get("oud")), _waarde(waarden.get("nieuw"))
        regels.append(f"  {_VELDNAMEN.get(veld, veld)}: {oud} -> {nieuw}")
    return "\n".join(
        [
            *regels,
            "",
            f"  door: {_door_en_moment(d, beheerders)}",
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


def _toegang_tekst(melding: Melding, beheerders: Collection[str]) -> str:
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
            f"  door:      {_door_en_moment(d, beheerders)}",
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


def tekst(melding: Melding, *, beheerders: Collection[str] = ()) -> str:
    """The e-mail's text. ``beheerders``: KNOOPPUNT_PORTAAL_BEHEERDERS, to name a change they made
    in the portal as beheer's (``door_in_woorden``)."""
    if melding.soort == "beheer" and (melding.details or {}).get("actie") in _TOEGANG:
        return _toegang_tekst(melding, beheerders)
    if melding.soort == "beheer" and (melding.details or {}).get("actie") == "deelnemer_gewijzigd":
        return _registratie_tekst(melding, beheerders)
    if melding.soort == "beheer":
        return _beheer_tekst(melding, beheerders)
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
        bericht.set_content(tekst(melding, beheerders=self.settings.portaal_beheerders))
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
