"""Templates and the filters they share: Dutch dates in Europe/Amsterdam, names of message types
and statuses, the hub's codes as Dutch sentences, singular/plural and sizes with a decimal comma.
Jinja2 autoescapes every value (the templates never mark user input safe)."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context

from knooppunt.hub.mailbox import KNOOPPUNT, WEIGERREDENEN, Instellingen
from knooppunt.portaal.csvformaat import EXCEL_CSV
from knooppunt.portaal.sessies import LOGIN_CSRF_COOKIE, huidige
from knooppunt.protocol.catalogus import CATALOGUS
from knooppunt.protocol.soorten import Berichttype
from knooppunt.store import berichten as store
from knooppunt.store import clientlabels
from knooppunt.store.db import db_nu, transactie

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
_DAGEN = ("ma", "di", "wo", "do", "vr", "za", "zo")
_MAANDEN = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")

STATUSSEN = {
    "aangeboden": "Nieuw",
    # Fetched: by the API, a download or *Bekijken* in the portal (each counts as a download, 17.4).
    "opgehaald": "Opgehaald",
    "bevestigd": "Bevestigd",
    "beantwoord": "Beantwoord",
    "verlopen": "Verlopen",
    "geweigerd": "Geweigerd",
}
STATUSKLASSEN = {
    "aangeboden": "nieuw",
    "opgehaald": "gedownload",
    "bevestigd": "bevestigd",
    "beantwoord": "beantwoord",
    # A refused message is a failure like an expired one: the same (red) look; portaal.css has no
    # rule of its own for it.
    "verlopen": "verlopen",
    "geweigerd": "geweigerd verlopen",
}
"""The CSS classes of a status badge (``status <klasse>``)."""
ROLLEN = {
    "SHV": "Schuldhulpverlener",
    "SE": "Schuldeiser",
    "WF": "Waarborgfonds",
    "BW": "Bewindvoerder",
    "KNOOPPUNT": "Knooppunt",
}

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def _lokaal(moment: datetime | str | None) -> datetime | None:
    if moment is None or moment == "":
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(AMSTERDAM)


def tijdstip(moment: datetime | str | None) -> str:
    """``ma 30 nov 2026 23:59``"""
    lokaal = _lokaal(moment)
    if lokaal is None:
        return "—"
    return (
        f"{_DAGEN[lokaal.weekday()]} {lokaal.day} {_MAANDEN[lokaal.month - 1]} {lokaal.year} {lokaal:%H:%M}"
    )


def datum(moment: datetime | str | None) -> str:
    lokaal = _lokaal(moment)
    if lokaal is None:
        return "—"
    return f"{_DAGEN[lokaal.weekday()]} {lokaal.day} {_MAANDEN[lokaal.month - 1]} {lokaal.year}"


def iso(moment: datetime | str | None) -> str:
    lokaal = _lokaal(moment)
    return lokaal.isoformat(timespec="minutes") if lokaal else ""


def berichttype_naam(code: str, module: str = "schuldregeling", versie: str | None = None) -> str:
    """The handbook's name of a type in its module and version; without a version its oldest (the
    name the handbook gave it), falling back to any module that has the code."""
    versies = CATALOGUS.versies(module, code)
    if versie is None and versies:
        versie = versies[0]
    if code in WEERGAVENAMEN:
        return WEERGAVENAMEN[code]
    gevonden = CATALOGUS.zoek(module, code, versie) or CATALOGUS.zoek(module, code)
    if gevonden is None:
        elders = CATALOGUS.per_code(code)
        return elders[0].naam if elders else code
    return gevonden.naam


WEERGAVENAMEN = {"foutbericht": "Foutbericht (van knooppunt)"}
"""Names the portal shows instead of the catalogue's (which the API keeps): the handbook writes
*foutbericht* as one word (art. 17.1i)."""


def bericht_naam(bericht: Any) -> str:
    """The name of a message's type in its own module and version (a `Bericht` or a row of it)."""
    return berichttype_naam(
        bericht.berichttype,
        getattr(bericht, "module", None) or "schuldregeling",
        getattr(bericht, "versie", None),
    )


modulenaam = CATALOGUS.modulenaam


def per_soort(aantallen: Mapping[tuple[str, str, str], int]) -> list[tuple[str, str, int]]:
    """Counts per (module, berichttype, versie) as the overviews show them: per (name, module), the
    name of each type in its own module and version (`berichttype_naam`) — so one message has one
    name on every page, and versions that share a name share a row. Schuldregeling first, then the
    other modules, each by name."""
    samen: dict[tuple[str, str], int] = {}
    for (module, code, versie), aantal in aantallen.items():
        sleutel = (berichttype_naam(code, module, versie), module)
        samen[sleutel] = samen.get(sleutel, 0) + aantal
    rijen = [(naam, module, aantal) for (naam, module), aantal in samen.items()]
    return sorted(rijen, key=lambda r: (r[1] != "schuldregeling", modulenaam(r[1]), r[0]))


def bedrag(centen: int | None) -> str:
    """Euro cents as ``€ 1.234,56``."""
    if centen is None:
        return "—"
    teken = "-" if centen < 0 else ""
    euro, cent = divmod(abs(int(centen)), 100)
    return f"{teken}€ {euro:,}".replace(",", ".") + f",{cent:02d}"


def meervoud(aantal: int, enkelvoud: str, meervoudsvorm: str) -> str:
    """Dutch singular or plural: ``meervoud(1, "rij", "rijen")`` is "1 rij", 2 gives "2 rijen"; a
    form with ``{n}`` places the number itself (``"Er is {n} nieuw bericht"``)."""
    vorm = enkelvoud if aantal == 1 else meervoudsvorm
    return vorm.format(n=aantal) if "{n}" in vorm else f"{aantal} {vorm}"


def werkdagen(aantal: int) -> str:
    """A term in words: "1 werkdag", "5 werkdagen"."""
    return meervoud(aantal, "werkdag", "werkdagen")


def _instellingen(context: Context) -> Instellingen:
    instellingen: Instellingen = context["request"].app.state.runtime.instellingen
    return instellingen


@pass_context
def bevestigingstermijn(context: Context) -> str:
    """The bevestigingstermijn this hub applies, in words ("5 werkdagen"): term lengths are
    configuration (DESIGN §6), so the pages never promise the default."""
    return werkdagen(_instellingen(context).bevestigingstermijn)


@pass_context
def antwoordtermijn(context: Context, soort: Any) -> str | None:
    """The answer term of a type (a `Berichttype`) or a message's type (a `Bericht`) as this hub
    applies it, in words: the module's own, else that of the protocol version (DESIGN §3a, §6)."""
    if not isinstance(soort, Berichttype):
        gevonden = CATALOGUS.zoek(
            getattr(soort, "module", None) or "schuldregeling",
            soort.berichttype,
            getattr(soort, "versie", None),
        )
        if gevonden is None:
            return None
        soort = gevonden
    return werkdagen(_instellingen(context).antwoordtermijn_van(soort))


def grootte(aantal_bytes: int | float | None) -> str:
    """A size as people read it, with a decimal comma: ``5,0 MB``, ``12 kB``, ``300 bytes``
    (MB and kB of 1,024, as the portal's limits are)."""
    if aantal_bytes is None:
        return "—"
    waarde = float(aantal_bytes)
    if waarde >= 1024 * 1024:
        return f"{waarde / (1024 * 1024):.1f} MB".replace(".", ",")
    if waarde >= 1024:
        return f"{round(waarde / 1024)} kB"
    return meervoud(int(waarde), "byte", "bytes")


# --- the hub's codes as Dutch ------------------------------------------------------------------------

FOUTCODES = {
    "AL_BEVESTIGD": "Dit bericht was al bevestigd.",
    "AL_VERWERKT": "De ontvanger had een bericht met dit referentienummer al verwerkt.",
    "BEVESTIGD": "De ontvanger heeft het bericht bevestigd.",
    "GEEN_AKKOORD": "Deze schuldeiser is (nog) niet akkoord gegaan.",
    "GEEN_BETAALVOORSTEL_NA_STANDAARD_AKKOORD": (
        "Na een standaard akkoord krijgt de schuldeiser geen betaalvoorstel."
    ),
    "GEEN_EERDER_CONTACT": "U hebt in dit traject nog geen berichten met deze partij uitgewisseld.",
    "GEEN_STANDAARD_AKKOORD": (
        "Uw organisatie staat in het adresboek niet als schuldeiser die standaard akkoord gaat."
    ),
    "GEEN_SLEUTEL": "Het portaal heeft geen bruikbare sleutel van uw organisatie.",
    "GEWEIGERD": "De ontvanger heeft het bericht geweigerd.",
    "INBOX_VOL": "De ontvanger heeft te veel onbevestigde berichten staan; probeer het later opnieuw.",
    "MODULE_NIET_ACTIEF": "U of de ontvanger doet niet mee aan deze module.",
    "NIET_BEREIKBAAR": "De ontvanger is niet via het knooppunt bereikbaar.",
    "NIET_GEVONDEN": "Het bericht is niet gevonden.",
    "NIET_VERSTUURD": "Het bericht is niet verstuurd.",
    "NIET_WEIGERBAAR": "Dit bericht kan niet geweigerd worden.",
    "ONBEKENDE_ONTVANGER": "De ontvanger staat niet in het adresboek van het knooppunt.",
    "ONBEKENDE_VERSIE": "Dit bericht bestaat niet in deze versie van de module.",
    "ONBEKEND_BERICHTTYPE": "Deze soort bericht kent het knooppunt niet.",
    "ONGELDIGE_CONVERSATIE": "Het traject (conversatieReferentienummer) klopt niet.",
    "ONGELDIGE_INHOUD": "De inhoud van het bericht klopt niet.",
    "ONGELDIGE_VERWIJZING": "Het bericht waarnaar verwezen wordt, klopt niet.",
    "ONGELDIG_ANTWOORD": "Het bericht waarop u antwoordt, klopt niet of is niet aan u gericht.",
    "ONGELDIG_VERZOEK": "Het verzoek klopt niet.",
    "ONJUISTE_SCHULDENSOORT": "De schuldeiser heeft deze schuldensoort niet in het adresboek.",
    "ONTVANGER_GEBRUIKT_BSN": "De schuldeiser identificeert klanten op BSN.",
    "ONTVANGER_GEBRUIKT_GEEN_BSN": "De schuldeiser gebruikt geen BSN.",
    "REFERENTIENUMMER_CONFLICT": "Dit referentienummer is al gebruikt.",
    "ROL_NIET_TOEGESTAAN": "Dit bericht mag niet tussen deze partijen.",
    "TE_VEEL_OPEN": "U hebt te veel onbevestigde berichten bij deze ontvanger staan.",
    "VERLOPEN": "Het bericht is niet op tijd bevestigd en is verlopen.",
    "VERSIE_NIET_ONDERSTEUND": "U of de ontvanger gebruikt deze versie van de module niet.",
    **{code: reden[:1].upper() + reden[1:] + "." for code, reden in WEIGERREDENEN.items()},
}
"""Every code of the hub (and the portal's own two) a user may meet, as a Dutch sentence."""


def foutcode(code: str | None) -> str:
    """A refusal's code as a Dutch sentence; an unknown code as a general one (never the code)."""
    if not code:
        return ""
    return FOUTCODES.get(code, "Het knooppunt heeft het bericht niet aangenomen.")


_GECITEERD = re.compile(r"['‘]([a-z][a-z0-9]*(?:_[a-z0-9]+)*)['’]")
_CODEWOORD = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
_MODULECODE = re.compile(r"\bmodule ['‘]([a-z]+)['’]|\bmodule ([a-z]+)\b")


def _typenaam_of_none(code: str) -> str | None:
    naam = berichttype_naam(code)
    return naam if naam != code else None


def leesbare_codes(tekst: str | None) -> str:
    """A text of the hub with the message types it names by code (``'kennisgeving_bsn'``,
    ``saldoverzoek_zorg``) replaced by their names in the handbook (‘Klant (BSN) gemeld voor SHV’),
    and its modules (``module 'pauzeknop'``) by theirs (module ‘Landelijke pauzeknop’)."""
    if not tekst:
        return ""

    def geciteerd(m: re.Match[str]) -> str:
        naam = _typenaam_of_none(m.group(1))
        return f"‘{naam}’" if naam else m.group(0)

    def woord(m: re.Match[str]) -> str:
        naam = _typenaam_of_none(m.group(0))
        return f"‘{naam}’" if naam else m.group(0)

    def module(m: re.Match[str]) -> str:
        code = m.group(1) or m.group(2)
        return f"module ‘{CATALOGUS.modulenaam(code)}’" if CATALOGUS.module(code) is not None else m.group(0)

    tekst = _MODULECODE.sub(module, tekst)
    return _CODEWOORD.sub(woord, _GECITEERD.sub(geciteerd, tekst))


def fouttekst(code: str | None, detail: str | None) -> str:
    """A refusal as the user reads it: the hub's explanation with names instead of codes, or the
    code's sentence when there is no explanation."""
    uitleg = leesbare_codes(detail).strip()
    if not uitleg:
        return foutcode(code)
    uitleg = uitleg[:1].upper() + uitleg[1:]
    return uitleg if uitleg.endswith((".", "?", "!")) else uitleg + "."


def melding_tekst(
    melding: Mapping[str, Any] | None, over: Any = None, namen: Mapping[str, str] | None = None
) -> str:
    """A notice of the hub (foutbericht, ontvangstbevestiging) as a Dutch sentence about the message
    it concerns (``over``, a `Bericht` or row, when known): its name, its recipient, and why."""
    if not melding:
        return ""
    code = str(melding.get("code", ""))
    wat = bericht_naam(over) if over is not None else "Uw bericht"
    ontvanger = str(melding.get("ontvanger") or (over.ontvanger if over is not None else ""))
    wie = (namen or {}).get(ontvanger) or (
        "de ontvanger" if not ontvanger or ontvanger == KNOOPPUNT else ontvanger
    )
    if code == "VERLOPEN":
        return (
            f"{wat} aan {wie} is niet binnen de bevestigingstermijn bevestigd en is verlopen: de inhoud is "
            "verwijderd. Stuur het zo nodig opnieuw (art. 17.5)."
        )
    if code == "GEWEIGERD":
        reden = WEIGERREDENEN.get(str(melding.get("reden", "")), "de inhoud was niet te openen")
        return f"{wat} aan {wie} is geweigerd: {reden}. De inhoud is verwijderd; stuur het opnieuw."
    if code == "BEVESTIGD":
        return f"{wat} is bevestigd door {wie}."
    return fouttekst(code, str(melding.get("omschrijving", "")))


_OIN = re.compile(r"\b\d{20}\b")


def oins_in_melding(melding: Mapping[str, Any] | None) -> set[str]:
    """The participants (OINs) a hub notice names, in its fields or its omschrijving: whose names
    `melding_weergave` needs."""
    if not melding:
        return set()
    return {oin for waarde in melding.values() if isinstance(waarde, str) for oin in _OIN.findall(waarde)}


def melding_weergave(melding: Mapping[str, Any] | None, namen: Mapping[str, str]) -> dict[str, Any]:
    """A hub notice as the portal shows it (the hosted message page, the werkplek, the readable copy;
    DESIGN §7: handbook names, never codes or numbers a person cannot read): the message types its
    omschrijving names by code in the handbook's words (``leesbare_codes``), and every participant it
    names by OIN by its name (``namen``; an OIN without a name stays). The notice itself — what the
    API and the CSV give — is not changed."""
    if not melding:
        return {}

    def naam(m: re.Match[str]) -> str:
        return namen.get(m.group(0)) or m.group(0)

    uit: dict[str, Any] = {}
    for veld, waarde in melding.items():
        if isinstance(waarde, str) and veld != "code":
            tekst = _OIN.sub(naam, waarde)
            uit[veld] = leesbare_codes(tekst) if veld == "omschrijving" else tekst
        else:
            uit[veld] = waarde
    return uit


def meldingstatus(melding: Mapping[str, Any] | None) -> str:
    """The short label of a notice's code (for a status badge)."""
    code = str((melding or {}).get("code", ""))
    return {"VERLOPEN": "Verlopen", "GEWEIGERD": "Geweigerd", "BEVESTIGD": "Bevestigd"}.get(code, "Fout")


def eigen_berichten(session: Any, oin: str, referentienummers: Collection[str]) -> dict[str, Any]:
    """Metadata of messages this participant sent, by number (what the hub's notices are about);
    numbers of other participants' messages are left out."""
    if not referentienummers:
        return {}
    return {
        ref: rij
        for ref, rij in store.op_referenties(session, set(referentienummers)).items()
        if rij.afzender == oin
    }


def statusklasse(status: str) -> str:
    return STATUSKLASSEN.get(str(status), str(status))


templates.env.filters["tijdstip"] = tijdstip
templates.env.filters["datum"] = datum
templates.env.filters["iso"] = iso
templates.env.filters["berichttype"] = berichttype_naam
templates.env.filters["bericht_naam"] = bericht_naam
templates.env.filters["module"] = modulenaam
templates.env.filters["per_soort"] = per_soort
templates.env.filters["bedrag"] = bedrag
templates.env.filters["status"] = lambda s: STATUSSEN.get(str(s), str(s))
templates.env.filters["rol"] = lambda r: ROLLEN.get(str(r), str(r))
templates.env.filters["statusklasse"] = statusklasse
templates.env.filters["meervoud"] = meervoud
templates.env.filters["grootte"] = grootte
templates.env.filters["foutcode"] = foutcode
templates.env.filters["fouttekst"] = lambda detail, code=None: fouttekst(code, detail)
templates.env.filters["leesbaar"] = leesbare_codes
templates.env.filters["meldingstatus"] = meldingstatus
templates.env.globals["melding_tekst"] = melding_tekst
templates.env.globals["excel_csv"] = EXCEL_CSV
templates.env.globals["bevestigingstermijn"] = bevestigingstermijn
templates.env.globals["antwoordtermijn"] = antwoordtermijn


def pagina(request: Request, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a page with the logged-in user, its CSRF token and the environment in the context."""
    gebruiker = huidige(request)
    rt = request.app.state.runtime
    csrf = gebruiker.csrf if gebruiker else request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not csrf:
        csrf = getattr(request.state, "login_csrf", "")
    nieuw_indicator = 0
    in_browser = False
    if gebruiker is not None and gebruiker.oin is not None:
        with transactie(rt.sessions) as session:
            nieuw_indicator = sum(
                store.nieuw_per_type(session, ontvanger=gebruiker.oin, nu=db_nu(session)).values()
            )
            # Keys in the browser: the menu's compose and upload are the werkplek's (DESIGN §5).
            in_browser = clientlabels.heeft_browsersleutels(session, gebruiker.oin)
    return templates.TemplateResponse(
        request,
        template,
        {
            "gebruiker": gebruiker,
            "csrf": csrf,
            "ontwikkeling": rt.settings.is_development,
            "pad": request.url.path,
            "nieuw_indicator": nieuw_indicator,
            "sleutels_in_browser": in_browser,
            **context,
        },
        status_code=status_code,
    )


def pagina_zonder_database(
    request: Request, template: str, *, status_code: int, **context: Any
) -> HTMLResponse:
    """A page that needs no database (nobody logged in, no indicator): for when it is unreachable."""
    rt = request.app.state.runtime
    return templates.TemplateResponse(
        request,
        template,
        {
            "gebruiker": None,
            "csrf": "",
            "ontwikkeling": rt.settings.is_development,
            "pad": request.url.path,
            "nieuw_indicator": 0,
            "sleutels_in_browser": False,
            **context,
        },
        status_code=status_code,
    )
