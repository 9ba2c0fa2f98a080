"""Payload forms generated from a message type's JSON Schema (DESIGN §3, §7), and payloads shown
readably.

The published schema (``protocol.payloads.schema_voor``) decides the form: nested objects become
fieldsets, arrays a number of rows plus a "Regel toevoegen" button (a submit button: it works
without JavaScript), enums selects, booleans Ja/Nee, dates date inputs, amounts euro inputs that
are sent as integer cents. Form field names are the payload paths with a ``p.`` prefix
(``p.klant.achternaam``, ``p.vorderingen[0].factuurnummerSEVolgensSHV``), so the payload model's
error paths (``Veldfout.veld``) point straight at the field that is wrong.

Pure: no database, no HTTP. The payload model stays the judge of what is valid; the form only
converts what a person types (``1.234,56``) into what the model expects (``123456``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from knooppunt.portaal.leesbaar import BEDRAGEN, KEUZEWOORDEN
from knooppunt.protocol.catalogus import CATALOGUS
from knooppunt.protocol.payloads import OngeldigePayload, schema_voor, valideer

PREFIX = "p."
RIJEN_PREFIX = "rijen."
STANDAARD_RIJEN = 3
"""Rows an array starts with; "Regel toevoegen" adds one at a time."""
MAX_RIJEN = 200
"""The most rows the portal renders for one array (a larger file belongs in a system connection)."""

# Integer fields that are amounts in euro cents (entered and shown in euros) and those that are not.
# Every integer field of every payload must be in one of the two (a test checks it), so a new amount
# field cannot silently be shown as a count of cents.
BEDRAGVELDEN = BEDRAGEN
GEHELE_GETALLEN = frozenset(
    {
        "huisnummer",
        "looptijdMaanden",
        "aantalPreferent",
        "aantalConcurrent",
        "aantalVorderingen",
        "aantalTermijnen",
    }
)

LABELS = {
    "klantnummerSHV": "Klantnummer SHV",
    "klantnummerSE": "Klantnummer bij de schuldeiser",
    "klantnummerSEVolgensSHV": "Klantnummer bij de schuldeiser (voor zover bekend)",
    "klantnummerBW": "Klantnummer bewindvoerder",
    "klantnummerSEVolgensBW": "Klantnummer bij de schuldeiser (volgens de bewindvoerder)",
    "klant": "Cliënt",
    "contact": "Contactpersoon",
    "partner": "Partner",
    "adres": "Adres",
    "contactpersoonSHV": "Contactpersoon schuldhulpverlening",
    "contactpersoonSE": "Contactpersoon schuldeiser",
    "voorvoegsel": "Voorvoegsel",
    "bsn": "BSN",
    "telefoon": "Telefoonnummer",
    "email": "E-mailadres",
    "typeSchuldregeling": "Soort schuldregeling",
    "factuurnummerSEVolgensSHV": "Factuurnummer van de schuldeiser (voor zover bekend)",
    "factuurnummerSE": "Factuurnummer schuldeiser",
    "slimmeMeterAkkoord": "Cliënt is akkoord met het uitlezen van de slimme meter",
    "aantalPreferent": "Aantal preferente vorderingen",
    "bedragPreferent": "Totaal preferente vorderingen",
    "aantalConcurrent": "Aantal concurrente vorderingen",
    "bedragConcurrent": "Totaal concurrente vorderingen",
    "afloscapaciteitPerMaand": "Afloscapaciteit per maand",
    "looptijdMaanden": "Looptijd in maanden",
    "aanbodPercentage": "Aanbodpercentage concurrente schuldeisers",
    "eigenVordering": "Vordering van deze schuldeiser",
    "aangebodenBedrag": "Aangeboden bedrag",
    "onderbouwing": "Onderbouwing",
    "afkooppercentage": "Afkooppercentage",
    "prognoseEindbedrag": "Prognose eindbedrag",
    "actueelVorderingsbedrag": "Actueel vorderingsbedrag",
    "datumBeeindiging": "Datum van beëindiging",
    "datumBeeindigd": "Datum beëindigd",
    "datumUitbetaald": "Datum uitbetaald",
    "datumGebeurtenis": "Datum van de gebeurtenis",
    "tekst": "Toelichting op de reden",
    "tenNaamVan": "Ten name van",
    "iban": "IBAN",
    "overgedragenAan": "Overgedragen aan",
    "standaardAkkoord": "Standaard akkoord",
    "totaalvordering": "Totaalvordering",
    "betaalgegevens": "Betaalgegevens",
    "factuurnummers": "Factuurnummers",
}
HINTS = {
    "bsn": "9 cijfers.",
    "postcode": "Bijvoorbeeld 1234 AB.",
    "geboortedatum": "Bijvoorbeeld 12-04-1985.",
    "voorvoegsel": "Bijvoorbeeld: van der.",
    "huisletter": "Eén letter, bijvoorbeeld A.",
    "slimmeMeterAkkoord": "Bij Ja mag de schuldeiser de meterstanden later niet op een andere manier "
    "opvragen (art. 5.3).",
    "aanbodPercentage": "0 tot en met 100, hoogstens twee decimalen.",
    "afkooppercentage": "0 tot en met 100, hoogstens twee decimalen.",
    "onderbouwing": "De onderbouwing van het voorstel; bijlagen zijn niet mogelijk (art. 9.2).",
    "eigenVordering": "Ja voor de vorderingen van de ontvanger zelf.",
    "datumGebeurtenis": "Verplicht bij dwangakkoord aangevraagd, uitstel en opschorting: het "
    "statusbericht gaat binnen 5 werkdagen na die datum (art. 13.2, 13.3).",
    "klantnummerSEVolgensSHV": "Geldt voor alle gekozen schuldeisers; laat leeg bij meer schuldeisers "
    "met elk een eigen nummer.",
    "klantnummerSEVolgensBW": "Geldt voor alle gekozen schuldeisers; laat leeg bij meer schuldeisers "
    "met elk een eigen nummer.",
}
IN_CONTEXT: dict[str, tuple[str, str | None]] = {
    "reden.code": ("Redencode", "Een korte code in hoofdletters, bijvoorbeeld GEEN_MEDEWERKING."),
    "einde_bewind:reden.code": ("Reden van het einde", None),
    "einde_bewind:reden.tekst": ("Toelichting op de reden", None),
    "einde_bewind:klantnummerSE": (
        "Klantnummer bij de schuldeiser",
        "Geldt voor alle gekozen schuldeisers; laat leeg bij meer schuldeisers met elk een eigen nummer.",
    ),
    "statistieken.code": ("Soort statistiek", None),
    "statistieken.waarde": (
        "Waarde",
        "De waarde in de codelijst van uw kredietbank; laat leeg als u er geen hebt.",
    ),
    "aanvraag_borgstelling:proFormaBorgstelling": (
        "Referentie van de pro-formaborgstelling",
        "Staat in de gebeurtenis ‘Pro-formaborgstelling afgegeven’ van het fonds in dit dossier "
        "(36 tekens, bijvoorbeeld 3f2a…-…); laat leeg als het fonds geen pro forma afgaf.",
    ),
    "aanvraag_overname:proFormaBorgstelling": (
        "Referentie van de pro-formaborgstelling",
        "Staat in de gebeurtenis ‘Pro-formaborgstelling afgegeven’ van het fonds in dit dossier "
        "(36 tekens, bijvoorbeeld 3f2a…-…); laat leeg als het fonds geen pro forma afgaf.",
    ),
    "gebeurtenis:proFormaBorgstelling": (
        "Referentie van de pro-formaborgstelling",
        "Alleen bij ‘Pro-formaborgstelling afgegeven’: de kredietbank noemt haar in de aanvraag.",
    ),
}
"""(label, hint) of a field whose name alone says too little (``code`` is a reason's code in one
block and the kind of statistic in another): by its path without row numbers, or by
``berichttype:pad`` for one message type. A choice (an enum) never gets a hint to type a code."""
SUGGESTIES: dict[str, tuple[tuple[str, str], ...]] = {
    "einde_bewind:reden.code": (
        ("OPGEHEVEN", "Het bewind is opgeheven"),
        ("OVERLEDEN", "De cliënt is overleden"),
        ("ANDERE_BEWINDVOERDER", "Een andere bewindvoerder neemt het bewind over"),
        ("SCHONE_LEI", "De schuldsanering is afgerond (schone lei)"),
        ("WSNP_TUSSENTIJDS_BEEINDIGD", "De schuldsanering is tussentijds beëindigd"),
    ),
}
"""A free code field whose documented codes the form offers as a choice in words (docs/modules:
einde_bewind's ``reden.code``, whose codes are free): the choice, plus "Een andere reden" with a
text field for another code, as the docs allow."""
ANDERS = "__anders__"
"""The choice "Een andere reden" of a field with ``SUGGESTIES``: the code is then typed in the field
``<pad>.anders``."""
ANDERS_HINT = (
    "Alleen als geen van de redenen in de lijst past: een korte code in hoofdletters, bijvoorbeeld "
    "ONDERBEWINDSTELLING_BEEINDIGD. Licht de reden hieronder toe."
)
ROLLABELS: dict[str, dict[str, str]] = {
    "BW": {
        "klantnummerSHV": "Klantnummer bewindvoerder",
        "contactpersoonSHV": "Contactpersoon bewindvoering",
        "klantnummerSEVolgensSHV": "Klantnummer bij de schuldeiser (voor zover bekend)",
    },
}
"""Labels of the fields the live standard names after the debt counsellor (``klantnummerSHV``,
``contactpersoonSHV``) when another role fills them: a bewindvoerder's saldoverzoek carries its own
number and contact there (saldoverzoek.payloads). A kredietbank sends as ``SHV``: its labels stay."""
DOCUMENTVELDEN = frozenset({"bestandsnaam", "mediatype"})
"""The fields of a document block (``PdfDocument``) beside its PDF that the portal fills from the
chosen file (its name, ``application/pdf``): hidden from the form."""
KEUZELABELS = {"reden.code": "Reden"}
"""The label of a context field when it is a choice (``geen_medewerking``'s four reasons)."""
OPTIES = {"geslacht": {"M": "Man", "V": "Vrouw", "O": "Onbekend"}, **KEUZEWOORDEN}
ONTBREEKT = "is verplicht maar ontbreekt"  # the payload model's reason for a missing field
_WOORDGRENS = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


_ISO_DATUM = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b(?![T:])")


def nl_datums(tekst: str) -> str:
    """The dates in a reason as the form asks for them (dd-mm-jjjj, "Bijvoorbeeld 01-03-2024"), not
    as the standard writes them: "einddatum (2027-12-07)" → "einddatum (07-12-2027)"."""
    return _ISO_DATUM.sub(lambda m: f"{m.group(3)}-{m.group(2)}-{m.group(1)}", tekst)


def label(naam: str) -> str:
    """A Dutch label for a field name: from the map, else ``klantnummerSHV`` → "Klantnummer SHV"."""
    if naam in LABELS:
        return LABELS[naam]
    woorden = [w if w.isupper() and len(w) > 1 else w.lower() for w in _WOORDGRENS.split(naam)]
    tekst = " ".join(woorden)
    return tekst[:1].upper() + tekst[1:]


# --- the form's shape, from the schema ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sjabloon:
    """One field of a payload form: ``soort`` is groep, lijst, tekst, tekstvak, email, telefoon,
    bedrag, geheel, getal, datum, keuze or janee."""

    naam: str
    soort: str
    verplicht: bool = True
    opties: tuple[tuple[str, str], ...] = ()
    max_lengte: int | None = None
    kinderen: tuple[Sjabloon, ...] = ()
    min_items: int = 0
    max_items: int = MAX_RIJEN
    label: str = ""
    """The field's label where it is (``IN_CONTEXT``), else ``label(naam)``."""
    hint: str | None = None
    een_van: tuple[str, ...] = ()
    """For a groep: its fields of which at least one must be filled in (a contactpersoon's telefoon
    and email: the schema's anyOf of one required field each)."""
    suggesties: tuple[tuple[str, str], ...] = ()
    """For a free code field: its documented codes in words (``SUGGESTIES``), offered as a choice
    besides "Een andere reden"."""
    verborgen: bool = False
    """Filled in by the portal, not by the user (a document's name and media type: ``DOCUMENTVELDEN``)."""


def _los_op(schema: Mapping[str, Any], defs: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """(the schema with ``$ref`` resolved and a ``null`` branch removed, whether null is allowed)."""
    uit = dict(schema)
    optioneel = False
    if "anyOf" in uit and "properties" not in uit:
        takken = [t for t in uit["anyOf"] if t.get("type") != "null"]
        optioneel = len(takken) < len(uit["anyOf"])
        if len(takken) == 1:
            rest = {k: v for k, v in uit.items() if k not in ("anyOf", "default")}
            uit = {**takken[0], **rest}
    if "$ref" in uit:
        naam = str(uit.pop("$ref")).rsplit("/", 1)[-1]
        uit = {**defs[naam], **uit}
        if "anyOf" in uit and "properties" not in uit:
            binnen, leeg = _los_op(uit, defs)
            return binnen, optioneel or leeg
    for sleutel in ("anyOf", "oneOf"):
        takken = [_los_op(t, defs)[0] for t in uit.get(sleutel, ())]
        if "properties" not in uit and len(takken) > 1 and all("properties" in t for t in takken):
            # One of several objects (e.g. matched debts or unmatched ones): every branch's fields,
            # none required by the form; the payload model says which combination is valid.
            samen: dict[str, Any] = {}
            for tak in takken:
                samen.update(tak["properties"])
            uit = {k: v for k, v in uit.items() if k != sleutel} | {"type": "object", "properties": samen}
    return uit, optioneel


def optielabel(code: str) -> str:
    """A readable label for an enum value the portal has no name for: ``pro_forma_afgegeven`` →
    "Pro forma afgegeven"; codes in capitals or digits (``SB``, ``100``) stay as they are."""
    if code.isupper() or code.isdigit() or not code:
        return code
    tekst = code.replace("_", " ")
    return tekst[:1].upper() + tekst[1:]


def keuzes(opties: tuple[tuple[str, str], ...]) -> str:
    """The choices of a list as a clerk reads them (DESIGN §7: never codes alone): each code with its
    words, "pro_forma_afgegeven (pro-formaborgstelling afgegeven)"; a code that is its own word once."""
    delen = []
    for code, tekst in opties:
        woorden = tekst.removeprefix(f"{code} – ")
        if woorden.lower() == code.lower():
            delen.append(code)
        else:
            delen.append(f"{code} ({woorden[:1].lower()}{woorden[1:]})")
    return ", ".join(delen)


def is_bedrag(naam: str) -> bool:
    """An integer field that is an amount in euro cents (entered and shown in euros): one of
    ``BEDRAGVELDEN`` (``leesbaar.BEDRAGEN``) — never guessed from its name, which took
    ``maandaflossing`` for a count; a test keeps the two lists complete."""
    return naam in BEDRAGVELDEN


def is_bijlage(schema: Mapping[str, Any]) -> bool:
    """A document inside the payload (a PDF as base64, e.g. a beschikking or toestemmingsverklaring)."""
    return (
        schema.get("contentEncoding") == "base64"
        or str(schema.get("contentMediaType", "")).startswith("application/")
        or schema.get("format") in ("binary", "base64")
    )


def _een_van(schema: Mapping[str, Any]) -> tuple[str, ...]:
    takken = schema.get("anyOf", ())
    if len(takken) < 2 or not all(len(t.get("required", ())) == 1 for t in takken):
        return ()
    return tuple(t["required"][0] for t in takken)


def _in_context(sj: Sjabloon, pad: str, code: str, rol: str = "") -> Sjabloon:
    """``sj`` with its label and hint for where it is (``IN_CONTEXT``) and who fills it in
    (``ROLLABELS``)."""
    label_, hint = IN_CONTEXT.get(f"{code}:{pad}") or IN_CONTEXT.get(pad) or ("", None)
    if sj.soort == "keuze":
        label_, hint = KEUZELABELS.get(pad, label_), None
    label_ = label_ or ROLLABELS.get(rol, {}).get(sj.naam, "")
    suggesties = SUGGESTIES.get(f"{code}:{pad}", ()) if sj.soort == "tekst" else ()
    if sj.soort == "bijlage":
        label_ = label_ or "PDF-document"
    return replace(sj, label=label_ or label(sj.naam) if sj.naam else "", hint=hint, suggesties=suggesties)


def _uit_schema(
    naam: str,
    schema: Mapping[str, Any],
    defs: Mapping[str, Any],
    verplicht: bool,
    pad: str = "",
    code: str = "",
    rol: str = "",
) -> Sjabloon:
    return _in_context(_vorm(naam, schema, defs, verplicht, pad, code, rol), pad, code, rol)


def _vorm(
    naam: str,
    schema: Mapping[str, Any],
    defs: Mapping[str, Any],
    verplicht: bool,
    pad: str,
    code: str,
    rol: str = "",
) -> Sjabloon:
    schema, optioneel = _los_op(schema, defs)
    verplicht = verplicht and not optioneel
    soort = schema.get("type")
    if "properties" in schema:
        vereist = set(schema.get("required", []))
        kinderen = tuple(
            _uit_schema(k, v, defs, k in vereist, _pad(pad, k), code, rol)
            for k, v in schema["properties"].items()
        )
        if any(k.soort == "bijlage" for k in kinderen):
            # A document block: its name and media type come from the chosen file.
            kinderen = tuple(replace(k, verborgen=k.naam in DOCUMENTVELDEN) for k in kinderen)
        een_van = tuple(n for n in _een_van(schema) if n in schema["properties"])
        return Sjabloon(naam, "groep", verplicht, kinderen=kinderen, een_van=een_van)
    if soort == "array":
        item = _uit_schema(naam, schema["items"], defs, True, pad, code, rol)
        return Sjabloon(
            naam,
            "lijst",
            verplicht,
            kinderen=(item,),
            min_items=int(schema.get("minItems", 0)),
            max_items=min(int(schema.get("maxItems", MAX_RIJEN)), MAX_RIJEN),
        )
    if "enum" in schema:
        namen = OPTIES.get(naam, {})
        opties = tuple((str(w), namen.get(str(w), optielabel(str(w)))) for w in schema["enum"])
        return Sjabloon(naam, "keuze", verplicht, opties=opties)
    if soort == "boolean":
        return Sjabloon(naam, "janee", verplicht)
    if soort == "integer":
        return Sjabloon(naam, "bedrag" if is_bedrag(naam) else "geheel", verplicht)
    if soort == "number":
        return Sjabloon(naam, "getal", verplicht)
    if soort == "string" and is_bijlage(schema):
        return Sjabloon(naam, "bijlage", verplicht)
    if soort == "string":
        lengte = schema.get("maxLength")
        if schema.get("format") == "date":
            return Sjabloon(naam, "datum", verplicht)
        if schema.get("format") == "email":
            return Sjabloon(naam, "email", verplicht, max_lengte=lengte)
        if naam == "telefoon":
            return Sjabloon(naam, "telefoon", verplicht, max_lengte=lengte)
        if lengte is not None and lengte > 200:
            return Sjabloon(naam, "tekstvak", verplicht, max_lengte=lengte)
        return Sjabloon(naam, "tekst", verplicht, max_lengte=lengte)
    # A shape the form has no widget for (a new module's schema): a text field, never a crash; the
    # payload model still judges what is typed.
    return Sjabloon(naam, "tekst", verplicht)


@cache
def sjabloon(module: str, code: str, versie: str = "1.0", rol: str = "") -> Sjabloon:
    """The form of a message type: a groep whose children are the payload's fields; with ``rol``
    (the sender's) the labels that depend on it (``ROLLABELS``)."""
    schema = schema_voor(module, code, versie)
    return _uit_schema("", schema, schema.get("$defs", {}), True, "", code, rol or "")


# --- what the user typed -----------------------------------------------------------------------------


@dataclass
class Invoer:
    """The raw form values by payload path (what the user typed, as typed) and the number of rows
    shown per array."""

    waarden: dict[str, str] = field(default_factory=dict)
    rijen: dict[str, int] = field(default_factory=dict)

    @classmethod
    def uit_formulier(cls, formulier: Mapping[str, Any]) -> Invoer:
        invoer = cls()
        for sleutel, waarde in formulier.items():
            if not isinstance(waarde, str):
                continue
            if sleutel.startswith(PREFIX):
                invoer.waarden[sleutel[len(PREFIX) :]] = waarde
            elif sleutel.startswith(RIJEN_PREFIX):
                try:
                    invoer.rijen[sleutel[len(RIJEN_PREFIX) :]] = max(1, min(int(waarde), MAX_RIJEN))
                except ValueError:
                    continue
        return invoer

    def kopie(self) -> Invoer:
        return Invoer(dict(self.waarden), dict(self.rijen))


def _pad(ouder: str, naam: str) -> str:
    return f"{ouder}.{naam}" if ouder else naam


def _onder(sleutel: str, pad: str) -> bool:
    return sleutel == pad or sleutel.startswith(pad + ".") or sleutel.startswith(pad + "[")


def _aantal_rijen(sj: Sjabloon, pad: str, invoer: Invoer) -> int:
    hoogste = -1
    patroon = re.compile(re.escape(pad) + r"\[(\d+)\]")
    for sleutel in invoer.waarden:
        gevonden = patroon.match(sleutel)
        if gevonden:
            hoogste = max(hoogste, int(gevonden.group(1)))
    gevraagd = invoer.rijen.get(pad, max(STANDAARD_RIJEN, sj.min_items))
    return max(1, min(max(gevraagd, hoogste + 1), sj.max_items))


def _leeg(invoer: Invoer, pad: str) -> bool:
    return not any(w.strip() for s, w in invoer.waarden.items() if _onder(s, pad))


def _hernummer(invoer: Invoer, pad: str, volgorde: list[int]) -> None:
    """Rows of the array at ``pad`` in a new order (``volgorde[nieuw] = oud``); rows not listed go."""
    for bak in (invoer.waarden, invoer.rijen):
        oud: dict[str, Any] = {}
        for sleutel in [s for s in bak if s.startswith(pad + "[")]:
            oud[sleutel] = bak.pop(sleutel)
        for nieuw, van in enumerate(volgorde):
            bron, doel = f"{pad}[{van}]", f"{pad}[{nieuw}]"
            for sleutel, waarde in oud.items():
                if _onder(sleutel, bron):
                    bak[doel + sleutel[len(bron) :]] = waarde


def _lijsten(sj: Sjabloon, pad: str, invoer: Invoer) -> Iterator[tuple[Sjabloon, str]]:
    """Every array in the form (outer before inner), with its path."""
    if sj.soort == "groep":
        for kind in sj.kinderen:
            yield from _lijsten(kind, _pad(pad, kind.naam), invoer)
    elif sj.soort == "lijst":
        yield sj, pad
        for i in range(_aantal_rijen(sj, pad, invoer)):
            yield from _lijsten(sj.kinderen[0], f"{pad}[{i}]", invoer)


def compacteer(sj: Sjabloon, invoer: Invoer) -> Invoer:
    """Empty rows removed from between the filled ones (the row count stays), so that the payload's
    array indexes and the form's rows are the same."""
    uit = invoer.kopie()
    for lijst, pad in list(_lijsten(sj, "", uit)):
        n = _aantal_rijen(lijst, pad, uit)
        gevuld = [i for i in range(n) if not _leeg(uit, f"{pad}[{i}]")]
        if gevuld != list(range(len(gevuld))):
            _hernummer(uit, pad, gevuld)
        uit.rijen[pad] = n
    return uit


def voeg_rij_toe(sj: Sjabloon, invoer: Invoer, pad: str) -> Invoer:
    uit = invoer.kopie()
    for lijst, lijstpad in _lijsten(sj, "", uit):
        if lijstpad == pad:
            uit.rijen[pad] = min(_aantal_rijen(lijst, pad, uit) + 1, lijst.max_items)
    return uit


def verwijder_rij(sj: Sjabloon, invoer: Invoer, rijpad: str) -> Invoer:
    """Remove the row ``pad[i]``; the rows after it move up."""
    gevonden = re.fullmatch(r"(.+)\[(\d+)\]", rijpad)
    uit = invoer.kopie()
    if not gevonden:
        return uit
    pad, index = gevonden.group(1), int(gevonden.group(2))
    for lijst, lijstpad in _lijsten(sj, "", uit):
        if lijstpad == pad:
            n = _aantal_rijen(lijst, pad, uit)
            if index < n:
                _hernummer(uit, pad, [i for i in range(n) if i != index])
                uit.rijen[pad] = max(1, n - 1)
    return uit


def vul_in(invoer: Invoer, payload: Mapping[str, Any], pad: str = "") -> Invoer:
    """Prefill the form with payload values (e.g. the klantnummerSHV of a known client)."""
    uit = invoer.kopie()
    for naam, waarde in payload.items():
        sub = _pad(pad, naam)
        if isinstance(waarde, Mapping):
            uit = vul_in(uit, waarde, sub)
        elif isinstance(waarde, bool):
            uit.waarden.setdefault(sub, "ja" if waarde else "nee")
        elif isinstance(waarde, int) and not isinstance(waarde, bool) and is_bedrag(naam):
            uit.waarden.setdefault(sub, centen_als_invoer(waarde))
        elif waarde is not None and not isinstance(waarde, list):
            uit.waarden.setdefault(sub, str(waarde))
    return uit


# --- converting typed text ---------------------------------------------------------------------------


class Omzetfout(ValueError):
    """What was typed cannot be the field's kind of value; the message is Dutch."""


def euro_naar_centen(tekst: str) -> int:
    """``1.234,56``, ``1234,5``, ``€ 1234.56`` or ``1234`` → integer cents."""
    t = tekst.replace("€", "").replace("\u00a0", "").replace(" ", "")
    fout = Omzetfout("is geen bedrag in euro's; schrijf bijvoorbeeld 1234,56")
    if t.startswith("-"):
        raise Omzetfout("mag niet negatief zijn")
    if "," in t:
        geheel, _, cent = t.rpartition(",")
        geheel = geheel.replace(".", "") if re.fullmatch(r"\d{1,3}(\.\d{3})*|\d*", geheel) else "x"
    elif re.fullmatch(r"\d{1,3}(\.\d{3})+", t):
        geheel, cent = t.replace(".", ""), ""
    else:
        geheel, _, cent = t.partition(".")
    if (geheel and not geheel.isdigit()) or (cent and not cent.isdigit()) or not (geheel or cent):
        raise fout
    if len(cent) > 2:
        raise Omzetfout("heeft meer dan twee cijfers achter de komma")
    return int(geheel or "0") * 100 + int((cent + "00")[:2])


def centen_als_invoer(centen: int) -> str:
    """Cents as an input value: ``123456`` → ``1234,56``."""
    euro, cent = divmod(abs(centen), 100)
    return f"{'-' if centen < 0 else ''}{euro},{cent:02d}"


def _geheel(tekst: str) -> int:
    t = tekst.replace(" ", "")
    if not re.fullmatch(r"-?\d+", t):
        raise Omzetfout("moet een geheel getal zijn, zonder punt of komma")
    return int(t)


def _getal(tekst: str) -> float:
    t = tekst.replace(" ", "").replace("%", "").replace(",", ".")
    try:
        waarde = Decimal(t)
    except InvalidOperation:
        raise Omzetfout("is geen getal; schrijf bijvoorbeeld 30 of 12,5") from None
    if not waarde.is_finite():
        raise Omzetfout("is geen getal; schrijf bijvoorbeeld 30 of 12,5")
    return float(waarde)


def _datum(tekst: str) -> str:
    t = tekst.strip()
    gevonden = re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})", t)
    if gevonden:
        dag, maand, jaar = (int(g) for g in gevonden.groups())
        try:
            return date(jaar, maand, dag).isoformat()
        except ValueError:
            raise Omzetfout(f"{t} is geen bestaande datum") from None
    return t  # ISO from a date input, or something the payload model will name


def _normaliseer(naam: str, tekst: str) -> str:
    """Forms people type in that the standard writes one way only."""
    if naam == "postcode":
        compact = tekst.replace(" ", "").upper()
        return f"{compact[:4]} {compact[4:]}" if len(compact) == 6 else tekst
    if naam == "iban":
        return tekst.replace(" ", "").upper()
    if naam == "bsn":
        return tekst.replace(" ", "").replace(".", "")
    return tekst


_LEEG = object()


def _scalair(sj: Sjabloon, tekst: str) -> Any:
    if sj.soort == "tekstvak":
        return tekst.replace("\r\n", "\n").strip()
    if sj.soort == "bijlage":
        return tekst.strip()  # base64, made by the portal from the uploaded PDF
    t = " ".join(tekst.split()) if sj.soort == "tekst" else tekst.strip()
    t = _normaliseer(sj.naam, t)
    if sj.soort == "bedrag":
        return euro_naar_centen(t)
    if sj.soort == "geheel":
        return _geheel(t)
    if sj.soort == "getal":
        return _getal(t)
    if sj.soort == "datum":
        return _datum(t)
    if sj.soort == "janee":
        if t not in ("ja", "nee"):
            raise Omzetfout("kies Ja of Nee")
        return t == "ja"
    if sj.soort == "keuze" and t not in {w for w, _ in sj.opties}:
        raise Omzetfout("kies een van de mogelijkheden uit de lijst")
    return t


def _lees(sj: Sjabloon, pad: str, invoer: Invoer, fouten: dict[str, list[str]]) -> Any:
    if sj.soort == "groep":
        obj: dict[str, Any] = {}
        for kind in sj.kinderen:
            waarde = _lees(kind, _pad(pad, kind.naam), invoer, fouten)
            if waarde is not _LEEG:
                obj[kind.naam] = waarde
        if not obj and not sj.verplicht and _leeg(invoer, pad):
            return _LEEG
        return obj
    if sj.soort == "lijst":
        rijen = []
        for i in range(_aantal_rijen(sj, pad, invoer)):
            rijpad = f"{pad}[{i}]"
            if _leeg(invoer, rijpad):
                continue
            waarde = _lees(sj.kinderen[0], rijpad, invoer, fouten)
            if waarde is not _LEEG:
                rijen.append(waarde)
        return rijen if rijen or sj.verplicht else _LEEG
    tekst = invoer.waarden.get(pad, "")
    if sj.suggesties and (tekst == ANDERS or not tekst.strip()):
        tekst = invoer.waarden.get(_pad(pad, "anders"), "")  # "Een andere reden": the typed code
    if not tekst.strip():
        return _LEEG
    try:
        return _scalair(sj, tekst)
    except Omzetfout as exc:
        fouten.setdefault(pad, []).append(str(exc))
        return _LEEG


@dataclass
class Gelezen:
    """The payload built from the form, the errors by path (empty when valid), and the input as
    it should be shown again (empty rows moved to the end)."""

    payload: dict[str, Any]
    fouten: dict[str, list[str]]
    invoer: Invoer

    @property
    def geldig(self) -> bool:
        return not self.fouten


def vul_totalen_aan(code: str, payload: dict[str, Any]) -> None:
    """Totals a person would otherwise add up by hand: a betaalvoorstel's counts and sums of
    preferent and concurrent debts, when left empty (the model checks them when given)."""
    if code != "betaalvoorstel" or not isinstance(payload.get("vorderingen"), list):
        return
    rijen = [v for v in payload["vorderingen"] if isinstance(v, dict)]
    for soort, preferent in (("Preferent", True), ("Concurrent", False)):
        deel = [v for v in rijen if v.get("preferent") is preferent]
        payload.setdefault(f"aantal{soort}", len(deel))
        if all(isinstance(v.get("bedrag"), int) for v in deel):
            payload.setdefault(f"bedrag{soort}", sum(int(v["bedrag"]) for v in deel))


def _een_van_fouten(sj: Sjabloon, pad: str, waarde: Any) -> Iterator[tuple[str, str]]:
    """(path, reason) for every block in ``waarde`` that has none of its ``een_van`` fields (a
    contactpersoon without telefoon and email). The payload model says so only once the block's
    other fields are valid (its rule runs after them): an empty name hid it until the next round."""
    if sj.soort == "groep" and isinstance(waarde, Mapping):
        if sj.een_van and not any(waarde.get(n) not in (None, "") for n in sj.een_van):
            namen = [k.label[:1].lower() + k.label[1:] for k in sj.kinderen if k.naam in sj.een_van]
            reden = " of ".join(namen) + " is verplicht"
            if set(sj.een_van) == {"telefoon", "email"}:
                reden = CONTACT_BEREIKBAAR  # the payload model's own words (velden.Contactpersoon)
            yield _pad(pad, sj.een_van[0]), reden
        for kind in sj.kinderen:
            yield from _een_van_fouten(kind, _pad(pad, kind.naam), waarde.get(kind.naam))
    elif sj.soort == "lijst" and isinstance(waarde, list):
        for i, rij in enumerate(waarde):
            yield from _een_van_fouten(sj.kinderen[0], f"{pad}[{i}]", rij)


CONTACT_BEREIKBAAR = "telefoonnummer of e-mailadres is verplicht bij een contactpersoon"


def lees(
    module: str, code: str, invoer: Invoer, versie: str = "1.0", *, afzender_rol: str | None = None
) -> Gelezen:
    """Convert and validate the form: the payload model decides, errors are keyed by field path;
    with ``afzender_rol`` also the module's rules that depend on the sender's role (DESIGN §3b).
    Every error at once (DESIGN §7): also a block's "one of these" rule when another of its fields
    is wrong."""
    sj = sjabloon(module, code, versie)
    invoer = compacteer(sj, invoer)
    fouten: dict[str, list[str]] = {}
    payload = _lees(sj, "", invoer, fouten)
    assert isinstance(payload, dict)
    vul_totalen_aan(code, payload)
    try:
        model = valideer(module, code, versie, payload)
    except OngeldigePayload as exc:
        omgezet = list(fouten)  # what could not be converted: the model's "missing" there says less
        for veldfout in exc.fouten:
            if not any(_onder(veldfout.veld, pad) for pad in omgezet):
                fouten.setdefault(veldfout.veld, []).append(veldfout.reden)
        for pad, reden in _een_van_fouten(sj, "", payload):
            if reden not in fouten.get(pad, []):
                fouten.setdefault(pad, []).append(reden)
    else:
        if not fouten:
            payload = model.model_dump(mode="json", exclude_none=True)
            definitie = CATALOGUS.module(module)
            fout = definitie.afzenderfout(code, afzender_rol, payload) if definitie and afzender_rol else None
            if fout is not None:
                fouten.setdefault(fout[0], []).append(in_woorden(module, code, afzender_rol, payload, fout))
    return Gelezen(payload, fouten, invoer)


def in_woorden(
    module: str, code: str, rol: str | None, payload: Mapping[str, Any], fout: tuple[str, str]
) -> str:
    """A module's sender rule (DESIGN §3b) as the form says it: in words and the form's labels, never
    the codes and field names the SDK names (``'wgs'``, ``grondslagDocument``); the SDK's text
    otherwise. The werkplek says the same (controles.js ``inWoorden``)."""
    veld, reden = fout
    if module != "saldoverzoek" or veld != "grondslag":
        return reden
    gekozen = str(payload.get("grondslag", ""))
    if rol == "BW":
        return (
            "een bewindvoerder vraagt saldo's op grond van de beschikking van de rechtbank, niet op grond "
            f"van {GRONDSLAG_IN_WOORDEN.get(gekozen, gekozen)}: kies bij Grondslag ‘Beschikking van de "
            f"rechtbank’ (de beschikking zelf kunt u als PDF meesturen in {_DOCUMENTVELD})"
        )
    if rol == "SHV":
        return (
            "de grondslag ‘Beschikking van de rechtbank’ is voor bewindvoerders: een schuldhulpverlener "
            "kiest ‘Wgs (Wet gemeentelijke schuldhulpverlening)’ of, buiten de Wgs, ‘Toestemmingsverklaring "
            f"van de cliënt’ (de ondertekende verklaring kunt u als PDF meesturen in {_DOCUMENTVELD})"
        )
    return reden


GRONDSLAG_IN_WOORDEN = {
    "wgs": "de Wet gemeentelijke schuldhulpverlening (Wgs)",
    "toestemmingsverklaring": "een toestemmingsverklaring van de cliënt",
    "beschikking": "Beschikking van de rechtbank",
}
_DOCUMENTVELD = "het veld ‘Grondslag document’"


# --- the form as rendered ----------------------------------------------------------------------------


@dataclass
class Veld:
    """One field of the rendered form, with what was typed and its errors."""

    sj: Sjabloon
    pad: str
    label: str
    volledig_label: str
    verplicht: bool
    """Required within its group or row (an optional group's fields are required once it is used)."""
    html_verplicht: bool = False
    """Required outright: the field and every group around it are required, outside array rows."""
    waarde: str = ""
    fouten: list[str] = field(default_factory=list)
    kinderen: list[Veld] = field(default_factory=list)
    rij: int | None = None
    """For a row of an array: its number, from 1."""
    of: list[str] = field(default_factory=list)
    """The labels of the other fields of its block of which one must be filled in (``een_van``)."""
    anders: str = ""
    """For a field with ``suggesties``: the other code typed (when "Een andere reden" is chosen)."""

    @property
    def soort(self) -> str:
        return self.sj.soort

    @property
    def keuze(self) -> str:
        """For a field with ``suggesties``: the option to show chosen (a code of the list, or
        ``ANDERS`` for another code typed, or ``""``)."""
        if not self.waarde or self.waarde == ANDERS:
            return self.waarde
        return self.waarde if self.waarde in {c for c, _ in self.sj.suggesties} else ANDERS

    @property
    def anders_keuze(self) -> str:
        return ANDERS

    @property
    def anders_naam(self) -> str:
        return f"{self.naam}.anders"

    @property
    def anders_id(self) -> str:
        return f"{self.id}-anders"

    @property
    def anders_hint(self) -> str:
        return ANDERS_HINT

    @property
    def een_van_hint(self) -> str | None:
        """A block's sentence on the fields of which one is required (as the werkplek's form says it)."""
        namen = [k.label[:1].lower() + k.label[1:] for k in self.kinderen if k.sj.naam in self.sj.een_van]
        if len(namen) < 2:
            return None
        opsomming = ", ".join(namen[:-1]) + " of " + namen[-1]
        beide = "één van beide" if len(namen) == 2 else "minstens één daarvan"
        if self.sj.verplicht:
            return f"Vul {opsomming} in; {beide} is verplicht."
        return f"Vul {opsomming} in als u dit blok invult; {beide} is dan verplicht."

    @property
    def id(self) -> str:
        return "v-" + (re.sub(r"[^A-Za-z0-9]+", "-", self.pad).strip("-") or "inhoud")

    @property
    def naam(self) -> str:
        return PREFIX + self.pad

    @property
    def rijen_naam(self) -> str:
        return RIJEN_PREFIX + self.pad

    @property
    def hint(self) -> str | None:
        if self.soort == "bedrag":
            return "In euro's, bijvoorbeeld 1234,56."
        if self.sj.hint:
            return self.sj.hint
        if self.sj.naam in HINTS:
            return HINTS[self.sj.naam]
        if self.soort == "datum":
            return "Bijvoorbeeld 01-03-2024."
        if self.soort == "bijlage":
            return "Een PDF-document van hoogstens 1 MB."
        return None

    @property
    def beschreven_door(self) -> str:
        ids = []
        if self.hint:
            ids.append(self.id + "-hint")
        if self.fouten:
            ids.append(self.id + "-fout")
        return " ".join(ids)

    @property
    def kan_toevoegen(self) -> bool:
        return self.soort == "lijst" and len(self.kinderen) < self.sj.max_items

    @property
    def opties(self) -> tuple[tuple[str, str], ...]:
        return self.sj.opties


def _bouw(
    sj: Sjabloon,
    pad: str,
    invoer: Invoer,
    fouten: Mapping[str, list[str]],
    ouderlabel: str,
    verplicht: bool,
    rij: int | None = None,
) -> Veld:
    eigen = sj.label if rij is None else (f"Regel {rij}" if sj.soort == "groep" else f"{sj.label} {rij}")
    volledig = f"{ouderlabel} – {eigen}" if ouderlabel else eigen
    verplicht = verplicht and sj.verplicht and rij is None
    veld = Veld(
        sj,
        pad,
        eigen,
        volledig,
        sj.verplicht,
        verplicht,
        invoer.waarden.get(pad, ""),
        list(fouten.get(pad, [])),
        rij=rij,
    )
    if sj.suggesties:
        codes = {c for c, _ in sj.suggesties}
        eigen_code = veld.waarde if veld.waarde not in codes and veld.waarde != ANDERS else ""
        veld.anders = invoer.waarden.get(_pad(pad, "anders"), "") or eigen_code
    if sj.soort == "groep":
        veld.kinderen = [
            _bouw(k, _pad(pad, k.naam), invoer, fouten, volledig, verplicht) for k in sj.kinderen
        ]
        samen = [k for k in veld.kinderen if k.sj.naam in sj.een_van]
        for k in samen:
            k.of = [a.label[:1].lower() + a.label[1:] for a in samen if a is not k]
    elif sj.soort == "lijst":
        veld.kinderen = [
            _bouw(sj.kinderen[0], f"{pad}[{i}]", invoer, fouten, volledig, False, rij=i + 1)
            for i in range(_aantal_rijen(sj, pad, invoer))
        ]
    return veld


def _alle(veld: Veld) -> Iterator[Veld]:
    yield veld
    for kind in veld.kinderen:
        yield from _alle(kind)


alle = _alle
"""A rendered field and every field inside it."""


@dataclass
class Formulier:
    """The rendered form: its fields, and every error (for the summary at the top)."""

    velden: list[Veld]
    samenvatting: list[tuple[str, str, str]]
    """(field id to link to, label, reason)."""


def bouw(
    module: str,
    code: str,
    invoer: Invoer,
    fouten: Mapping[str, list[str]] | None = None,
    versie: str = "1.0",
    rol: str | None = None,
) -> Formulier:
    """The form for a message type, filled with ``invoer``, errors placed at their fields (or, when
    a path has no field of its own, at the nearest fieldset that holds it; a field the portal fills
    itself, at the PDF beside it); labels for the sender's ``rol``."""
    sj = sjabloon(module, code, versie, rol or "")
    fouten = dict(fouten or {})
    wortel = _bouw(sj, "", invoer, {}, "", True)
    per_pad = {v.pad: v for v in _alle(wortel)}
    samenvatting: list[tuple[str, str, str]] = []
    for pad, gemeld in fouten.items():
        doel = pad
        while doel and doel not in per_pad:
            doel = re.sub(r"(\[\d+\]|\.?[^.\[]+)$", "", doel)
        veld = per_pad.get(doel, wortel)
        if veld.sj.verborgen:
            ouder = per_pad.get(re.sub(r"\.[^.\[]+$", "", doel) if "." in doel else "", wortel)
            veld = next((k for k in ouder.kinderen if k.soort == "bijlage"), ouder)
        verplicht = (
            "is verplicht; maak een keuze"
            if veld.soort in ("keuze", "janee") or veld.sj.suggesties
            else "is verplicht; vul het in"
        )
        redenen = [verplicht if r == ONTBREEKT else nl_datums(r) for r in gemeld]
        veld.fouten.extend(redenen)
        for reden in redenen:
            samenvatting.append((veld.id, veld.volledig_label or "Inhoud", reden))
    volgorde = {v.id: i for i, v in enumerate(_alle(wortel))}
    samenvatting.sort(key=lambda s: volgorde.get(s[0], -1))
    return Formulier(wortel.kinderen, samenvatting)


# --- a received payload, shown readably ----------------------------------------------------------


@dataclass
class Toon:
    """One item of a payload shown to a person: a value, a group, or a table (array of objects)."""

    label: str
    soort: str  # waarde | groep | tabel
    waarde: str = ""
    getal: bool = False
    kinderen: list[Toon] = field(default_factory=list)
    kolommen: list[str] = field(default_factory=list)
    rijen: list[list[tuple[str, bool]]] = field(default_factory=list)


_DAGEN = ("ma", "di", "wo", "do", "vr", "za", "zo")
_MAANDEN = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")


def _cel(naam: str, waarde: Any) -> tuple[str, bool]:
    """(text, is it a number) for one value."""
    from knooppunt.portaal.weergave import bedrag

    if waarde is None:
        return "—", False
    if isinstance(waarde, bool):
        return ("Ja" if waarde else "Nee"), False
    if isinstance(waarde, int) and is_bedrag(naam):
        return bedrag(waarde), True
    if isinstance(waarde, str) and len(waarde) > 64 and waarde.startswith("JVBER"):
        # a document in the payload (base64 PDF): its size, not its bytes; the zip holds the file
        return f"PDF-document ({max(1, len(waarde) * 3 // 4 // 1024)} kB)", False
    if isinstance(waarde, int | float):
        tekst = f"{waarde}".replace(".", ",")
        return (tekst + " %" if "ercentage" in naam else tekst), True
    if isinstance(waarde, str):
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", waarde):
            try:
                d = date.fromisoformat(waarde)
                return f"{_DAGEN[d.weekday()]} {d.day} {_MAANDEN[d.month - 1]} {d.year}", False
            except ValueError:
                return waarde, False
        return OPTIES.get(naam, {}).get(waarde, waarde), False
    if isinstance(waarde, Mapping):
        return "; ".join(f"{label(k)}: {_cel(k, v)[0]}" for k, v in waarde.items()), False
    if isinstance(waarde, list):
        return ", ".join(_cel(naam, v)[0] for v in waarde), False
    return str(waarde), False


def toon(payload: Mapping[str, Any]) -> list[Toon]:
    """A decrypted payload as labelled values, groups and tables; amounts in euros, dates in Dutch."""
    uit: list[Toon] = []
    for naam, waarde in payload.items():
        if isinstance(waarde, Mapping):
            uit.append(Toon(label(naam), "groep", kinderen=toon(waarde)))
        elif isinstance(waarde, list) and waarde and all(isinstance(v, Mapping) for v in waarde):
            kolommen: list[str] = []
            for rij in waarde:
                kolommen.extend(k for k in rij if k not in kolommen)
            uit.append(
                Toon(
                    label(naam),
                    "tabel",
                    kolommen=[label(k) for k in kolommen],
                    rijen=[[_cel(k, rij.get(k)) for k in kolommen] for rij in waarde],
                )
            )
        else:
            tekst, getal = _cel(naam, waarde)
            if isinstance(waarde, list) and not waarde:
                tekst = "(geen)"
            uit.append(Toon(label(naam), "waarde", tekst, getal))
    return uit
