"""The CSV layout of every module for the creditor's download and upload (DESIGN §7, §3b).

A module may keep its layout as data in its own folder, ``knooppunt/protocol/modules/<module>/csv.py``
(pure data, no imports of the portal):

- ``HANDBOEK_17_1``: the versions whose files are the handbook's art. 17.1 files
  (``saldoverzoeken.csv``, ``betaalvoorstellen.csv``, …; `csvformaat` and `export.EXPORTSOORTEN`);
- ``BESTANDEN``: per message type the name of its CSV file (without ``.csv``);
- ``LIJSTEN``: per list field (``vorderingen``) how many numbered items an answer's columns offer;
- ``KOLOMMEN``: per message type the columns of its payload, in order, when not all of the model's.

Whatever a module does not say is derived from the payload's JSON Schema, through the same walk the
generated forms use (`formulier.sjabloon`): nested objects become dotted columns
(``klant.achternaam``), lists numbered ones (``vorderingen.1.factuurnummerSE``). So a new module
gets a download and an upload without touching this file.

One file per (module, versie, berichttype) of the question: ``<module>-<versie>/<naam>.csv``. Its
columns: the envelope (with ``module`` and ``versie``), the question's fields, and — for a question
the recipient answers — ``antwoord.berichttype`` (which answer: its name from the handbook) plus the
fields of every possible answer prefixed ``antwoord.``. An answer goes in the version of its question.
A message the participant starts itself (a statusverzoek) has a file of its own (`startkolommen`).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import Any

from knooppunt.portaal import formulier
from knooppunt.portaal.formulier import Omzetfout, Sjabloon
from knooppunt.protocol.catalogus import CATALOGUS, Berichttype, Rol, versiesleutel

STANDAARD_LIJST = 3
"""Numbered items an answer's list gets in a download when the module does not say otherwise (more
can be added as columns: ``vorderingen.4.…``)."""
ANTWOORD = "antwoord."
ANTWOORDSOORT = "antwoord.berichttype"
GENERIEKE_ENVELOP = (
    "referentienummer",
    "conversatieReferentienummer",
    "crossReferentienummer",
    "module",
    "versie",
    "berichttype",
    "afzender",
    "afzenderNaam",
    "ontvangenOp",
    "verlooptOp",
)
STARTSLEUTELS = ("module", "versie", "berichttype", "ontvanger", "conversatieReferentienummer")
"""The envelope columns of a file of messages the participant starts (``versie`` may be empty: the
highest version both parties accept)."""


@dataclass(frozen=True, slots=True)
class Kolom:
    """One payload column: its dotted name and the kind of value (`formulier.Sjabloon.soort`)."""

    naam: str
    soort: str
    opties: tuple[tuple[str, str], ...] = ()
    verplicht: bool = False


@cache
def _data(module: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"knooppunt.protocol.modules.{module}.csv")
    except ModuleNotFoundError as exc:
        if exc.name != f"knooppunt.protocol.modules.{module}.csv":
            raise
        return None


def _uit(module: str, naam: str, standaard: Any) -> Any:
    data = _data(module)
    return getattr(data, naam, standaard) if data is not None else standaard


def is_handboek(module: str, versie: str) -> bool:
    """Do this module's files in this version follow the handbook's art. 17.1 (`csvformaat`)?"""
    return versie in _uit(module, "HANDBOEK_17_1", frozenset())


def bestandsnaam(module: str, versie: str, code: str) -> str:
    namen: Mapping[str, str] = _uit(module, "BESTANDEN", {})
    return f"{module}-{versie}/{namen.get(code, code)}.csv"


def lijstlengte(module: str, pad: str) -> int:
    lijsten: Mapping[str, int] = _uit(module, "LIJSTEN", {})
    kaal = "".join(c for c in pad if not c.isdigit()).replace("..", ".")
    return int(lijsten.get(kaal, lijsten.get(pad.rsplit(".", 1)[-1], STANDAARD_LIJST)))


def _blad(sj: Sjabloon, pad: str, aantallen: Mapping[str, int], module: str) -> Iterator[Kolom]:
    if sj.soort == "groep":
        for kind in sj.kinderen:
            yield from _blad(kind, f"{pad}.{kind.naam}" if pad else kind.naam, aantallen, module)
    elif sj.soort == "lijst":
        item = sj.kinderen[0]
        n = aantallen.get(pad, lijstlengte(module, pad))
        for nummer in range(1, max(1, n) + 1):
            yield from _blad(item, f"{pad}.{nummer}", aantallen, module)
    else:
        yield Kolom(pad, sj.soort, sj.opties, sj.verplicht)


def kolommen(module: str, code: str, versie: str, aantallen: Mapping[str, int] | None = None) -> list[Kolom]:
    """The payload columns of a message type, lists numbered up to ``aantallen`` (per list path, as
    dotted columns name it: ``vorderingen``) or the module's `lijstlengte`."""
    try:
        sj = formulier.sjabloon(module, code, versie)
    except LookupError:
        return []
    alle = list(_blad(sj, "", aantallen or {}, module))
    volgorde: Mapping[str, tuple[str, ...]] = _uit(module, "KOLOMMEN", {})
    if code in volgorde:
        per = {k.naam: k for k in alle}
        return [per.get(n, Kolom(n, "tekst")) for n in volgorde[code]]
    return alle


def antwoordtypen(module: str, versie: str, vraag: str) -> list[Berichttype]:
    """The types that answer a question in its module and version (never the hub's notices)."""
    vraagtype = CATALOGUS.zoek(module, vraag, versie)
    if vraagtype is None:
        return []
    return [
        t
        for t in CATALOGUS.alle()
        if t.module == module
        and t.versie == versie
        and not t.door_knooppunt
        and "*" not in t.beantwoordt
        and vraag in t.beantwoordt
        and t.van & vraagtype.naar
    ]


def antwoordkolommen(module: str, versie: str, vraag: str) -> list[str]:
    """The answer columns of a question's file: the answer's kind, then every answer's fields."""
    uit = [ANTWOORDSOORT]
    for t in antwoordtypen(module, versie, vraag):
        for kolom in kolommen(module, t.code, versie):
            naam = ANTWOORD + kolom.naam
            if naam not in uit:
                uit.append(naam)
    return uit


def starttypen(module: str, versie: str, rol: str) -> list[Berichttype]:
    """The types a participant of this role starts itself (no answer; a hub condition may still
    require an earlier exchange, like a statusverzoek's)."""
    return [
        t
        for t in CATALOGUS.alle()
        if t.module == module
        and t.versie == versie
        and not t.door_knooppunt
        and not t.is_antwoord
        and Rol(rol) in t.van
    ]


def startkolommen(module: str, code: str, versie: str) -> list[str]:
    return [*STARTSLEUTELS, *(k.naam for k in kolommen(module, code, versie))]


def hoogste_versie(module: str, code: str) -> str | None:
    versies = CATALOGUS.versies(module, code)
    return max(versies, key=versiesleutel) if versies else None


def typenaam(module: str, code: str, versie: str | None = None) -> str:
    gevonden = CATALOGUS.zoek(module, code, versie)
    return gevonden.naam if gevonden is not None else code


modulenaam = CATALOGUS.modulenaam


# --- cells to values ---------------------------------------------------------------------------------


def waarde(kolom: Kolom, tekst: str) -> Any:
    """A cell as the payload value of its column; `Omzetfout` (Dutch) when it cannot be one.
    Amounts are whole euro cents in a CSV (as the download writes them), dates ISO or ``1-3-2024``."""
    t = tekst.strip()
    if kolom.soort == "bedrag":
        if t.isascii() and t.isdigit():
            return int(t)
        raise Omzetfout(
            f"'{t}' is geen bedrag in hele eurocenten: schrijf alleen cijfers, zonder punt, komma, spatie "
            "of €-teken (12345 is € 123,45)"
        )
    if kolom.soort == "geheel":
        return formulier._geheel(t)
    if kolom.soort == "getal":
        return formulier._getal(t)
    if kolom.soort == "datum":
        return formulier._datum(t)
    if kolom.soort == "janee":
        klein = t.lower()
        if klein in ("ja", "j", "true", "waar", "1"):
            return True
        if klein in ("nee", "n", "false", "onwaar", "0"):
            return False
        raise Omzetfout(f"'{t}' is geen ja of nee")
    if kolom.soort == "keuze":
        for code, label in kolom.opties:
            if t.lower() in (code.lower(), label.lower()):
                return code
        raise Omzetfout(
            f"'{t}' is geen geldige keuze; schrijf een van deze codes: " + formulier.keuzes(kolom.opties)
        )
    return formulier._normaliseer(kolom.naam.rsplit(".", 1)[-1], t)


def zet(doel: dict[str, Any], pad: str, waarde_: Any) -> None:
    """Put a value at a dotted column path; numbered parts become list items (1-based)."""
    delen = pad.split(".")
    huidig: Any = doel
    for i, deel in enumerate(delen):
        laatste = i == len(delen) - 1
        volgende_is_nummer = not laatste and delen[i + 1].isdigit()
        if deel.isdigit():
            assert isinstance(huidig, dict)
            sleutel: Any = int(deel)
        else:
            sleutel = deel
        if laatste:
            huidig[sleutel] = waarde_
        else:
            huidig = huidig.setdefault(sleutel, {} if not volgende_is_nummer else {"#": True})


def als_lijsten(waarde_: Any) -> Any:
    """The result of `zet` with its numbered dicts turned into lists (in order, gaps closed)."""
    if isinstance(waarde_, dict):
        if waarde_.get("#") is True:
            items = sorted((k, v) for k, v in waarde_.items() if isinstance(k, int))
            return [als_lijsten(v) for _, v in items]
        return {k: als_lijsten(v) for k, v in waarde_.items()}
    return waarde_


def reden_bij_kolom(reden: str, pad: str, kolom: str) -> str:
    """A payload error's reason in the cell it is shown at (DESIGN §7: the user's words, never an
    internal path): the Kolom beside it names the field already; when the error had to go to another
    column (a block, or the column that says what the row is), the reason names the column it is
    about (``antwoord.contactpersoonSE.telefoon``), as the file has it. Dates in the reason as
    dd-mm-jjjj (``formulier.nl_datums``), as the forms write them — except in a reason that asks for
    the ISO form itself."""
    if "JJJJ-MM-DD" not in reden:
        reden = formulier.nl_datums(reden)
    eigen = kolom_van_pad(pad)
    if not eigen or kolom == eigen or kolom.endswith("." + eigen):
        return reden
    voorvoegsel = kolom.partition(".")[0] + "." if kolom.startswith(ANTWOORD) else ""
    return f"{reden} (kolom {voorvoegsel}{eigen})"


def kolom_van_pad(pad: str) -> str:
    """A payload error path (``vorderingen[0].hoofdsom``) as its column (``vorderingen.1.hoofdsom``)."""
    uit = []
    for deel in pad.replace("]", "").split("."):
        naam, _, index = deel.partition("[")
        uit.append(naam)
        if index.isdigit():
            uit.append(str(int(index) + 1))
    return ".".join(d for d in uit if d)
