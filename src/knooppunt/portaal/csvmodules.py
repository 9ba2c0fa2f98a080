"""Upload files of every module and version outside the handbook's 18.2 files (DESIGN §7 "every
module"; also the 1.0 kennisgevingen of 17.1a–b), read by the layout of `csvindeling`: answers (the
download's file of a question with
``antwoord.berichttype`` and its ``antwoord.*`` columns filled in; one row, one answer, in the
question's module and version) and messages the participant starts itself (one per row; an empty
``versie`` is the highest version both parties accept, `kies_versies`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from knooppunt.hub import adresboek
from knooppunt.portaal import csvindeling
from knooppunt.portaal.csvcellen import Cellen, typenaam
from knooppunt.portaal.csvformaat import ANTWOORD, START, Bestandsverslag, Gepland, Upload
from knooppunt.portaal.formulier import Omzetfout
from knooppunt.portaal.gastclient import Gastclient
from knooppunt.protocol.catalogus import CATALOGUS, Berichttype
from knooppunt.protocol.payloads import OngeldigePayload, valideer
from knooppunt.store import deelnemers as deelnemers_store


def _payload_uit(
    cellen: Cellen,
    nummer: int,
    rij: dict[str, str],
    kolommen: Sequence[csvindeling.Kolom],
    prefix: str,
) -> dict[str, Any]:
    """The payload from a row's cells of these columns (``prefix`` + the column's dotted name);
    empty cells are left out, numbered list items become lists."""
    ruw: dict[str, Any] = {}
    for kolom in kolommen:
        if kolom.soort == "bijlage":
            continue
        tekst = rij.get(prefix + kolom.naam, "")
        if not tekst:
            continue
        try:
            waarde = csvindeling.waarde(kolom, tekst)
        except Omzetfout as exc:
            cellen.fout(nummer, prefix + kolom.naam, str(exc)[:1].upper() + str(exc)[1:] + ".")
            continue
        csvindeling.zet(ruw, kolom.naam, waarde)
    payload = csvindeling.als_lijsten(ruw)
    assert isinstance(payload, dict)
    return payload


def _plaats(nummer: int, rij: dict[str, str], prefix: str, kenmerk: str) -> Callable[[str], tuple[int, str]]:
    """The cell of a payload error: its column when the file has it (or its nearest group's),
    else the column that says what the row is."""

    def plaats(pad: str) -> tuple[int, str]:
        kolom = csvindeling.kolom_van_pad(pad)
        while kolom:
            if prefix + kolom in rij:
                return nummer, prefix + kolom
            binnen = [k for k in rij if k.startswith(prefix + kolom + ".")]
            if binnen:
                return nummer, binnen[0]
            kolom = kolom.rpartition(".")[0]
        return nummer, kenmerk

    return plaats


def _antwoordsoort(waarde: str, typen: Sequence[Berichttype]) -> Berichttype | None:
    def kaal(tekst: str) -> str:
        return " ".join(tekst.lower().replace("_", " ").replace("(", " ").replace(")", " ").split())

    for t in typen:
        if kaal(waarde) in (kaal(t.code), kaal(t.naam)):
            return t
    return None


def antwoorden(
    bestand: str, rijen: list[tuple[int, dict[str, str]]], upload: Upload, verslag: Bestandsverslag
) -> None:
    """One answer per row, to the question the row names, in the question's module and version."""
    cellen = Cellen(upload, bestand)
    gezien: dict[str, int] = {}
    onbekend_gemeld: set[str] = set()
    for nummer, rij in rijen:
        if not any(v for k, v in rij.items() if k.startswith(csvindeling.ANTWOORD)):
            verslag.overgeslagen += 1
            continue
        fouten_voor = len(upload.fouten)
        module, versie, vraag = rij.get("module", ""), rij.get("versie", ""), rij.get("berichttype", "")
        vraagtype = CATALOGUS.zoek(module, vraag, versie) if module and versie else None
        if vraagtype is None:
            cellen.fout(
                nummer,
                "berichttype",
                f"'{module}' '{versie}' '{vraag}' is geen bericht uit de catalogus: laat de kolommen "
                "module, versie en berichttype staan zoals in het gedownloade bestand.",
            )
            continue
        typen = csvindeling.antwoordtypen(module, versie, vraag)
        if not typen:
            cellen.fout(
                nummer,
                csvindeling.ANTWOORDSOORT,
                f"Een {typenaam(vraag, module, versie)} wordt niet beantwoord; laat de kolommen "
                "antwoord.* leeg.",
            )
            continue
        keuze = rij.get(csvindeling.ANTWOORDSOORT, "")
        antwoord = _antwoordsoort(keuze, typen)
        if antwoord is None:
            cellen.fout(
                nummer,
                csvindeling.ANTWOORDSOORT,
                (
                    f"'{keuze}' is geen antwoord op een {typenaam(vraag, module, versie)}"
                    if keuze
                    else "Het antwoord ontbreekt"
                )
                + ": vul een van deze in: "
                + ", ".join(f"'{t.naam}'" for t in typen)
                + ".",
            )
            continue
        ref = cellen.uuid(nummer, "referentienummer", rij.get("referentienummer", ""))
        conversatie = cellen.uuid(
            nummer, "conversatieReferentienummer", rij.get("conversatieReferentienummer", "")
        )
        if ref is None or conversatie is None:
            continue
        if ref in gezien:
            cellen.fout(
                nummer,
                "referentienummer",
                f"Dit bericht wordt al beantwoord op rij {gezien[ref]}: één antwoord per rij en per vraag.",
            )
            continue
        gezien[ref] = nummer
        kolommen = csvindeling.kolommen(module, antwoord.code, versie, _aantallen(rij, csvindeling.ANTWOORD))
        eigen = {csvindeling.ANTWOORD + k.naam for k in kolommen} | {csvindeling.ANTWOORDSOORT}
        mogelijk = set(csvindeling.antwoordkolommen(module, versie, vraag))
        for kolom, waarde in rij.items():
            if not kolom.startswith(csvindeling.ANTWOORD) or not waarde or kolom in eigen:
                continue
            if kolom in mogelijk or _is_lijstkolom(kolom, mogelijk):
                cellen.fout(
                    nummer, kolom, f"Dit hoort niet bij '{antwoord.naam}'; laat het leeg bij dit antwoord."
                )
            elif kolom not in onbekend_gemeld:
                onbekend_gemeld.add(kolom)
                cellen.fout(
                    nummer,
                    kolom,
                    f"De kolom '{kolom}' is onbekend bij een {typenaam(vraag, module, versie)}; zie de "
                    "kolommen "
                    "van het gedownloade bestand.",
                )
        payload = _payload_uit(cellen, nummer, rij, kolommen, csvindeling.ANTWOORD)
        _neem_over(payload, rij, kolommen)
        try:
            model = valideer(module, antwoord.code, versie, payload)
        except OngeldigePayload as exc:
            plaats = _plaats(nummer, rij, csvindeling.ANTWOORD, csvindeling.ANTWOORDSOORT)
            for veldfout in exc.fouten:
                r, k = plaats(veldfout.veld)
                cellen.fout(r, k, csvindeling.reden_bij_kolom(veldfout.reden, veldfout.veld, k))
            continue
        if len(upload.fouten) > fouten_voor:
            continue
        upload.geplanden.append(
            Gepland(
                bestand=bestand,
                soort=ANTWOORD,
                rijen=(nummer,),
                berichttype=antwoord.code,
                conversatie=conversatie,
                model=model,
                antwoord_op=ref,
                module=module,
                versie=versie,
            )
        )
        verslag.berichten += 1


def _aantallen(rij: dict[str, str], prefix: str) -> dict[str, int]:
    """How many numbered items each list has in the file's columns (``vorderingen.7.…`` → 7)."""
    uit: dict[str, int] = {}
    for kolom in rij:
        if not kolom.startswith(prefix):
            continue
        delen = kolom[len(prefix) :].split(".")
        for i, deel in enumerate(delen[1:], start=1):
            if deel.isdigit():
                pad = ".".join(delen[:i])
                uit[pad] = max(uit.get(pad, 0), int(deel))
    return uit


def _is_lijstkolom(kolom: str, mogelijk: set[str]) -> bool:
    kaal = ".".join("1" if d.isdigit() else d for d in kolom.split("."))
    return kaal in mogelijk


def _neem_over(payload: dict[str, Any], rij: dict[str, str], kolommen: Sequence[csvindeling.Kolom]) -> None:
    """Top-level fields the answer requires and shares with its question (``klantnummerSHV``, a
    case's ``kenmerk``) are taken from the question's columns when the answer leaves them empty —
    not optional ones (a gebeurtenis other than ``pro_forma_afgegeven`` must not get the aanvraag's
    ``proFormaBorgstelling``; the werkplek's uploaden.js does the same)."""
    for kolom in kolommen:
        if (
            "." in kolom.naam
            or kolom.naam in payload
            or kolom.soort not in ("tekst", "keuze")
            or not kolom.verplicht
        ):
            continue
        if rij.get(kolom.naam):
            payload[kolom.naam] = rij[kolom.naam]


def starten(
    bestand: str, rijen: list[tuple[int, dict[str, str]]], upload: Upload, verslag: Bestandsverslag
) -> None:
    """Messages the participant starts, one per row: to ``ontvanger`` in a conversation it already
    has with it; ``versie`` empty means the highest version both accept (set in `controleer`)."""
    cellen = Cellen(upload, bestand)
    for nummer, rij in rijen:
        fouten_voor = len(upload.fouten)
        module, code, versie = rij.get("module", ""), rij.get("berichttype", ""), rij.get("versie", "")
        soort = CATALOGUS.zoek(module, code, versie or None)
        if soort is None or soort.is_antwoord or soort.door_knooppunt:
            cellen.fout(
                nummer,
                "berichttype",
                f"'{module}' '{code}'{f' versie {versie}' if versie else ''} is geen bericht dat u zelf "
                "begint; gebruik een sjabloon van deze pagina.",
            )
            continue
        versie = versie or soort.versie
        ontvanger = rij.get("ontvanger", "")
        if not (len(ontvanger) == 20 and ontvanger.isascii() and ontvanger.isdigit()):
            cellen.fout(
                nummer,
                "ontvanger",
                f"'{ontvanger}' is geen OIN: vul het Organisatie-identificatienummer (20 cijfers) van de "
                "ontvanger in, zoals in het adresboek en in de kolom 'afzender' van de download.",
            )
        conversatie = cellen.uuid(
            nummer, "conversatieReferentienummer", rij.get("conversatieReferentienummer", "")
        )
        kolommen = csvindeling.kolommen(module, code, versie, _aantallen(rij, ""))
        payload = _payload_uit(cellen, nummer, rij, kolommen, "")
        try:
            model = valideer(module, code, versie, payload)
        except OngeldigePayload as exc:
            plaats = _plaats(nummer, rij, "", "berichttype")
            for veldfout in exc.fouten:
                r, k = plaats(veldfout.veld)
                cellen.fout(r, k, csvindeling.reden_bij_kolom(veldfout.reden, veldfout.veld, k))
            continue
        if conversatie is None or len(upload.fouten) > fouten_voor:
            continue
        upload.geplanden.append(
            Gepland(
                bestand=bestand,
                soort=START,
                rijen=(nummer,),
                berichttype=code,
                conversatie=conversatie,
                model=model,
                ontvanger=ontvanger,
                module=module,
                versie=rij.get("versie", ""),
            )
        )
        verslag.berichten += 1


def kies_versies(client: Gastclient, upload: Upload) -> None:
    """A new message of an upload without a version goes in the highest version both parties
    accept (DESIGN §3a); it is validated again when that is not the version it was read in."""
    zonder = [g for g in upload.geplanden if g.soort is START and not g.versie]
    if not zonder:
        return

    def werk(session: Session, _nu: datetime) -> dict[int, str | None]:
        ik = client.deelnemer(session)
        uit: dict[int, str | None] = {}
        for g in zonder:
            ander = deelnemers_store.haal(session, g.ontvanger)
            uit[id(g)] = (
                adresboek.hoogste_gemeenschappelijke_versie(ik, ander, g.module)
                if ander is not None
                else None
            )
        return uit

    versies = client.lees(werk)
    weg: set[int] = set()
    for g in zonder:
        versie = versies.get(id(g))
        gelezen = g.model
        if versie is None:
            versie = csvindeling.hoogste_versie(g.module, g.berichttype) or ""
        elif CATALOGUS.zoek(g.module, g.berichttype, versie) is None:
            upload.fout(
                g.bestand,
                g.rijen[0],
                "berichttype",
                f"Een {typenaam(g.berichttype, g.module)} bestaat niet in versie {versie}, de hoogste versie "
                f"van {csvindeling.modulenaam(g.module)} die u en de ontvanger allebei gebruiken.",
            )
            weg.add(id(g))
            continue
        try:
            g.model = valideer(
                g.module, g.berichttype, versie, gelezen.model_dump(mode="json", exclude_none=True)
            )
        except OngeldigePayload as exc:
            upload.fout(
                g.bestand, g.rijen[0], "versie", f"In versie {versie}: " + "; ".join(map(str, exc.fouten))
            )
            weg.add(id(g))
            continue
        g.versie = versie
    if weg:
        upload.geplanden = [g for g in upload.geplanden if id(g) not in weg]
