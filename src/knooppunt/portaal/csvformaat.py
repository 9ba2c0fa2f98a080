"""The CSV files of the creditor pages (art. 17–18, DESIGN §7): the contract between the download
(`export`) and the upload (`csvimport`) — the kinds of upload file and their columns, the cell
escaping against formula injection both ways, and what an upload yields.

Files are ``;``-separated UTF-8 (with BOM when the portal writes them), CRLF. Amounts are whole
euro cents, dates ``JJJJ-MM-DD``. The answer columns of `SALDOVERZOEK` and `BETAALVOORSTEL` are
exactly the empty columns a download adds to ``saldoverzoeken.csv`` and ``betaalvoorstellen.csv``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from knooppunt.portaal.gastclient import TeVersturen

EXCEL_CSV = "CSV UTF-8"
"""The one name the portal's texts give Excel's save format for these files: the short form of the
menu's "CSV UTF-8" entry (with "door lijstscheidingsteken gescheiden" after it; with Dutch regional
settings the list separator is ``;``)."""

SR = "schuldregeling"
SCHEIDINGSTEKEN = ";"
FORMULETEKENS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
"""A cell whose first visible character is one of these gets a leading ``'`` in a download
(formula injection): the OWASP four, their full-width forms too (the upload takes the ``'`` off
again, so caution costs nothing), and a cell that starts with a tab or a line break."""
ONZICHTBAAR = "\u200b\u200c\u200d\u2060\ufeff\u180e"
"""Zero-width characters that ``str.isspace`` does not count as whitespace but a reader does not
see either: skipped like spaces when looking for the first character."""


def _eerste_zichtbare(waarde: str) -> str:
    """The first character that is neither whitespace (spaces, NBSP and the other Unicode spaces,
    tabs, line breaks) nor zero-width; "" if there is none."""
    for teken in waarde:
        if not teken.isspace() and teken not in ONZICHTBAAR:
            return teken
    return ""


def is_formule(waarde: str) -> bool:
    """Would a spreadsheet run this cell as a formula? Also when the formula character comes after
    leading whitespace, a non-breaking space or a line break, which spreadsheets skip."""
    return bool(waarde) and (waarde[0] in FORMULETEKENS or _eerste_zichtbare(waarde) in FORMULETEKENS)


def veilig(waarde: str) -> str:
    """A cell as the download writes it: one that a spreadsheet would run as a formula (see
    `is_formule`) gets a leading ``'`` (OWASP "CSV injection")."""
    if is_formule(waarde):
        return "'" + waarde
    return waarde


def lees_cel(waarde: str) -> str:
    """A cell as the upload reads it: trimmed, without the ``'`` `veilig` put before a formula
    (the same file goes out and comes back)."""
    kaal = waarde.strip()
    if kaal[:1] == "'" and is_formule(waarde.lstrip()[1:]):
        return kaal[1:].strip()
    return kaal


@dataclass(frozen=True, slots=True)
class Bestandsoort:
    """One kind of upload file (art. 18.2)."""

    code: str
    naam: str
    kenmerk: str
    """The header column that identifies this kind."""
    sleutels: tuple[str, ...]
    """Required columns besides the kenmerk."""
    kolommen: tuple[str, ...]
    """Every column this kind reads (for answers: the columns a download adds, empty)."""
    sjabloon: str


CONTACT = ("contactpersoonSE.naam", "contactpersoonSE.telefoon", "contactpersoonSE.email")
BETAALGEGEVENS = ("betaalgegevens.iban", "betaalgegevens.tenNaamVan", "betaalgegevens.betalingskenmerk")
BEDRAGEN = ("oorspronkelijkBedrag", "hoofdsom", "rente", "kosten", "incassokosten", "actueelBedrag")
TOTAAL = tuple(f"antwoord.totaal.{k}" for k in ("aantalVorderingen", *BEDRAGEN, "omschrijving"))
VORDERING = tuple(
    f"antwoord.vordering.{k}"
    for k in (
        "factuurnummerSE",
        "factuurnummerSEVolgensSHV",
        "schuldtype",
        "overgedragenAan",
        "ontstaansdatum",
        *BEDRAGEN,
        "omschrijving",
    )
)
REDEN = ("antwoord.reden.code", "antwoord.reden.tekst")

SALDOVERZOEK = Bestandsoort(
    code="saldoverzoek",
    naam="saldoverzoek antwoorden",
    kenmerk="antwoord.saldoverzoek",
    sleutels=("referentienummer", "conversatieReferentienummer", "klantnummerSHV"),
    kolommen=(
        "antwoord.saldoverzoek",
        "antwoord.klantnummerSE",
        *(f"antwoord.{k}" for k in CONTACT),
        "antwoord.peildatum",
        *(f"antwoord.{k}" for k in BETAALGEGEVENS),
        *TOTAAL,
        *VORDERING,
        *REDEN,
    ),
    sjabloon="saldoverzoek-antwoorden.csv",
)
BETAALVOORSTEL = Bestandsoort(
    code="betaalvoorstel",
    naam="betaalvoorstel antwoorden",
    kenmerk="antwoord.betaalvoorstel",
    sleutels=("referentienummer", "conversatieReferentienummer", "klantnummerSHV"),
    kolommen=(
        "antwoord.betaalvoorstel",
        "antwoord.klantnummerSE",
        *(f"antwoord.{k}" for k in CONTACT),
        *(f"antwoord.{k}" for k in BETAALGEGEVENS),
        "antwoord.toelichting",
        *REDEN,
    ),
    sjabloon="betaalvoorstel-antwoorden.csv",
)
STATUSVERZOEK = Bestandsoort(
    code="statusverzoek",
    naam="statusverzoeken",
    kenmerk="ontvanger",
    sleutels=("conversatieReferentienummer", "klantnummerSHV"),
    kolommen=(
        "ontvanger",
        "conversatieReferentienummer",
        "klantnummerSHV",
        "klantnummerSE",
        *CONTACT,
        "toelichting",
    ),
    sjabloon="statusverzoeken.csv",
)
ANTWOORD = Bestandsoort(
    code="antwoord",
    naam="antwoorden",
    kenmerk="antwoord.berichttype",
    sleutels=("referentienummer", "conversatieReferentienummer", "module", "versie", "berichttype"),
    kolommen=("antwoord.berichttype",),
    sjabloon="",
)
"""The answers to a question of any module and version outside the handbook's 17.1 files: the file of
the download (`csvindeling`) with ``antwoord.berichttype`` and its ``antwoord.*`` columns filled in."""
START = Bestandsoort(
    code="start",
    naam="nieuwe berichten",
    kenmerk="module",
    sleutels=("berichttype", "ontvanger", "conversatieReferentienummer"),
    kolommen=("module", "versie", "berichttype", "ontvanger", "conversatieReferentienummer"),
    sjabloon="",
)
"""Messages the participant starts itself in any module (a statusverzoek in 2.0), one per row,
from a template of the upload page (`csvindeling.startkolommen`)."""
SOORTEN = (SALDOVERZOEK, BETAALVOORSTEL, STATUSVERZOEK)
"""The handbook's upload files (18.2) of schuldregeling 1.0."""

SALDO_ANTWOORDEN = {
    "saldo": "saldoverzoek_antwoord",
    "standaard akkoord": "saldoverzoek_antwoord_standaard_akkoord",
    "klant onbekend": "klant_onbekend",
}
BETAALVOORSTEL_ANTWOORDEN = {
    "akkoord": "betaalvoorstel_akkoord",
    "niet akkoord": "betaalvoorstel_niet_akkoord",
}


# --- results ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bestand:
    """One uploaded file, in memory. ``grootte`` is the real size even when it was cut off."""

    naam: str
    inhoud: bytes
    grootte: int
    te_groot: bool = False


@dataclass(frozen=True, slots=True)
class Fout:
    bestand: str
    rij: int | None
    """Row number as a spreadsheet shows it: the header row is 1."""
    kolom: str | None
    letter: str | None
    """The spreadsheet column letter (A, B, …, AA) of ``kolom``."""
    reden: str


@dataclass(slots=True)
class Gepland:
    """One message an upload will send: from one row, or a group of rows of one answer."""

    bestand: str
    soort: Bestandsoort
    rijen: tuple[int, ...]
    berichttype: str
    conversatie: str
    model: BaseModel
    antwoord_op: str | None = None
    ontvanger: str = ""
    module: str = SR
    versie: str = "1.0"
    """An answer goes in its question's module and version (DESIGN §3a)."""
    referentienummer: str = field(default_factory=lambda: str(uuid.uuid4()))
    """Made from the answer by `antwoordnummers` in the dry run (the same answer, the same number)."""
    al_verzonden_op: datetime | None = None
    """When the hub received this very answer before (a re-upload, a double click): not sent again."""
    eerder_beantwoord: bool = False
    """The question had an answer already (another one): this one is sent beside it."""
    vraag: Any = None
    """The question's metadata (no content), as the dry run found it."""
    bevestigt: bool = False
    """The question was not confirmed yet: answering it confirms it (DESIGN §3, §7 "what was
    confirmed along the way")."""

    def te_versturen(self) -> TeVersturen:
        return TeVersturen(
            ontvanger=self.ontvanger,
            berichttype=self.berichttype,
            payload={},
            conversatie=self.conversatie,
            module=self.module,
            versie=self.versie,
            antwoord_op=self.antwoord_op,
            referentienummer=self.referentienummer,
            gevalideerd=self.model,
        )


@dataclass(slots=True)
class Bestandsverslag:
    naam: str
    soort: Bestandsoort | None = None
    rijen: int = 0
    berichten: int = 0
    overgeslagen: int = 0
    al_verzonden: int = 0
    fouten: int = 0


@dataclass(slots=True)
class Upload:
    """Everything read from one upload: what to send, what is wrong, per file."""

    geplanden: list[Gepland] = field(default_factory=list)
    fouten: list[Fout] = field(default_factory=list)
    bestanden: list[Bestandsverslag] = field(default_factory=list)
    kolommen: dict[str, dict[str, int]] = field(default_factory=dict)
    """Per file: column name -> index, for the letters in error messages."""

    def fout(self, bestand: str, rij: int | None, kolom: str | None, reden: str) -> None:
        index = self.kolommen.get(bestand, {}).get(kolom) if kolom else None
        self.fouten.append(
            Fout(bestand, rij, kolom, kolomletter(index) if index is not None else None, reden)
        )
        for verslag in self.bestanden:
            if verslag.naam == bestand:
                verslag.fouten += 1

    @property
    def nieuw(self) -> list[Gepland]:
        """The messages this upload sends (or sent): not the ones sent before."""
        return [g for g in self.geplanden if g.al_verzonden_op is None]

    @property
    def al_verzonden(self) -> list[Gepland]:
        """The rows whose answer the hub already holds: skipped, shown as already sent."""
        return [g for g in self.geplanden if g.al_verzonden_op is not None]

    @property
    def bevestigd(self) -> list[Gepland]:
        """The questions this upload confirmed along the way by answering them."""
        return [g for g in self.nieuw if g.bevestigt]

    @property
    def per_berichttype(self) -> dict[tuple[str, str, str], int]:
        """The messages sent now, per (module, berichttype, versie)."""
        tellingen: dict[tuple[str, str, str], int] = {}
        for g in self.nieuw:
            sleutel = (g.module, g.berichttype, g.versie)
            tellingen[sleutel] = tellingen.get(sleutel, 0) + 1
        return tellingen


def kolomletter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: the column as a spreadsheet names it."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


# --- the upload page's compact list of errors (more than a table can hold, 18.3c) ---------------


@dataclass
class Foutregel:
    """One line of the compact list: an error, or the same error (column and text) in several rows."""

    rijen: list[int]
    kolom: str | None
    letter: str | None
    reden: str

    @property
    def waar(self) -> str:
        """``rij 2`` or ``rijen 2–5, 9`` (consecutive rows as a range); ``bestand`` for the file."""
        if not self.rijen:
            return "bestand"
        reeksen: list[list[int]] = []
        for rij in self.rijen:
            if reeksen and reeksen[-1][0] <= rij <= reeksen[-1][1]:
                continue  # the same error twice in one row
            if reeksen and rij == reeksen[-1][1] + 1:
                reeksen[-1][1] = rij
            else:
                reeksen.append([rij, rij])
        tekst = ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in reeksen)
        return f"{'rij' if reeksen == [[self.rijen[0], self.rijen[0]]] else 'rijen'} {tekst}"


@dataclass
class Foutgroep:
    bestand: str
    aantal: int = 0
    regels: list[Foutregel] = field(default_factory=list)


def gegroepeerd(fouten: list[Fout]) -> list[Foutgroep]:
    """The errors per file (in the order given), each error on a line of its own, the same error in
    several rows on one line; the lines in the order of their first row."""
    groepen: dict[str, Foutgroep] = {}
    regels: dict[tuple[str, str | None, str], Foutregel] = {}
    for f in fouten:
        groep = groepen.get(f.bestand)
        if groep is None:
            groep = groepen[f.bestand] = Foutgroep(f.bestand)
        groep.aantal += 1
        sleutel = (f.bestand, f.kolom, f.reden)
        regel = regels.get(sleutel)
        if regel is None:
            regel = regels[sleutel] = Foutregel([], f.kolom, f.letter, f.reden)
            groep.regels.append(regel)
        if f.rij is not None:
            regel.rijen.append(f.rij)
    return list(groepen.values())
