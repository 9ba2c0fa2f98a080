"""A message's content for a person to read (art. 17.1 "leesbare kopie", and the portal's message
page): Dutch labels from the standard's field names, amounts in euro, dates as 12-04-1985."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from knooppunt.portaal.weergave import bedrag

BEDRAGEN = frozenset(
    {
        "oorspronkelijkBedrag",
        "hoofdsom",
        "rente",
        "kosten",
        "incassokosten",
        "actueelBedrag",
        "bedrag",
        "aangebodenBedrag",
        "bedragPreferent",
        "bedragConcurrent",
        "afloscapaciteitPerMaand",
        "prognoseEindbedrag",
        "actueelVorderingsbedrag",
        "termijnbedrag",
        "boeterente",
        "vertragingsrente",
        "brutoKredietsom",
        "nettoKredietsom",
        "bruto",
        "netto",
        "maandaflossing",
        "aflossing",
        "kredietvergoeding",
        "uitstaandSaldo",
    }
)
"""Payload fields that are amounts in euro cents (DESIGN §3), in every module: shown as € 1.234,56
in the readable copy and the message pages, typed in euro in the compose forms (``formulier``).
Every integer field of every payload model is here or in ``formulier.GEHELE_GETALLEN``, and every
field typed ``Bedrag`` (or a module's positive amount) is here (tests/portaal/test_opstellen_modules.py)."""
PERCENTAGES = frozenset({"aanbodPercentage", "afkooppercentage"})
_LABELS = {
    "bsn": "BSN",
    "iban": "IBAN",
    "email": "E-mail",
    "klantnummerSHV": "Klantnummer schuldhulpverlener",
    "klantnummerSE": "Klantnummer schuldeiser",
    "klantnummerSEVolgensSHV": "Klantnummer schuldeiser (volgens schuldhulpverlener)",
    "klantnummerBW": "Klantnummer bewindvoerder",
    "klantnummerSEVolgensBW": "Klantnummer schuldeiser (volgens bewindvoerder)",
    "factuurnummerSE": "Factuurnummer schuldeiser",
    "factuurnummerSEVolgensSHV": "Factuurnummer schuldeiser (volgens schuldhulpverlener)",
    "contactpersoonSHV": "Contactpersoon schuldhulpverlener",
    "contactpersoonSE": "Contactpersoon schuldeiser",
    "typeSchuldregeling": "Soort regeling",
    "slimmeMeterAkkoord": "Akkoord met uitlezen slimme meter (art. 5.3)",
    "standaardAkkoord": "Standaard akkoord (art. 6.3)",
    "eigenVordering": "Eigen vordering",
}
TYPE_SCHULDREGELING = {
    "SB": "SB – schuldbemiddeling",
    "SK": "SK – saneringskrediet",
    "SA": "SA – schuldregeling zonder afloscapaciteit",
    "BR": "BR – betalingsregeling",
    "HF": "HF – herfinanciering",
}
"""The codes of typeSchuldregeling in words (the readable copy and the compose form's choices)."""
BORGSTELLINGCATEGORIE = {
    "100": "100 – regulier",
    "200": "200 – herfinanciering",
    "300": "300 – jongeren",
    "400": "400 – ondernemers",
}
"""The waarborgfonds module's categories in words (DESIGN §3b)."""
SOORT_LENING = {
    "PL": "PL – persoonlijke lening",
    "SK": "SK – saneringskrediet",
    "SL": "SL – sociale lening",
}
"""The waarborgfonds module's soortLening in words. SBN (``types/soort_lening.yml``) gives the codes
without meanings; these are the kredietbanken's own names of their loans (persoonlijke lening,
saneringskrediet, sociale lening), the code stays in front."""
KEUZEWOORDEN: dict[str, dict[str, str]] = {
    "typeSchuldregeling": TYPE_SCHULDREGELING,
    "borgstellingCategorie": BORGSTELLINGCATEGORIE,
    "soortLening": SOORT_LENING,
    "gebeurtenis": {
        "pro_forma_afgegeven": "Pro-formaborgstelling afgegeven",
        "pro_forma_afgewezen": "Pro-formaborgstelling afgewezen",
        "borgstelling_afgegeven": "Borgstelling afgegeven",
        "aanvraag_afgewezen": "Aanvraag afgewezen",
        "aanvraag_in_behandeling": "Aanvraag in behandeling",
        "beeindigd": "Borgstelling beëindigd",
        "ingetrokken": "Borgstelling ingetrokken",
        "uitbetaald": "Borgstelling uitbetaald",
        "uitbetaalverzoek_afgewezen": "Verzoek om uitbetaling afgewezen",
    },
    "reden": {
        "afgelost": "Afgelost",
        "afgeboekt": "Afgeboekt",
        "overleden": "Overleden",
        "verhuisd_onbekend_adres": "Verhuisd naar een onbekend adres",
        "nieuwe_schulden": "Nieuwe schulden gemaakt",
        "herberekening": "Afloscapaciteit tussentijds herberekend",
        "anders": "Anders (met toelichting)",
    },
    "code": {
        "klant_onbekend": "Klant onbekend",
        "recente_finale_kwijting": "Recente finale kwijting",
        "recente_poging_tot_stabilisatie": "Recente poging tot stabilisatie",
        "geen_samenwerking_met_shv": "Geen samenwerking met de schuldhulpverlener",
    },
    "adreskeuze": {
        "woonadres": "Woonadres",
        "postadres": "Postadres",
        "adres_shv": "Adres van de schuldhulpverlener",
    },
    "antwoord": {
        "openstaande_vorderingen": "Openstaande vorderingen",
        "geen_openstaande_vorderingen": "Geen openstaande vorderingen",
    },
    "grondslag": {
        "wgs": "Wgs (Wet gemeentelijke schuldhulpverlening)",
        "toestemmingsverklaring": "Toestemmingsverklaring van de cliënt",
        "beschikking": "Beschikking van de rechtbank",
    },
    "soort": {"beschermingsbewind": "Beschermingsbewind", "wsnp": "Wsnp (schuldsaneringsregeling)"},
    "fase": {"aanmelding": "Aanmelding", "toelating": "Toelating"},
    "status": {
        "lopend": "Lopend",
        "dwangakkoord_aangevraagd": "Dwangakkoord aangevraagd",
        "moratorium_aangevraagd": "Moratorium aangevraagd",
        "uitstel": "Uitstel",
        "opschorting": "Opschorting",
        "wsnp_aangevraagd": "Wsnp aangevraagd",
        "afgerond": "Afgerond",
        "overig": "Overig (met toelichting)",
    },
    "schuldtype": {"openstaand": "Openstaand", "overgedragen": "Overgedragen", "onbekend": "Onbekend"},
    "vorderingstype": {"preferent": "Preferent", "concurrent": "Concurrent"},
}
"""Every code of a choice in the payloads in words, per field name (DESIGN §7: labels from the
handbook, never internal codes): the compose forms' choices (``formulier.OPTIES``), the CSV's
accepted values and errors, and the readable copy and message page (``_WAARDEN``)."""
_WAARDEN = {"geslacht": {"M": "man", "V": "vrouw", "O": "onbekend"}, **KEUZEWOORDEN}
"""Codes in words, per field: the readable copy, and the werkplek's compose options where the form
has only the code (GET …/indeling ``leesbaar.waarden``)."""
_WOORDEN = re.compile(r"[A-Z]{2,}(?=[A-Z][a-z]|\d|$)|[A-Z]?[a-z]+|[A-Z]+|\d+")
_DATUM = re.compile(r"\A(\d{4})-(\d{2})-(\d{2})\Z")


@dataclass(frozen=True, slots=True)
class Regel:
    """One line of a readable message: a field (``waarde`` set) or the heading of a block."""

    label: str
    waarde: str | None
    niveau: int


def label(veld: str) -> str:
    """``klantnummerSEVolgensSHV`` -> ``Klantnummer schuldeiser (volgens schuldhulpverlener)``;
    otherwise the camelCase words: ``oorspronkelijkBedrag`` -> ``Oorspronkelijk bedrag``."""
    if veld in _LABELS:
        return _LABELS[veld]
    woorden = [w if w.isupper() and len(w) > 1 else w.lower() for w in _WOORDEN.findall(veld)]
    tekst = " ".join(woorden) or veld
    return tekst[0].upper() + tekst[1:]


def waarde(veld: str, inhoud: Any) -> str:
    if isinstance(inhoud, bool):
        return "ja" if inhoud else "nee"
    if veld in BEDRAGEN and isinstance(inhoud, int):
        return bedrag(inhoud)
    if veld in PERCENTAGES and isinstance(inhoud, int | float):
        return f"{inhoud:g} %".replace(".", ",")
    if isinstance(inhoud, str) and len(inhoud) > 64 and inhoud.startswith("JVBER"):
        # a document in the payload (base64 PDF): the zip holds it under bijlagen/
        return (
            f"PDF-document ({max(1, len(inhoud) * 3 // 4 // 1024)} kB), in de map bijlagen/ van de download"
        )
    if isinstance(inhoud, str):
        vertaald = _WAARDEN.get(veld, {}).get(inhoud)
        if vertaald is not None:
            return vertaald
        datum = _DATUM.match(inhoud)
        if datum is not None:
            return f"{datum.group(3)}-{datum.group(2)}-{datum.group(1)}"
        return inhoud
    if isinstance(inhoud, list):
        return ", ".join(waarde(veld, i) for i in inhoud)
    return str(inhoud)


def regels(payload: Mapping[str, Any], niveau: int = 0) -> list[Regel]:
    """The payload as lines: nested blocks as headings, lists of blocks numbered from 1."""
    uit: list[Regel] = []
    for veld, inhoud in payload.items():
        if inhoud is None:
            continue
        if isinstance(inhoud, Mapping):
            uit.append(Regel(label(veld), None, niveau))
            uit += regels(inhoud, niveau + 1)
        elif isinstance(inhoud, list) and any(isinstance(i, Mapping) for i in inhoud):
            for nummer, item in enumerate(inhoud, start=1):
                uit.append(Regel(f"{label(veld)} – {nummer}", None, niveau))
                uit += regels(item if isinstance(item, Mapping) else {veld: item}, niveau + 1)
        else:
            uit.append(Regel(label(veld), waarde(veld, inhoud), niveau))
    return uit
