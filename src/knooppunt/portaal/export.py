"""The download of received messages as a zip (art. 17.1, DESIGN §7), built in memory.

Per message type of 17.1 (a–i) one CSV: ``;``-separated, UTF-8 with BOM, CRLF, one row per
message. Its columns: the envelope (`ENVELOP_KOLOMMEN`), the payload's fields with dotted names
(``klant.achternaam``, lists numbered from 1: ``vorderingen.1.factuurnummerSEVolgensSHV``) and,
for the questions a creditor answers by upload, the empty answer columns that the upload reads — so
the creditor fills them in and uploads the same file: the handbook's own columns for saldoverzoeken
and betaalvoorstellen (`csvformaat`), the generic ones of `csvindeling` for the kennisgevingen
(answered by *Klant gemeld voor SHV antwoord* or *Klant onbekend*, art. 4.1, 8.1; their files carry
``module`` and ``versie`` in the envelope, as every module's files do, so that `csvmodules` reads them).
A cell that starts with ``= + - @`` — also after leading spaces or line breaks — (or with a tab or
a line break) gets a leading ``'`` (`csvformaat.veilig`): a spreadsheet must not run it as a
formula. Plus a readable HTML copy per message and a LEESMIJ.txt.

Nothing of it touches a disk: the zip is a ``BytesIO`` answered to the browser and forgotten.
"""

from __future__ import annotations

import base64
import binascii
import copy
import csv
import functools
import io
import types
import typing
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from knooppunt.client.hub import Ontvangen
from knooppunt.hub.mailbox import WEIGERREDENEN, Instellingen
from knooppunt.portaal import csvformaat, csvindeling, leesbaar, weergave
from knooppunt.portaal.csvformaat import EXCEL_CSV, veilig
from knooppunt.portaal.gastclient import HUB
from knooppunt.portaal.weergave import AMSTERDAM, berichttype_naam, templates, tijdstip
from knooppunt.protocol.catalogus import CATALOGUS
from knooppunt.protocol.payloads import PAYLOADS, schema_voor
from knooppunt.protocol.payloads.register import veldnamen

SR = "schuldregeling"
ENVELOP_KOLOMMEN = (
    "referentienummer",
    "conversatieReferentienummer",
    "crossReferentienummer",
    "berichttype",
    "afzender",
    "afzenderNaam",
    "ontvangenOp",
    "verlooptOp",
)
MELDING_KOLOMMEN = (
    "melding.code",
    "melding.omschrijving",
    "melding.referentienummer",
    "melding.reden",
    "melding.ontvanger",
)
NIET_IN_ZIP = frozenset({"ontvangstbevestiging"})
"""Receipts are shown in the portal, not zipped (DESIGN §7)."""

SLEUTEL_ONTBREEKT = (
    "Het bericht is versleuteld voor een (vorig) certificaat van uw organisatie waarvan het portaal de "
    "sleutel niet bewaart. Vraag de beheerder van het knooppunt die sleutel in het portaal te zetten "
    "(knooppunt portaal sleutel import); daarna opent het bericht gewoon."
)


@dataclass(frozen=True, slots=True)
class Exportsoort:
    """One CSV of the zip: an item of art. 17.1 (schuldregeling 1.0), or one message type of one
    module and version with the layout of `csvindeling` (``generiek``)."""

    letter: str
    bestand: str
    titel: str
    typen: tuple[str, ...]
    antwoord: csvformaat.Bestandsoort | None = None
    """The handbook's upload file (art. 18.2) whose answer columns this CSV carries."""
    module: str = SR
    versie: str = "1.0"
    generiek: bool = False
    """Laid out by `csvindeling`: the envelope with ``module`` and ``versie``, the generic answer
    columns (``antwoord.berichttype`` and every answer's fields) that `csvmodules` reads."""


EXPORTSOORTEN = (
    # a, b: answered by kennisgeving_antwoord or klant_onbekend (art. 4.1, 8.1) through the generic
    # answer columns, as the kennisgevingen of every other version are.
    Exportsoort("a", "kennisgevingen.csv", "Klant gemeld voor SHV", ("kennisgeving",), generiek=True),
    Exportsoort(
        "b", "kennisgevingen_bsn.csv", "Klant (BSN) gemeld voor SHV", ("kennisgeving_bsn",), generiek=True
    ),
    Exportsoort(
        "c",
        "saldoverzoeken.csv",
        "Saldoverzoek (nuts, publiek, zorg)",
        ("saldoverzoek", "saldoverzoek_nuts", "saldoverzoek_publiek", "saldoverzoek_zorg"),
        csvformaat.SALDOVERZOEK,
    ),
    Exportsoort(
        "d", "betaalvoorstellen.csv", "Betaalvoorstel", ("betaalvoorstel",), csvformaat.BETAALVOORSTEL
    ),
    Exportsoort("e", "reminders.csv", "Reminderbericht", ("reminder",)),
    Exportsoort("f", "statusberichten.csv", "Statusbericht", ("statusbericht",)),
    Exportsoort(
        "g",
        "schuldregelingen_geaccordeerd.csv",
        "Schuldregeling geaccordeerd",
        ("schuldregeling_geaccordeerd",),
    ),
    Exportsoort(
        "h", "schuldregelingen_beeindigd.csv", "Schuldregeling beëindigd", ("schuldregeling_beeindigd",)
    ),
    Exportsoort("i", "foutberichten.csv", "Fout bericht (van knooppunt)", ("foutbericht",)),
)
_PER_TYPE = {t: s for s in EXPORTSOORTEN for t in s.typen}


def soort_van(berichttype: str, module: str = SR, versie: str = "1.0") -> Exportsoort:
    """The CSV a message goes in: the handbook's 17.1 files for the versions that keep them (and
    every module's foutberichten, 17.1i); else one file per (module, versie, type) laid out by
    `csvindeling`."""
    gevonden = _PER_TYPE.get(berichttype)
    if gevonden is not None and (berichttype == "foutbericht" or csvindeling.is_handboek(module, versie)):
        return gevonden
    if not csvindeling.is_handboek(module, versie) and CATALOGUS.zoek(module, berichttype, versie):
        return Exportsoort(
            "",
            csvindeling.bestandsnaam(module, versie, berichttype),
            f"{csvindeling.modulenaam(module)}: {csvindeling.typenaam(module, berichttype, versie)}",
            (berichttype,),
            module=module,
            versie=versie,
            generiek=True,
        )
    return Exportsoort("", f"{berichttype}.csv", berichttype_naam(berichttype, module), (berichttype,))


def antwoordkolommen(soort: Exportsoort) -> list[str]:
    """The empty answer columns of one CSV, which the upload reads back: the handbook file's
    (`csvformaat`), or the generic ones (`csvindeling`) of a question that is answered; none
    for a type that is not answered."""
    if soort.generiek:
        if not csvindeling.antwoordtypen(soort.module, soort.versie, soort.typen[0]):
            return []
        return csvindeling.antwoordkolommen(soort.module, soort.versie, soort.typen[0])
    return list(soort.antwoord.kolommen) if soort.antwoord is not None else []


def soort_van_bericht(bericht: Ontvangen) -> Exportsoort:
    env = bericht.envelop
    return soort_van(bericht.berichttype, str(env.get("module") or SR), str(env.get("versie") or "1.0"))


def cel(inhoud: Any) -> str:
    if inhoud is None:
        return ""
    if isinstance(inhoud, bool):
        return "ja" if inhoud else "nee"
    if isinstance(inhoud, float):
        return f"{inhoud:g}"
    return veilig(str(inhoud))


def moment(waarde: Any) -> str:
    """An envelope time as ISO 8601 in Dutch local time, to the second."""
    if waarde is None or waarde == "":
        return ""
    if isinstance(waarde, str):
        waarde = datetime.fromisoformat(waarde)
    assert isinstance(waarde, datetime)
    return waarde.astimezone(AMSTERDAM).isoformat(timespec="seconds")


# --- payload columns -------------------------------------------------------------------------------


def _kern(soort: Any) -> Any:
    """The type inside Optional[...] and Annotated[...]."""
    while True:
        oorsprong = typing.get_origin(soort)
        if oorsprong is typing.Annotated:
            soort = typing.get_args(soort)[0]
        elif oorsprong in (typing.Union, types.UnionType):
            binnen = [a for a in typing.get_args(soort) if a is not type(None)]
            if len(binnen) != 1:
                return soort
            soort = binnen[0]
        else:
            return soort


@functools.cache
def kolomboom(model: type[BaseModel]) -> tuple[dict[str, Any], ...]:
    """A model's columns as a tree, before the lists are numbered: ``{"veld": naam}`` for a cell,
    ``{"veld": naam, "groep": [...]}`` for a nested block, ``{"veld": naam, "lijst": [...]}`` for a
    list of blocks and ``{"veld": naam, "lijst": None}`` for a list of values. `_kolommen` expands
    it here; the werkplek's download (`beschrijving`) gets it as is and expands it the same way."""
    uit: list[dict[str, Any]] = []
    for naam, veld in model.model_fields.items():
        if veld.exclude:
            continue
        soort = _kern(veld.annotation)
        if isinstance(soort, type) and issubclass(soort, BaseModel):
            uit.append({"veld": naam, "groep": list(kolomboom(soort))})
        elif typing.get_origin(soort) is list:
            element = _kern(typing.get_args(soort)[0])
            binnen = isinstance(element, type) and issubclass(element, BaseModel)
            uit.append({"veld": naam, "lijst": list(kolomboom(element)) if binnen else None})
        else:
            uit.append({"veld": naam})
    return tuple(uit)


def _vouw_uit(boom: Sequence[Mapping[str, Any]], prefix: str, aantallen: Mapping[str, int]) -> Iterator[str]:
    """The dotted columns of a `kolomboom`, each list numbered up to its longest among the messages
    (at least one item)."""
    for knoop in boom:
        pad = f"{prefix}{knoop['veld']}"
        if "groep" in knoop:
            yield from _vouw_uit(knoop["groep"], pad + ".", aantallen)
        elif "lijst" in knoop:
            for nummer in range(1, max(1, aantallen.get(pad, 0)) + 1):
                if knoop["lijst"] is not None:
                    yield from _vouw_uit(knoop["lijst"], f"{pad}.{nummer}.", aantallen)
                else:
                    yield f"{pad}.{nummer}"
        else:
            yield pad


def _kolommen(model: type[BaseModel], prefix: str, aantallen: Mapping[str, int]) -> Iterator[str]:
    """The dotted columns of a model, lists expanded to the longest one among the messages."""
    return _vouw_uit(kolomboom(model), prefix, aantallen)


def plat(waarde: Any, prefix: str = "", uit: dict[str, Any] | None = None) -> dict[str, Any]:
    """A payload as {dotted column: value}; list items numbered from 1."""
    uit = {} if uit is None else uit
    if isinstance(waarde, Mapping):
        for sleutel, binnen in waarde.items():
            plat(binnen, f"{prefix}{sleutel}.", uit)
    elif isinstance(waarde, list):
        uit[prefix[:-1] + "#"] = len(waarde)
        for nummer, binnen in enumerate(waarde, start=1):
            plat(binnen, f"{prefix}{nummer}.", uit)
    else:
        uit[prefix[:-1]] = waarde
    return uit


def _voeg_samen(lijsten: Sequence[list[str]]) -> list[str]:
    """Columns of several message types in one file: each new column right after its
    predecessor in its own type's order (so ``klant.bsn`` lands among the ``klant.*``)."""
    samen: list[str] = []
    for lijst in lijsten:
        vorige: str | None = None
        for kolom in lijst:
            if kolom not in samen:
                samen.insert(samen.index(vorige) + 1 if vorige is not None else len(samen), kolom)
            vorige = kolom
    return samen


def payloadkolommen(
    typen: Sequence[str], platte: Sequence[dict[str, Any]], module: str = SR, versie: str = "1.0"
) -> list[str]:
    """The payload columns of one CSV: the models' fields, then any field a message carries that
    its model does not name (a model that allows more), so nothing received is left out."""
    aantallen: dict[str, int] = {}
    for rij in platte:
        for sleutel, waarde in rij.items():
            if sleutel.endswith("#"):
                aantallen[sleutel[:-1]] = max(aantallen.get(sleutel[:-1], 0), int(waarde))
    lijsten = []
    for code in typen:
        model = PAYLOADS.get((module, code, versie))
        if model is not None:
            lijsten.append(list(_kolommen(model, "", aantallen)))
    bekend = set(_voeg_samen(lijsten))
    lijsten.append(sorted({k for rij in platte for k in rij if not k.endswith("#") and k not in bekend}))
    return _voeg_samen(lijsten)


def is_pdf(waarde: Any) -> bool:
    """A document carried in the payload as base64 (a beschikking, a toestemmingsverklaring)."""
    return isinstance(waarde, str) and len(waarde) > 64 and waarde.startswith("JVBER")


def bijlagenaam(bericht: Ontvangen, kolom: str) -> str:
    return f"bijlagen/{bericht.berichttype}-{bericht.referentienummer}-{kolom.replace('.', '-')}.pdf"


# --- the zip -----------------------------------------------------------------------------------------


@dataclass(slots=True)
class Download:
    inhoud: bytes
    bestandsnaam: str
    aantal: int
    per_bestand: dict[str, int] = field(default_factory=dict)
    niet_geopend: list[Ontvangen] = field(default_factory=list)


def _csv(kop: Sequence[str], rijen: Sequence[Sequence[str]]) -> bytes:
    buffer = io.StringIO(newline="")
    schrijver = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    schrijver.writerow(kop)
    schrijver.writerows(rijen)
    return buffer.getvalue().encode("utf-8-sig")


def _envelop(bericht: Ontvangen, namen: Mapping[str, str], *, generiek: bool = False) -> list[str]:
    env = bericht.envelop
    module = [cel(env.get("module")), cel(env.get("versie"))] if generiek else []
    return [
        cel(env.get("referentienummer")),
        cel(env.get("conversatieReferentienummer")),
        cel(env.get("crossReferentienummer")),
        *module,
        cel(env.get("berichttype")),
        cel(env.get("afzender")),
        cel(namen.get(bericht.afzender, bericht.afzender)),
        moment(env.get("ontvangenOp")),
        moment(env.get("verlooptOp")),
    ]


def csv_van(soort: Exportsoort, berichten: Sequence[Ontvangen], namen: Mapping[str, str]) -> bytes:
    """One CSV of the zip: envelope, payload (or the hub's melding) and empty answer columns. A
    document in the payload is not a cell: the cell names its file in the zip (``bijlagen/``)."""
    if all(b.van_knooppunt for b in berichten):
        kolommen = list(MELDING_KOLOMMEN)
        platte = [plat(b.melding or {}, "melding.") for b in berichten]
    else:
        platte = [plat(b.payload or {}) for b in berichten]
        for bericht, rij in zip(berichten, platte, strict=True):
            for kolom, waarde in list(rij.items()):
                if is_pdf(waarde):
                    rij[kolom] = bijlagenaam(bericht, kolom)
        kolommen = payloadkolommen(
            sorted({b.berichttype for b in berichten}), platte, soort.module, soort.versie
        )
    antwoord = antwoordkolommen(soort)
    leeg = [""] * len(antwoord)
    envelop = csvindeling.GENERIEKE_ENVELOP if soort.generiek else ENVELOP_KOLOMMEN
    rijen = [
        [*_envelop(b, namen, generiek=soort.generiek), *(cel(p.get(k)) for k in kolommen), *leeg]
        for b, p in zip(berichten, platte, strict=True)
    ]
    return _csv([*envelop, *kolommen, *antwoord], rijen)


def bijlagen(bericht: Ontvangen) -> list[tuple[str, bytes]]:
    """The documents in a message's payload, as files for the zip."""
    uit = []
    for kolom, waarde in plat(bericht.payload or {}).items():
        if is_pdf(waarde):
            try:
                uit.append((bijlagenaam(bericht, kolom), base64.b64decode(waarde, validate=True)))
            except binascii.Error:
                continue
    return uit


def leesbare_kopie(bericht: Ontvangen, namen: Mapping[str, str], *, nu: datetime) -> bytes:
    """A small self-contained HTML page of one message, with Dutch labels and amounts in euro; a hub
    notice with the types and participants it names in words (``weergave.melding_weergave``)."""
    inhoud = weergave.melding_weergave(bericht.melding, namen) if bericht.van_knooppunt else bericht.payload
    html = templates.get_template("ontvangen/leesbaar.html").render(
        bericht=bericht,
        envelop=bericht.envelop,
        afzender=namen.get(bericht.afzender, bericht.afzender),
        regels=leesbaar.regels(inhoud or {}),
        gemaakt=nu,
    )
    return html.encode("utf-8")


def bouw(
    berichten: Sequence[Ontvangen],
    *,
    namen: Mapping[str, str],
    organisatie: str,
    nu: datetime,
    instellingen: Instellingen,
) -> Download:
    """The zip of a download: CSVs per 17.1 item, readable copies, LEESMIJ.txt."""
    geopend = [
        b
        for b in berichten
        if b.berichttype not in NIET_IN_ZIP and (b.payload is not None or b.van_knooppunt)
    ]
    niet_geopend = [b for b in berichten if b.berichttype not in NIET_IN_ZIP and b.fout is not None]
    per_soort: dict[Exportsoort, list[Ontvangen]] = {}
    for bericht in geopend:
        per_soort.setdefault(soort_van_bericht(bericht), []).append(bericht)
    volgorde = sorted(per_soort, key=lambda s: (s.letter or "z", s.bestand))
    buffer = io.BytesIO()
    tijd = nu.astimezone(AMSTERDAM).timetuple()[:6]
    per_bestand: dict[str, int] = {}
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zip_:

        def schrijf(naam: str, data: bytes) -> None:
            info = zipfile.ZipInfo(naam, date_time=tijd)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zip_.writestr(info, data)

        for soort in volgorde:
            schrijf(soort.bestand, csv_van(soort, per_soort[soort], namen))
            per_bestand[soort.bestand] = len(per_soort[soort])
        for bericht in geopend:
            schrijf(
                f"leesbaar/{bericht.berichttype}-{bericht.referentienummer}.html",
                leesbare_kopie(bericht, namen, nu=nu),
            )
            for naam, data in bijlagen(bericht):
                schrijf(naam, data)
        schrijf(
            "LEESMIJ.txt",
            leesmij(
                geopend=geopend,
                per_bestand=per_bestand,
                niet_geopend=niet_geopend,
                namen=namen,
                organisatie=organisatie,
                nu=nu,
                instellingen=instellingen,
            ),
        )
    datum = nu.astimezone(AMSTERDAM).date().isoformat()
    return Download(
        inhoud=buffer.getvalue(),
        bestandsnaam=f"knooppunt-{datum}-{len(geopend)}-berichten.zip",
        aantal=len(geopend),
        per_bestand=per_bestand,
        niet_geopend=niet_geopend,
    )


def leesmij(
    *,
    geopend: Sequence[Ontvangen],
    per_bestand: Mapping[str, int],
    niet_geopend: Sequence[Ontvangen],
    namen: Mapping[str, str],
    organisatie: str,
    nu: datetime,
    instellingen: Instellingen,
    werkplek: bool = False,
) -> bytes:
    """The zip's LEESMIJ.txt, from metadata only (types, numbers, senders, expiry, refusal codes):
    so the werkplek's zip, built in the browser, gets the same text from the server (``werkplek``:
    readable copies as text, confirming and refusing on the werkplek). The terms it names are the
    ones this hub applies (``instellingen``; term lengths are configuration, DESIGN §6)."""
    regels = [
        "Schuldenknooppunt - download van ontvangen berichten",
        f"Voor: {organisatie}",
        f"Gemaakt: {tijdstip(nu)}",
        "",
        "INHOUD",
    ]
    for soort in EXPORTSOORTEN:
        if soort.bestand in per_bestand:
            extra = " (met lege antwoordkolommen, zie ANTWOORDEN UPLOADEN)" if antwoordkolommen(soort) else ""
            regels.append(
                f"- {soort.bestand}: {per_bestand[soort.bestand]} x {soort.titel} (17.1{soort.letter}){extra}"
            )
    for naam, aantal in per_bestand.items():
        if naam not in {s.bestand for s in EXPORTSOORTEN}:
            regels.append(f"- {naam}: {aantal} {'bericht' if aantal == 1 else 'berichten'}")
    if any("/" in naam for naam in per_bestand):
        regels += [
            "- bijlagen/: documenten uit de berichten (PDF), genoemd in hun kolom van de CSV.",
            "  Bestanden in een map <module>-<versie>/ volgen de module en versie van het bericht: een",
            "  antwoord gaat altijd in de versie van de vraag.",
        ]
    regels += [
        "- leesbaar/: per bericht een leesbare kopie (tekst; opent in elke teksteditor)."
        if werkplek
        else "- leesbaar/: per bericht een leesbare kopie (HTML; opent in elke webbrowser).",
        "",
        "BEVESTIGEN (art. 17.2 - 17.5)",
        *(
            [
                "Bevestig de download op de werkplek van het portaal (Sleutels en berichten > Download",
                "bevestigen) zodra u de berichten in uw administratie hebt verwerkt. Daarna verwijdert het",
                "knooppunt de inhoud. Zolang u niet",
            ]
            if werkplek
            else [
                "Bevestig de download op het webportaal (Ontvangen > Bevestig download) zodra u de berichten",
                "in uw administratie hebt verwerkt. Daarna verwijdert het knooppunt de inhoud. Zolang u niet",
            ]
        ),
        "hebt bevestigd en het bericht niet verlopen is, kunt u het opnieuw downloaden (17.4).",
        f"Een bericht dat niet binnen {weergave.werkdagen(instellingen.bevestigingstermijn)} na ontvangst is "
        "bevestigd, verloopt: het wordt",
        "verwijderd en de afzender krijgt daarvan bericht (17.3, 17.5).",
    ]
    if geopend:
        # compared as instants: ISO texts in local time differ in offset across summer time
        eerste = min(geopend, key=lambda b: datetime.fromisoformat(moment(b.envelop.get("verlooptOp"))))
        regels.append(
            f"Het eerste bericht van deze download verloopt op {tijdstip(eerste.envelop.get('verlooptOp'))}."
        )
    regels += [
        *_antwoordtermijnen(geopend, instellingen),
        "",
        "DE CSV-BESTANDEN",
        f"- {EXCEL_CSV}: scheidingsteken ; (puntkomma), tekenset UTF-8 met BOM, een rij per bericht.",
        "- Eerst de envelop: " + ", ".join(ENVELOP_KOLOMMEN) + ".",
        *_module_en_versie(per_bestand),
        "  Tijden in ISO 8601, Nederlandse tijd. crossReferentienummer noemt het bericht waarnaar dit",
        "  bericht verwijst (bij een reminder: uw openstaande vraag; bij een foutbericht: het bericht",
        "  waar het over gaat).",
        "- Dan de velden van het bericht met hun namen uit de standaard, met punten voor onderdelen",
        "  (klant.achternaam) en nummers voor lijsten (vorderingen.1.factuurnummerSEVolgensSHV).",
        "- Bedragen in eurocenten (12345 = EUR 123,45); datums JJJJ-MM-DD; ja/nee.",
        "- Een cel die begint met = + - of @ (ook na spaties of een regeleinde) krijgt een ' ervoor,",
        "  zodat een spreadsheet er geen formule van maakt. Bij het uploaden laat het portaal die '",
        "  weer weg.",
        *_antwoorden_uploaden(per_bestand),
    ]
    zonder_sleutel = [b for b in niet_geopend if b.ontbrekende_sleutel is not None]
    niet_geopend = [b for b in niet_geopend if b.ontbrekende_sleutel is None]
    if zonder_sleutel:
        regels += ["", "BERICHTEN VOOR EEN CERTIFICAAT WAARVAN HET PORTAAL DE SLEUTEL NIET HEEFT"]
        for bericht in zonder_sleutel:
            regels.append(
                f"- {bericht.referentienummer} ({berichttype_naam(bericht.berichttype)}, van "
                f"{namen.get(bericht.afzender, bericht.afzender)}): versleuteld voor uw certificaat "
                f"met kid {bericht.ontbrekende_sleutel}."
            )
        regels += ["  " + SLEUTEL_ONTBREEKT, "  Weiger deze berichten niet: aan de inhoud mankeert niets."]
    if niet_geopend:
        regels += ["", "BERICHTEN DIE NIET GEOPEND KONDEN WORDEN"]
        for bericht in niet_geopend:
            reden = WEIGERREDENEN.get(bericht.fout or "", bericht.foutdetail or "onbekende fout")
            regels.append(
                f"- {bericht.referentienummer} ({berichttype_naam(bericht.berichttype)}, van "
                f"{namen.get(bericht.afzender, bericht.afzender)}): {reden}."
            )
        regels += (
            [
                "  Deze berichten staan niet in de CSV-bestanden. Weiger ze op de werkplek van het portaal",
                "  (Downloaden > Weigeren): de afzender krijgt dan een foutbericht en kan het opnieuw",
                "  sturen.",
            ]
            if werkplek
            else [
                "  Deze berichten staan niet in de CSV-bestanden. Open ze op het portaal (Ontvangen >",
                "  Bekijken) en kies Weigeren: de afzender krijgt dan een foutbericht en kan het opnieuw",
                "  sturen.",
            ]
        )
    regels += [
        "",
        "MELDINGEN VAN HET KNOOPPUNT",
        "Foutberichten staan in foutberichten.csv (17.1i) en op het portaal. Ontvangstbevestigingen",
        "staan niet in de download; u ziet ze op het portaal (Ontvangen > Meldingen).",
        "",
    ]
    return "\r\n".join(regels).encode("utf-8-sig")


def _module_en_versie(per_bestand: Mapping[str, int]) -> list[str]:
    """Which CSVs of this download also carry the columns module and versie (DESIGN §3a)."""
    met = [n for n in ("kennisgevingen.csv", "kennisgevingen_bsn.csv") if n in per_bestand]
    if any("/" in n for n in per_bestand):
        met.append("de bestanden in een map <module>-<versie>/")
    if not met:
        return []
    wie = met[0] if len(met) == 1 else ", ".join(met[:-1]) + " en " + met[-1]
    werkwoord = "heeft" if len(met) == 1 and "/" not in wie else "hebben"
    return [f"  {wie} {werkwoord} na crossReferentienummer ook de kolommen module en versie."]


_UPLOADUITLEG: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (
        ("saldoverzoeken.csv",),
        (
            "saldoverzoeken.csv: vul per rij de kolommen antwoord.* in en upload hetzelfde bestand op het",
            "portaal (Antwoorden uploaden). antwoord.saldoverzoek is 'saldo', 'standaard akkoord' of",
            "'klant onbekend'. Bij saldo: antwoord.klantnummerSE, antwoord.contactpersoonSE.naam (met",
            "telefoon of e-mail) en antwoord.peildatum, en per vordering een rij met antwoord.vordering.*",
            "(kopieer de rij voor een tweede vordering; referentienummer gelijk laten) of op een rij de",
            "totaalvordering antwoord.totaal.*. Geen schuld: antwoord.totaal.actueelBedrag 0.",
        ),
    ),
    (
        ("betaalvoorstellen.csv",),
        (
            "betaalvoorstellen.csv: antwoord.betaalvoorstel is 'akkoord' of 'niet akkoord'; bij niet",
            "akkoord is een reden verplicht (antwoord.reden.code en antwoord.reden.tekst, art. 10.2).",
        ),
    ),
    (
        ("kennisgevingen.csv", "kennisgevingen_bsn.csv"),
        (
            "kennisgevingen.csv en kennisgevingen_bsn.csv: antwoord.berichttype is 'Klant gemeld voor SHV",
            "antwoord' (art. 4.1: antwoord.klantnummerSE en eventueel de factuurnummers) of 'Klant",
            "onbekend' (art. 8.1, eventueel met antwoord.reden.code en antwoord.reden.tekst).",
        ),
    ),
)
"""How to answer each of the handbook's CSVs that carry answer columns (art. 18.2)."""


def _antwoorden_uploaden(per_bestand: Mapping[str, int]) -> list[str]:
    """The section ANTWOORDEN UPLOADEN for the CSVs in this download only: a participant is not told
    how to answer files it never gets (the fund gets no saldoverzoeken)."""
    regels: list[str] = []
    for bestanden, uitleg in _UPLOADUITLEG:
        if any(b in per_bestand for b in bestanden):
            regels += uitleg
    if any("/" in n for n in per_bestand):
        regels += [
            "Bestanden in een map <module>-<versie>/: kies in antwoord.berichttype het antwoord (zoals",
            "het portaal het noemt, bijvoorbeeld 'Saldoverzoek antwoord' of 'Geen medewerking') en vul de",
            "kolommen antwoord.* in die bij dat antwoord horen; lijsten zijn genummerd",
            "(antwoord.vorderingen.1.factuurnummerSE). Een rij is een antwoord. Een bestand zonder",
            "kolommen antwoord.* is een bericht dat u niet beantwoordt.",
            "Laat module en versie ongewijzigd: een antwoord gaat altijd in de versie van de vraag.",
        ]
    if not regels:
        return []
    return [
        "",
        "ANTWOORDEN UPLOADEN (art. 18)",
        *regels,
        "Laat referentienummer, conversatieReferentienummer en klantnummerSHV ongewijzigd. Rijen",
        f"zonder antwoord worden overgeslagen. Sla op als '{EXCEL_CSV}'.",
        "Bevat een bestand een fout, dan wordt niets verstuurd en toont het portaal elke fout met",
        "bestand, rij en kolom (18.3c).",
    ]


def _antwoordtermijnen(geopend: Sequence[Ontvangen], instellingen: Instellingen) -> list[str]:
    """The answer terms this hub applies, per protocol version, and the modules' own terms of the
    questions in this download (DESIGN §3a, §6)."""
    modules = {str(b.envelop.get("module") or SR) for b in geopend}
    if geopend and not any(
        CATALOGUS.versies(m, "saldoverzoek") or CATALOGUS.versies(m, "betaalvoorstel") for m in modules
    ):
        # No module of saldoverzoeken or betaalvoorstellen in this download (the fund's, say).
        regels = [
            f"Vragen beantwoordt u binnen {weergave.werkdagen(instellingen.antwoordtermijn_2)} na het "
            "bevestigen, tenzij de module anders zegt."
        ]
    else:
        regels = [
            "Saldoverzoeken en betaalvoorstellen beantwoordt u binnen "
            f"{weergave.werkdagen(instellingen.antwoordtermijn)} na het bevestigen (art. 2.1);",
            "in versie 2.0 en in de andere modules binnen "
            f"{weergave.werkdagen(instellingen.antwoordtermijn_2)}, tenzij de module anders zegt.",
        ]
    eigen: dict[str, int] = {}
    for bericht in geopend:
        env = bericht.envelop
        t = CATALOGUS.zoek(str(env.get("module") or SR), bericht.berichttype, str(env.get("versie") or "1.0"))
        if t is not None and t.antwoord_verwacht and t.antwoordtermijn is not None:
            module = weergave.modulenaam(t.module)
            naam = f"{berichttype_naam(t.code, t.module, t.versie)} ({module} {t.versie})"
            eigen[naam] = instellingen.antwoordtermijn_van(t)
    if eigen:
        regels.append("Eigen termijnen van vragen in deze download (na het bevestigen):")
        regels += [f"- {naam}: binnen {weergave.werkdagen(dagen)}" for naam, dagen in sorted(eigen.items())]
    return regels


def berichttypen_in(soort: Exportsoort) -> list[str]:
    """The catalogue names of the types in one CSV (for the docs and the page)."""
    return [t.naam for code in soort.typen if (t := CATALOGUS.zoek(SR, code)) is not None]


# --- the werkplek's download: the same zip, built in the browser -------------------------------------

KOPIE_ENVELOP = (
    ("Van", "afzender"),
    ("Ontvangen", "ontvangenOp"),
    ("Bevestigen vóór", "verlooptOp"),
    ("Referentienummer", "referentienummer"),
    ("Conversatie", "conversatieReferentienummer"),
    ("Verwijst naar bericht", "crossReferentienummer"),
)
"""The envelope lines of a readable copy (``templates/ontvangen/leesbaar.html`` shows the same)."""


def _envelopbronnen(kolommen: Sequence[str]) -> list[dict[str, str]]:
    """Where each envelope column's cell comes from, as `_envelop` fills it: the envelope field as
    is, the sender's adresboek name, or a time in Dutch local time (`moment`)."""
    bron = {"afzenderNaam": "naam", "ontvangenOp": "moment", "verlooptOp": "moment"}
    return [{"kolom": k, "bron": bron.get(k, "envelop")} for k in kolommen]


def _soortbeschrijving(soort: Exportsoort) -> dict[str, Any]:
    envelop = csvindeling.GENERIEKE_ENVELOP if soort.generiek else ENVELOP_KOLOMMEN
    return {
        "bestand": soort.bestand,
        "letter": soort.letter,
        "titel": soort.titel,
        "module": soort.module,
        "versie": soort.versie,
        "envelop": _envelopbronnen(envelop),
        "antwoord": antwoordkolommen(soort),
        "melding": list(MELDING_KOLOMMEN),
    }


@functools.cache
def _beschrijving() -> dict[str, Any]:
    soorten: dict[str, dict[str, Any]] = {}
    typen: dict[str, dict[str, Any]] = {}
    labels: dict[str, str] = {}
    for t in CATALOGUS.alle():
        if t.code in NIET_IN_ZIP:
            continue
        model = PAYLOADS.get((t.module, t.code, t.versie))
        if model is None and t.code != "foutbericht":
            continue
        soort = soort_van(t.code, t.module, t.versie)
        soorten.setdefault(soort.bestand, _soortbeschrijving(soort))
        typen[f"{t.module}/{t.versie}/{t.code}"] = {
            "naam": berichttype_naam(t.code, t.module, t.versie),
            "bestand": soort.bestand,
            "kolommen": list(kolomboom(model)) if model is not None else None,
            "schema": schema_voor(t.module, t.code, t.versie) if model is not None else None,
        }
        if model is not None:
            labels.update({veld: leesbaar.label(veld) for veld in veldnamen(model)})
    labels.update({k.split(".", 1)[1]: leesbaar.label(k.split(".", 1)[1]) for k in MELDING_KOLOMMEN})
    return {
        "soorten": soorten,
        "volgorde": [
            b["bestand"] for b in sorted(soorten.values(), key=lambda b: (b["letter"] or "z", b["bestand"]))
        ],
        "typen": typen,
        "nietInZip": sorted(NIET_IN_ZIP),
        "meldingen": soort_van("foutbericht").bestand,
        "knooppunt": HUB,
        "cel": {
            "formuletekens": "".join(csvformaat.FORMULETEKENS),
            "onzichtbaar": csvformaat.ONZICHTBAAR,
            "spaties": "".join(chr(c) for c in range(0x110000) if chr(c).isspace()),
            "scheidingsteken": csvformaat.SCHEIDINGSTEKEN,
            "ja": "ja",
            "nee": "nee",
        },
        "bijlage": {"begin": "JVBER", "langerDan": 64, "map": "bijlagen/"},
        "leesbaar": {
            "labels": labels,
            "bedragen": sorted(leesbaar.BEDRAGEN),
            "percentages": sorted(leesbaar.PERCENTAGES),
            "waarden": leesbaar._WAARDEN,
            "envelop": [{"label": label, "veld": veld} for label, veld in KOPIE_ENVELOP],
            "inhoud": "Inhoud",
            "melding": "Melding van het knooppunt",
            "slot": "Leesbare kopie uit het Schuldenknooppunt, gemaakt {gemaakt}. Bedragen in euro.",
            "pdf": "PDF-document ({kb} kB), in de map bijlagen/ van de download",
        },
        "tijd": {"dagen": list(weergave._DAGEN), "maanden": list(weergave._MAANDEN), "zone": str(AMSTERDAM)},
    }


def beschrijving() -> dict[str, Any]:
    """The zip's layout for the werkplek, which builds the same zip in the browser (DESIGN §5
    "Portal", art. 17.1): per CSV its file name, envelope columns (and where each cell comes from),
    answer columns; per message type its CSV, name, column tree (`kolomboom`) and JSON Schema; the
    cell escaping of `csvformaat`; the readable copy's labels. Metadata only: no message in it."""
    return copy.deepcopy(_beschrijving())
