"""The creditor's CSV uploads (art. 18, DESIGN §7): read, validate everything, dry-run every hub
rule, and only then submit — all or nothing (18.3c).

Three kinds of file (18.2), recognised by their header row:

- saldoverzoek antwoorden: the ``saldoverzoeken.csv`` of a download with its ``antwoord.*`` columns
  filled in. Column ``antwoord.saldoverzoek`` says ``saldo``, ``standaard akkoord`` or ``klant
  onbekend`` (art. 6–8). Several rows with the same ``referentienummer`` form one answer with one
  debt (``antwoord.vordering.*``) per row; or one row carries the ``antwoord.totaal.*`` columns.
- betaalvoorstel antwoorden: ``betaalvoorstellen.csv`` with ``antwoord.betaalvoorstel`` =
  ``akkoord`` or ``niet akkoord`` (+ ``antwoord.reden.*``, art. 10.2); one row per answer.
- statusverzoeken: one row per request, naming the SHV (``ontvanger``, its OIN) and the
  ``conversatieReferentienummer`` (art. 14.1).

Every other file with answers — ``kennisgevingen.csv`` and ``kennisgevingen_bsn.csv`` of 1.0
(*Klant gemeld voor SHV antwoord* or *Klant onbekend*, art. 4.1, 8.1) and the files of every other
module and version — has ``antwoord.berichttype`` and is read by `csvmodules` (one row, one answer);
it is numbered, dry-run and submitted with the rest, all or nothing.

Files are ``;``-separated UTF-8 (with or without BOM), exactly as the download writes them; a
cell that starts with ``'`` followed by ``= + - @`` loses the ``'`` the download put there against
formula injection. Rows whose answer columns are all empty are skipped (not every question need
be answered in one upload). Files are read from memory and never stored (18.3d).
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections.abc import Callable, Sequence
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy.orm import Session

from knooppunt.hub import mailbox
from knooppunt.hub.fouten import HubFout
from knooppunt.hub.mailbox import Reeksweigering
from knooppunt.portaal import antwoordnummers, csvindeling, csvmodules
from knooppunt.portaal.csvcellen import Cellen, blok, typenaam
from knooppunt.portaal.csvformaat import (
    ANTWOORD,
    BEDRAGEN,
    BETAALGEGEVENS,
    BETAALVOORSTEL,
    BETAALVOORSTEL_ANTWOORDEN,
    CONTACT,
    EXCEL_CSV,
    REDEN,
    SALDO_ANTWOORDEN,
    SALDOVERZOEK,
    SCHEIDINGSTEKEN,
    SOORTEN,
    SR,
    START,
    STATUSVERZOEK,
    TOTAAL,
    VORDERING,
    Bestand,
    Bestandsoort,
    Bestandsverslag,
    Gepland,
    Upload,
    lees_cel,
)
from knooppunt.portaal.gastclient import HUB, Gastclient, GeenSleutel, Zegelfout
from knooppunt.portaal.grafiek import getal
from knooppunt.portaal.kluis import KluisFout
from knooppunt.portaal.weergave import fouttekst, grootte
from knooppunt.protocol.catalogus import CATALOGUS, SALDOVERZOEKEN
from knooppunt.protocol.payloads import OngeldigePayload, valideer
from knooppunt.protocol.werkdagen import AMSTERDAM

# --- reading --------------------------------------------------------------------------------------


def lees(bestanden: Sequence[Bestand]) -> Upload:
    """Read and validate every file: structure, columns, each row's payload (no database)."""
    upload = Upload()
    namen: set[str] = set()
    for bestand in bestanden:
        naam = bestand.naam
        if naam in namen:
            naam = f"{naam} ({len(namen) + 1})"
        namen.add(naam)
        upload.bestanden.append(Bestandsverslag(naam))
        _lees_bestand(Bestand(naam, bestand.inhoud, bestand.grootte, bestand.te_groot), upload)
    return upload


def _lees_bestand(bestand: Bestand, upload: Upload) -> None:
    naam = bestand.naam
    if not naam.lower().endswith(".csv"):
        upload.fout(
            naam,
            None,
            None,
            "Alleen bestanden met de extensie .csv kunnen worden geüpload (art. 18.3a). Sla het bestand "
            f"in uw spreadsheetprogramma op als '{EXCEL_CSV}'.",
        )
        return
    if bestand.te_groot:
        upload.fout(
            naam,
            None,
            None,
            # In bytes too: just over the limit, "4,0 MB" against "4 MB" would not say why.
            f"Het bestand is {grootte(bestand.grootte)} ({getal(bestand.grootte)} bytes); de grens is 4 MB "
            f"({getal(4 * 1024 * 1024)} bytes) per bestand (art. 18.3b). Verdeel de rijen over meerdere "
            "bestanden en upload die samen.",
        )
        return
    tekst = _decodeer(bestand, upload)
    if tekst is None:
        return
    try:
        records = list(csv.reader(io.StringIO(tekst, newline=""), delimiter=SCHEIDINGSTEKEN, strict=True))
    except csv.Error as exc:
        upload.fout(
            naam,
            None,
            None,
            f'Het bestand is geen geldige CSV ({exc}). Controleer de aanhalingstekens (") in de cellen.',
        )
        return
    if not records or not any(c.strip() for c in records[0]):
        upload.fout(naam, 1, None, "Het bestand is leeg of de eerste rij (de kopregel) is leeg.")
        return
    kop = [lees_cel(c) for c in records[0]]
    if len(kop) == 1 and ("," in kop[0] or "\t" in kop[0]):
        teken = "een komma (,)" if "," in kop[0] else "een tab"
        upload.fout(
            naam,
            1,
            None,
            f"Het scheidingsteken is {teken}; het knooppunt gebruikt een puntkomma (;), zoals in het "
            f"gedownloade bestand. Sla het bestand op als '{EXCEL_CSV}' of vervang "
            "het scheidingsteken.",
        )
        return
    soort = _herken(naam, kop, upload)
    if soort is None:
        return
    generiek = soort in (ANTWOORD, START)
    indexen = _alle_kolommen(naam, kop, soort, upload) if generiek else _kolommen(naam, kop, soort, upload)
    if indexen is None:
        return
    verslag = next(v for v in upload.bestanden if v.naam == naam)
    verslag.soort = soort
    rijen: list[tuple[int, dict[str, str]]] = []
    breedte = len(kop)
    for nummer, record in enumerate(records[1:], start=2):
        if not any(c.strip() for c in record):
            continue
        if len(record) > breedte and any(c.strip() for c in record[breedte:]):
            upload.fout(
                naam,
                nummer,
                None,
                f"Deze rij heeft {len(record)} cellen, de kopregel {breedte}: staat er een puntkomma (;) "
                "in een cel zonder aanhalingstekens?",
            )
            continue
        rijen.append(
            (nummer, {k: lees_cel(record[i]) if i < len(record) else "" for k, i in indexen.items()})
        )
    verslag.rijen = len(rijen)
    lezer = {
        SALDOVERZOEK.code: _saldoverzoeken,
        BETAALVOORSTEL.code: _betaalvoorstellen,
        ANTWOORD.code: csvmodules.antwoorden,
        START.code: csvmodules.starten,
    }.get(soort.code, _statusverzoeken)
    lezer(naam, rijen, upload, verslag)


def _decodeer(bestand: Bestand, upload: Upload) -> str | None:
    data = bestand.inhoud
    if data.startswith(b"PK\x03\x04"):
        upload.fout(
            bestand.naam,
            None,
            None,
            "Dit is een Excel-werkmap (.xlsx) met de extensie .csv. Open het in Excel en kies Opslaan als "
            f"'{EXCEL_CSV}'.",
        )
        return None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        upload.fout(
            bestand.naam,
            None,
            None,
            "Het bestand is in UTF-16 (Unicode) opgeslagen; het knooppunt leest UTF-8. Sla het op als "
            f"'{EXCEL_CSV}'.",
        )
        return None
    try:
        tekst = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        rij = data[: exc.start].count(b"\n") + 1
        upload.fout(
            bestand.naam,
            rij,
            None,
            f"Het bestand is niet in UTF-8 opgeslagen (rij {rij} bevat een teken dat geen UTF-8 is; "
            f"waarschijnlijk Windows-1252/ANSI). Sla het op als '{EXCEL_CSV}'.",
        )
        return None
    if "\x00" in tekst:
        upload.fout(
            bestand.naam, None, None, "Het bestand bevat binaire gegevens en is geen CSV-tekstbestand."
        )
        return None
    return tekst


def _herken(naam: str, kop: list[str], upload: Upload) -> Bestandsoort | None:
    namen = {k.lower() for k in kop}
    if ANTWOORD.kenmerk.lower() in namen:
        return ANTWOORD
    if START.kenmerk.lower() in namen and "ontvanger" in namen:
        return START
    gevonden = [s for s in SOORTEN if s.kenmerk.lower() in namen]
    if len(gevonden) == 1:
        return gevonden[0]
    if len(gevonden) > 1:
        upload.fout(
            naam,
            1,
            None,
            "De kopregel heeft kolommen van meer dan één soort bestand ("
            + ", ".join(s.kenmerk for s in gevonden)
            + "): zet saldoverzoek antwoorden, betaalvoorstel antwoorden en statusverzoeken elk in een "
            "eigen bestand.",
        )
        return None
    extra = ""
    if "berichttype" in namen:
        extra = (
            " Dit lijkt een downloadbestand van berichten die niet via een upload beantwoord worden "
            "(alleen kennisgevingen, saldoverzoeken en betaalvoorstellen hebben antwoordkolommen)."
        )
    upload.fout(
        naam,
        1,
        None,
        "Onbekend soort bestand: de kopregel moet de kolom 'antwoord.saldoverzoek' (saldoverzoek "
        "antwoorden), 'antwoord.betaalvoorstel' (betaalvoorstel antwoorden), 'antwoord.berichttype' "
        "(antwoorden in kennisgevingen.csv en in een map <module>-<versie>/ van de download) of "
        "'ontvanger' (statusverzoeken en andere nieuwe berichten) hebben. Gebruik het bestand uit de "
        "download of een sjabloon van deze pagina." + extra,
    )
    return None


def _kolommen(naam: str, kop: list[str], soort: Bestandsoort, upload: Upload) -> dict[str, int] | None:
    """Column name -> index of the columns this kind reads; every header problem reported."""
    bekend = {k.lower(): k for k in (*soort.sleutels, *soort.kolommen)}
    alle = {k: i for i, k in enumerate(kop)}
    upload.kolommen[naam] = alle
    indexen: dict[str, int] = {}
    goed = True
    for i, kolom in enumerate(kop):
        canoniek = bekend.get(kolom.lower())
        if canoniek is not None:
            upload.kolommen[naam].setdefault(canoniek, i)
            if canoniek in indexen:
                upload.fout(naam, 1, kolom, f"De kolom '{kolom}' staat twee keer in de kopregel.")
                goed = False
            indexen[canoniek] = i
        elif kolom.lower().startswith("antwoord.") or (soort is STATUSVERZOEK and kolom):
            lijkt = difflib.get_close_matches(kolom, list(bekend.values()), n=1, cutoff=0.75)
            hint = f" Bedoelt u '{lijkt[0]}'?" if lijkt else ""
            upload.fout(
                naam,
                1,
                kolom,
                f"De kolom '{kolom}' is onbekend in een bestand met {soort.naam}.{hint} Zie de "
                "kolommen op de uploadpagina.",
            )
            goed = False
    for verplicht in (soort.kenmerk, *soort.sleutels):
        if verplicht not in indexen:
            upload.fout(naam, 1, verplicht, f"De verplichte kolom '{verplicht}' ontbreekt in de kopregel.")
            goed = False
    return indexen if goed else None


def _alle_kolommen(naam: str, kop: list[str], soort: Bestandsoort, upload: Upload) -> dict[str, int] | None:
    """Every column of a file whose layout depends on its rows' module and type (`csvindeling`):
    which columns a row may fill is checked per row."""
    upload.kolommen[naam] = {}
    indexen: dict[str, int] = {}
    goed = True
    for i, kolom in enumerate(kop):
        if not kolom:
            continue
        if kolom in indexen:
            upload.fout(naam, 1, kolom, f"De kolom '{kolom}' staat twee keer in de kopregel.")
            goed = False
        indexen.setdefault(kolom, i)
        upload.kolommen[naam].setdefault(kolom, i)
    for verplicht in (soort.kenmerk, *soort.sleutels):
        if verplicht not in indexen:
            upload.fout(naam, 1, verplicht, f"De verplichte kolom '{verplicht}' ontbreekt in de kopregel.")
            goed = False
    return indexen if goed else None


def _valideer(
    cellen: Cellen,
    berichttype: str,
    payload: dict[str, object],
    plaats: Callable[[str], tuple[int, str]],
) -> BaseModel | None:
    try:
        return valideer(SR, berichttype, "1.0", payload)
    except OngeldigePayload as exc:
        for veldfout in exc.fouten:
            rij, kolom = plaats(veldfout.veld)
            cellen.fout(rij, kolom, csvindeling.reden_bij_kolom(veldfout.reden, veldfout.veld, kolom))
        return None


# --- saldoverzoek antwoorden (art. 6–8) ---------------------------------------------------------

_SALDO_ANTWOORDNIVEAU = (
    *(k for k in SALDOVERZOEK.kolommen if not k.startswith("antwoord.vordering.")),
    "conversatieReferentienummer",
    "klantnummerSHV",
)


def _saldoverzoeken(
    bestand: str, rijen: list[tuple[int, dict[str, str]]], upload: Upload, verslag: Bestandsverslag
) -> None:
    cellen = Cellen(upload, bestand)
    groepen: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for nummer, rij in rijen:
        if not any(rij.get(k) for k in SALDOVERZOEK.kolommen):
            verslag.overgeslagen += 1
            continue
        ref = cellen.uuid(nummer, "referentienummer", rij["referentienummer"])
        if ref is not None:
            groepen.setdefault(ref, []).append((nummer, rij))
    for ref, groep in groepen.items():
        gepland = _saldoantwoord(bestand, ref, groep, cellen)
        if gepland is not None:
            upload.geplanden.append(gepland)
            verslag.berichten += 1


def _eenmaal(
    groep: list[tuple[int, dict[str, str]]], kolommen: Sequence[str], cellen: Cellen
) -> tuple[dict[str, str], dict[str, int]]:
    """The answer-level cells of a group: given once, or the same on every row that gives them.
    Returns (value per column, row that gave it)."""
    waarden: dict[str, str] = {}
    herkomst: dict[str, int] = {}
    for nummer, rij in groep:
        for kolom in kolommen:
            waarde = rij.get(kolom, "")
            if not waarde:
                continue
            if kolom not in waarden:
                waarden[kolom], herkomst[kolom] = waarde, nummer
            elif waarden[kolom] != waarde:
                cellen.fout(
                    nummer,
                    kolom,
                    f"'{waarde}' wijkt af van rij {herkomst[kolom]} ('{waarden[kolom]}'), met hetzelfde "
                    "referentienummer: een antwoord heeft één waarde per kolom buiten antwoord.vordering.*",
                )
    return waarden, herkomst


def _saldoantwoord(
    bestand: str, ref: str, groep: list[tuple[int, dict[str, str]]], cellen: Cellen
) -> Gepland | None:
    eerste = groep[0][0]
    fouten_voor = len(cellen.upload.fouten)
    w, herkomst = _eenmaal(groep, _SALDO_ANTWOORDNIVEAU, cellen)

    def rij_van(kolom: str) -> int:
        return herkomst.get(kolom, eerste)

    soortwaarde = w.get("antwoord.saldoverzoek", "")
    antwoord = SALDO_ANTWOORDEN.get(" ".join(soortwaarde.lower().replace("_", " ").split()))
    if antwoord is None:
        cellen.fout(
            rij_van("antwoord.saldoverzoek"),
            "antwoord.saldoverzoek",
            (f"'{soortwaarde}' is geen geldig antwoord" if soortwaarde else "Het soort antwoord ontbreekt")
            + ": vul 'saldo', 'standaard akkoord' of 'klant onbekend' in (art. 6, 7, 8).",
        )
        return None
    conversatie = cellen.uuid(
        rij_van("conversatieReferentienummer"),
        "conversatieReferentienummer",
        w.get("conversatieReferentienummer", ""),
    )
    vorderingrijen = [(n, r) for n, r in groep if any(r.get(k) for k in VORDERING)]
    payload: dict[str, object] = {"klantnummerSHV": w.get("klantnummerSHV") or None}
    if antwoord == "klant_onbekend":
        for kolom in (*SALDOVERZOEK.kolommen[1:],):
            if kolom in REDEN:
                continue
            for nummer, rij in groep:
                if rij.get(kolom):
                    cellen.fout(
                        nummer,
                        kolom,
                        "Bij 'klant onbekend' (art. 8.1) hoort alleen een reden; laat dit leeg.",
                    )
        reden = blok({"code": w.get("antwoord.reden.code"), "tekst": w.get("antwoord.reden.tekst")})
        if reden:
            payload["reden"] = reden
    else:
        for kolom in REDEN:
            if kolom in w:
                cellen.fout(
                    rij_van(kolom), kolom, "Een reden hoort alleen bij 'klant onbekend'; laat dit leeg."
                )
        payload.update(
            {
                "klantnummerSE": w.get("antwoord.klantnummerSE") or None,
                "contactpersoonSE": blok({k.split(".")[1]: w.get(f"antwoord.{k}") for k in CONTACT}),
                "peildatum": cellen.datum(
                    rij_van("antwoord.peildatum"), "antwoord.peildatum", w.get("antwoord.peildatum", "")
                ),
                "betaalgegevens": blok({k.split(".")[1]: w.get(f"antwoord.{k}") for k in BETAALGEGEVENS}),
            }
        )
        if any(w.get(k) for k in TOTAAL):
            totaal: dict[str, object] = {"standaardAkkoord": antwoord != "saldoverzoek_antwoord"}
            for kolom in TOTAAL:
                veld = kolom.rsplit(".", 1)[1]
                waarde = w.get(kolom, "")
                if veld == "omschrijving":
                    totaal[veld] = waarde or None
                elif veld == "aantalVorderingen":
                    totaal[veld] = cellen.geheel(rij_van(kolom), kolom, waarde)
                else:
                    totaal[veld] = cellen.bedrag(rij_van(kolom), kolom, waarde)
            payload["totaalvordering"] = {k: v for k, v in totaal.items() if v is not None}
        if vorderingrijen:
            payload["vorderingen"] = [_vordering(n, r, cellen) for n, r in vorderingrijen]
    payload = {k: v for k, v in payload.items() if v is not None}

    def plaats(pad: str) -> tuple[int, str]:
        return _plaats_saldo(pad, rij_van, vorderingrijen, eerste)

    model = _valideer(cellen, antwoord, payload, plaats)
    if model is None or conversatie is None or len(cellen.upload.fouten) > fouten_voor:
        return None
    return Gepland(
        bestand=bestand,
        soort=SALDOVERZOEK,
        rijen=tuple(n for n, _ in groep),
        berichttype=antwoord,
        conversatie=conversatie,
        model=model,
        antwoord_op=ref,
    )


def _vordering(nummer: int, rij: dict[str, str], cellen: Cellen) -> dict[str, object]:
    vordering: dict[str, object] = {}
    for kolom in VORDERING:
        veld = kolom.rsplit(".", 1)[1]
        waarde = rij.get(kolom, "")
        if veld in BEDRAGEN:
            vordering[veld] = cellen.bedrag(nummer, kolom, waarde)
        elif veld == "ontstaansdatum":
            vordering[veld] = cellen.datum(nummer, kolom, waarde)
        else:
            vordering[veld] = waarde or None
    return {k: v for k, v in vordering.items() if v is not None}


_PAD_INDEX = re.compile(r"\[(\d+)\]")


def _plaats_saldo(
    pad: str, rij_van: Callable[[str], int], vorderingrijen: list[tuple[int, dict[str, str]]], eerste: int
) -> tuple[int, str]:
    """The cell of a payload field of a saldoverzoek answer."""
    index = _PAD_INDEX.search(pad)
    kaal = _PAD_INDEX.sub("", pad)
    delen = kaal.split(".")
    if delen[0] == "vorderingen":
        if index is not None and int(index.group(1)) < len(vorderingrijen):
            # vorderingen[i].veld, or vorderingen[i] itself (a factuurnummerSE given twice)
            veld = delen[1] if len(delen) > 1 else "factuurnummerSE"
            return vorderingrijen[int(index.group(1))][0], f"antwoord.vordering.{veld}"
        return eerste, "antwoord.vordering.actueelBedrag"  # neither debts nor a total (6.2)
    if delen[0] == "totaalvordering":
        veld = delen[1] if len(delen) > 1 else "actueelBedrag"
        kolom = "antwoord.saldoverzoek" if veld == "standaardAkkoord" else f"antwoord.totaal.{veld}"
        return rij_van(kolom), kolom
    if delen[0] == "klantnummerSHV":
        return rij_van("klantnummerSHV"), "klantnummerSHV"
    if delen[0] in ("contactpersoonSE", "betaalgegevens", "reden"):
        standaard = {"contactpersoonSE": "naam", "betaalgegevens": "iban", "reden": "code"}[delen[0]]
        kolom = f"antwoord.{delen[0]}.{delen[1] if len(delen) > 1 else standaard}"
        return rij_van(kolom), kolom
    if delen[0] == "inhoud":
        return eerste, "antwoord.saldoverzoek"
    kolom = f"antwoord.{kaal}"
    return rij_van(kolom), kolom


# --- betaalvoorstel antwoorden (art. 10) -----------------------------------------------------------


def _betaalvoorstellen(
    bestand: str, rijen: list[tuple[int, dict[str, str]]], upload: Upload, verslag: Bestandsverslag
) -> None:
    cellen = Cellen(upload, bestand)
    gezien: dict[str, int] = {}
    for nummer, rij in rijen:
        if not any(rij.get(k) for k in BETAALVOORSTEL.kolommen):
            verslag.overgeslagen += 1
            continue
        ref = cellen.uuid(nummer, "referentienummer", rij["referentienummer"])
        if ref is None:
            continue
        if ref in gezien:
            cellen.fout(
                nummer,
                "referentienummer",
                f"Dit betaalvoorstel wordt al beantwoord op rij {gezien[ref]}: "
                "één antwoord per betaalvoorstel.",
            )
            continue
        gezien[ref] = nummer
        gepland = _betaalvoorstelantwoord(bestand, nummer, ref, rij, cellen)
        if gepland is not None:
            upload.geplanden.append(gepland)
            verslag.berichten += 1


def _betaalvoorstelantwoord(
    bestand: str, nummer: int, ref: str, rij: dict[str, str], cellen: Cellen
) -> Gepland | None:
    fouten_voor = len(cellen.upload.fouten)
    waarde = rij.get("antwoord.betaalvoorstel", "")
    antwoord = BETAALVOORSTEL_ANTWOORDEN.get(
        " ".join(waarde.lower().replace("_", " ").replace("-", " ").split())
    )
    if antwoord is None:
        cellen.fout(
            nummer,
            "antwoord.betaalvoorstel",
            (f"'{waarde}' is geen geldig antwoord" if waarde else "Het antwoord ontbreekt")
            + ": vul 'akkoord' of 'niet akkoord' in (art. 10).",
        )
        return None
    conversatie = cellen.uuid(
        nummer, "conversatieReferentienummer", rij.get("conversatieReferentienummer", "")
    )
    payload: dict[str, object] = {
        "klantnummerSHV": rij.get("klantnummerSHV") or None,
        "klantnummerSE": rij.get("antwoord.klantnummerSE") or None,
        "contactpersoonSE": blok({k.split(".")[1]: rij.get(f"antwoord.{k}") for k in CONTACT}),
    }
    if antwoord == "betaalvoorstel_akkoord":
        for kolom in REDEN:
            if rij.get(kolom):
                cellen.fout(
                    nummer, kolom, "Een reden hoort alleen bij 'niet akkoord' (art. 10.2); laat dit leeg."
                )
        payload["betaalgegevens"] = blok({k.split(".")[1]: rij.get(f"antwoord.{k}") for k in BETAALGEGEVENS})
        payload["toelichting"] = rij.get("antwoord.toelichting") or None
    else:
        for kolom in (*(f"antwoord.{k}" for k in BETAALGEGEVENS), "antwoord.toelichting"):
            if rij.get(kolom):
                cellen.fout(
                    nummer, kolom, "Dit hoort alleen bij 'akkoord'; geef bij 'niet akkoord' een reden."
                )
        reden = blok({"code": rij.get("antwoord.reden.code"), "tekst": rij.get("antwoord.reden.tekst")})
        if reden is None:
            cellen.fout(
                nummer,
                "antwoord.reden.code",
                "Bij 'niet akkoord' is een reden verplicht (art. 10.2): vul antwoord.reden.code en "
                "antwoord.reden.tekst in.",
            )
        payload["reden"] = reden
    payload = {k: v for k, v in payload.items() if v is not None}

    def plaats(pad: str) -> tuple[int, str]:
        kaal = _PAD_INDEX.sub("", pad)
        if kaal == "klantnummerSHV":
            return nummer, "klantnummerSHV"
        if kaal == "inhoud":
            return nummer, "antwoord.betaalvoorstel"
        delen = kaal.split(".")
        if len(delen) == 1 and delen[0] in ("contactpersoonSE", "betaalgegevens", "reden"):
            kaal += "." + {"contactpersoonSE": "naam", "betaalgegevens": "iban", "reden": "code"}[delen[0]]
        return nummer, f"antwoord.{kaal}"

    model = _valideer(cellen, antwoord, payload, plaats)
    if model is None or conversatie is None or len(cellen.upload.fouten) > fouten_voor:
        return None
    return Gepland(
        bestand=bestand,
        soort=BETAALVOORSTEL,
        rijen=(nummer,),
        berichttype=antwoord,
        conversatie=conversatie,
        model=model,
        antwoord_op=ref,
    )


# --- statusverzoeken (art. 14) ----------------------------------------------------------------------


def _statusverzoeken(
    bestand: str, rijen: list[tuple[int, dict[str, str]]], upload: Upload, verslag: Bestandsverslag
) -> None:
    cellen = Cellen(upload, bestand)
    for nummer, rij in rijen:
        fouten_voor = len(upload.fouten)
        ontvanger = rij.get("ontvanger", "")
        if not (len(ontvanger) == 20 and ontvanger.isascii() and ontvanger.isdigit()):
            cellen.fout(
                nummer,
                "ontvanger",
                f"'{ontvanger}' is geen OIN: vul het Organisatie-identificatienummer (20 cijfers) van de "
                "schuldhulpverlener in, zoals in het adresboek en in de kolom 'afzender' van de download.",
            )
        conversatie = cellen.uuid(
            nummer, "conversatieReferentienummer", rij.get("conversatieReferentienummer", "")
        )
        payload: dict[str, object] = {
            "klantnummerSHV": rij.get("klantnummerSHV") or None,
            "klantnummerSE": rij.get("klantnummerSE") or None,
            "contactpersoonSE": blok({k.split(".")[1]: rij.get(k) for k in CONTACT}),
            "toelichting": rij.get("toelichting") or None,
        }
        payload = {k: v for k, v in payload.items() if v is not None}

        def plaats(pad: str, nummer: int = nummer) -> tuple[int, str]:
            kaal = _PAD_INDEX.sub("", pad)
            if kaal == "contactpersoonSE":
                return nummer, "contactpersoonSE.naam"
            return nummer, "klantnummerSHV" if kaal == "inhoud" else kaal

        model = _valideer(cellen, "statusverzoek", payload, plaats)
        if model is None or conversatie is None or len(upload.fouten) > fouten_voor:
            continue
        upload.geplanden.append(
            Gepland(
                bestand=bestand,
                soort=STATUSVERZOEK,
                rijen=(nummer,),
                berichttype="statusverzoek",
                conversatie=conversatie,
                model=model,
                ontvanger=ontvanger,
            )
        )
        verslag.berichten += 1


# --- the hub's rules, dry run and submit ------------------------------------------------------------

_VRAAGTYPEN = {SALDOVERZOEK.code: SALDOVERZOEKEN, BETAALVOORSTEL.code: frozenset({"betaalvoorstel"})}


def nummer(client: Gastclient, upload: Upload) -> None:
    """Give every planned message its referentienummer, a UUIDv8 from the HMAC under the
    participant's secret of the question and the answer as validated (`antwoordnummers`), and mark
    those the hub already holds from this participant as already sent (DESIGN §7): a re-upload or a
    double click sends nothing twice. A statusverzoek answers no question: its number covers the
    recipient, the conversation and the day, so asking again on another day is a new message.
    Two messages of one upload with the same number (the same answer twice) are an error."""

    def werk(session: Session, nu: datetime) -> dict[str, datetime]:
        try:
            geheim = antwoordnummers.geheim(session, client.kluis, client.oin, nu=nu)
        except KluisFout as exc:
            raise GeenSleutel(
                f"het uploadgeheim van uw organisatie is niet te ontsleutelen ({exc}); neem contact op "
                "met de beheerder van het knooppunt"
            ) from exc
        dag = nu.astimezone(AMSTERDAM).date().isoformat()
        for gepland in upload.geplanden:
            gepland.referentienummer = antwoordnummers.uuid8(geheim, _canoniek(gepland, dag))
        return mailbox.verstuurd_set(
            session, client.deelnemer(session), [g.referentienummer for g in upload.geplanden]
        )

    bestaand = client.lees(werk)
    eerder: dict[str, Gepland] = {}
    dubbel: list[Gepland] = []
    for gepland in upload.geplanden:
        al = eerder.get(gepland.referentienummer)
        if al is not None:
            upload.fout(
                gepland.bestand,
                gepland.rijen[0],
                "referentienummer" if gepland.antwoord_op else "conversatieReferentienummer",
                f"Dit is hetzelfde {typenaam(gepland.berichttype)} als op rij {al.rijen[0]} van "
                f"{al.bestand}: "
                "het wordt maar één keer verstuurd. Haal de dubbele rij weg.",
            )
            dubbel.append(gepland)
            continue
        eerder[gepland.referentienummer] = gepland
        if gepland.referentienummer in bestaand:
            _al_verzonden(upload, gepland, bestaand[gepland.referentienummer])
    if dubbel:
        weg = {id(g) for g in dubbel}
        upload.geplanden = [g for g in upload.geplanden if id(g) not in weg]


def _canoniek(gepland: Gepland, dag: str) -> bytes:
    return antwoordnummers.canoniek(
        berichttype=gepland.berichttype,
        module=gepland.module,
        versie=gepland.versie,
        conversatie=gepland.conversatie,
        antwoord_op=gepland.antwoord_op,
        payload=gepland.model.model_dump(mode="json", exclude_none=True),
        ontvanger="" if gepland.antwoord_op else gepland.ontvanger,
        dag="" if gepland.antwoord_op else dag,
    )


def _al_verzonden(upload: Upload, gepland: Gepland, ontvangen_op: datetime) -> None:
    gepland.al_verzonden_op = ontvangen_op
    for verslag in upload.bestanden:
        if verslag.naam == gepland.bestand:
            verslag.berichten -= 1
            verslag.al_verzonden += 1


def controleer(client: Gastclient, upload: Upload) -> None:
    """A dry run of every hub rule for every planned message (DESIGN §7): first the numbers, and
    which of them the hub already holds (those are skipped, `nummer`); then what the portal can say
    more precisely from the questions' metadata (the question is this creditor's, of the file's
    kind, in this conversation, not expired), then the hub's own rules for the batch."""
    csvmodules.kies_versies(client, upload)
    nummer(client, upload)
    antwoorden = [g for g in upload.nieuw if g.antwoord_op is not None]
    vragen, nu = (
        client.ontvangen([g.antwoord_op for g in antwoorden if g.antwoord_op]) if antwoorden else ({}, None)
    )
    goed: list[Gepland] = []
    for gepland in upload.nieuw:
        if gepland.antwoord_op is None:
            goed.append(gepland)
            continue
        vraag = vragen.get(gepland.antwoord_op)
        rij = gepland.rijen[0]
        if vraag is None or vraag.afzender == HUB:
            upload.fout(
                gepland.bestand,
                rij,
                "referentienummer",
                "Er is geen bericht aan u met dit referentienummer. Neem het referentienummer ongewijzigd "
                "over uit het gedownloade bestand.",
            )
            continue
        if gepland.soort is ANTWOORD:
            antwoordtype = CATALOGUS.zoek(gepland.module, gepland.berichttype, gepland.versie)
            if (vraag.module, vraag.versie) != (gepland.module, gepland.versie) or (
                antwoordtype is None or not antwoordtype.beantwoordt_type(vraag.berichttype)
            ):
                upload.fout(
                    gepland.bestand,
                    rij,
                    "referentienummer",
                    f"Dit referentienummer is een {typenaam(vraag.berichttype, vraag.module, vraag.versie)} "
                    f"({csvindeling.modulenaam(vraag.module)}, versie {vraag.versie}); neem module, versie, "
                    "berichttype en referentienummer ongewijzigd over uit het gedownloade bestand.",
                )
                continue
        elif vraag.module != SR or vraag.versie != "1.0":
            upload.fout(
                gepland.bestand,
                rij,
                "referentienummer",
                f"Dit {typenaam(vraag.berichttype, vraag.module, vraag.versie)} is uit "
                f"{csvindeling.modulenaam(vraag.module)} versie {vraag.versie}: beantwoord het in het "
                f"bestand uit de map {vraag.module}-{vraag.versie}/ van de download (een antwoord gaat in de "
                "versie van de vraag).",
            )
            continue
        elif vraag.berichttype not in _VRAAGTYPEN[gepland.soort.code]:
            upload.fout(
                gepland.bestand,
                rij,
                "referentienummer",
                f"Dit referentienummer is een {typenaam(vraag.berichttype)}, geen "
                f"{'saldoverzoek' if gepland.soort is SALDOVERZOEK else 'betaalvoorstel'}: beantwoord het "
                "in het juiste bestand.",
            )
            continue
        if vraag.conversatie_referentienummer != gepland.conversatie:
            upload.fout(
                gepland.bestand,
                rij,
                "conversatieReferentienummer",
                f"Hoort niet bij dit referentienummer: het {typenaam(vraag.berichttype)} is uit conversatie "
                f"{vraag.conversatie_referentienummer}.",
            )
            continue
        verlopen = (mailbox.status_op(vraag, nu) if nu is not None else vraag.status) == "verlopen"
        if verlopen or vraag.status == "geweigerd":
            wat = "is verlopen (niet op tijd bevestigd)" if verlopen else "is door u geweigerd"
            upload.fout(
                gepland.bestand,
                rij,
                "referentienummer",
                f"Dit {typenaam(vraag.berichttype)} {wat} en kan niet meer beantwoord worden; de "
                "schuldhulpverlener is daarover geïnformeerd en kan het opnieuw sturen (art. 17.5).",
            )
            continue
        gepland.ontvanger = vraag.afzender
        # Answered before with another answer (a changed row): the hub accepts this one too, as a
        # new answer beside the first; the result page says so (decision 0016).
        gepland.eerder_beantwoord = vraag.beantwoord_op is not None
        gepland.vraag = vraag
        gepland.bevestigt = vraag.status in ("aangeboden", "opgehaald")
        goed.append(gepland)
    if not goed:
        return
    weigeringen = list(zip(goed, client.controleer_reeks([g.te_versturen() for g in goed]), strict=True))
    # A number taken since `nummer` looked (a double click whose first upload was submitted
    # meanwhile) is already sent, not an error.
    bezet = [
        g.referentienummer for g, w in weigeringen if w is not None and w.code == "REFERENTIENUMMER_CONFLICT"
    ]
    nu_verzonden = (
        client.lees(lambda session, _nu: mailbox.verstuurd_set(session, client.deelnemer(session), bezet))
        if bezet
        else {}
    )
    for gepland, weigering in weigeringen:
        if gepland.referentienummer in nu_verzonden:
            _al_verzonden(upload, gepland, nu_verzonden[gepland.referentienummer])
        elif weigering is not None:
            _meld_weigering(upload, gepland, weigering)


def verstuur(client: Gastclient, upload: Upload) -> list[str]:
    """Seal and submit every planned message not sent before in one all-or-nothing batch. A
    message that a concurrent upload of the same answers (a double click) sent between the dry run
    and now is skipped as already sent, not refused. Returns the new referentienummers; on a
    refusal at submit time, the error is added and nothing is sent."""
    nieuw = upload.nieuw
    if not nieuw:
        return []
    try:
        bestaand = client.verstuur_nieuwe([g.te_versturen() for g in nieuw], waarvoor="upload")
    except Zegelfout as exc:
        gepland = nieuw[exc.index]
        upload.fout(gepland.bestand, gepland.rijen[0], None, f"Kon niet worden verstuurd: {exc.melding}")
        return []
    except Reeksweigering as exc:
        _meld_weigering(upload, nieuw[exc.index], exc)
        return []
    for gepland in nieuw:
        if gepland.referentienummer in bestaand:
            _al_verzonden(upload, gepland, bestaand[gepland.referentienummer])
    return [g.referentienummer for g in upload.nieuw]


def _meld_weigering(upload: Upload, gepland: Gepland, weigering: HubFout) -> None:
    veld = weigering.velden[0].name if weigering.velden else None
    start = gepland.soort in (STATUSVERZOEK, START)
    kolom = {
        "crossReferentienummer": "referentienummer",
        "conversatieReferentienummer": "conversatieReferentienummer",
        "versie": "versie" if gepland.soort is START else "referentienummer",
        "ontvanger": "ontvanger" if start else "referentienummer",
    }.get(veld or "", gepland.soort.kenmerk if not start else "conversatieReferentienummer")
    upload.fout(gepland.bestand, gepland.rijen[0], kolom, fouttekst(weigering.code, weigering.detail))
