"""Typed reading of an upload's cells (art. 18, DESIGN §7), shared by the handbook's files
(`csvimport`) and the files of every other module (`csvmodules`): amounts, whole numbers, dates
and numbers as the download writes them, each error reported once at its row and column."""

from __future__ import annotations

import re
import uuid
from datetime import date

from knooppunt.portaal.csvformaat import SR, Upload
from knooppunt.portaal.weergave import berichttype_naam

_DATUM_NL = re.compile(r"\A(\d{1,2})[-/](\d{1,2})[-/](\d{4})\Z")


class Cellen:
    """Typed reading of cells, collecting errors; cells with an error are not reported again
    when the payload model complains about the same field."""

    def __init__(self, upload: Upload, bestand: str) -> None:
        self.upload = upload
        self.bestand = bestand
        self.fout_in: set[tuple[int, str]] = set()

    def fout(self, rij: int, kolom: str, reden: str) -> None:
        if (rij, kolom) not in self.fout_in:
            self.fout_in.add((rij, kolom))
            self.upload.fout(self.bestand, rij, kolom, reden)

    def bedrag(self, rij: int, kolom: str, waarde: str) -> int | str | None:
        if not waarde:
            return None
        if waarde.isascii() and waarde.isdigit():
            return int(waarde)
        self.fout(
            rij,
            kolom,
            f"'{waarde}' is geen bedrag in hele eurocenten: schrijf alleen cijfers, zonder punt, komma, "
            "spatie of €-teken (12345 is € 123,45).",
        )
        return waarde

    def geheel(self, rij: int, kolom: str, waarde: str) -> int | str | None:
        if not waarde:
            return None
        if waarde.isascii() and waarde.isdigit():
            return int(waarde)
        self.fout(rij, kolom, f"'{waarde}' is geen geheel getal.")
        return waarde

    def datum(self, rij: int, kolom: str, waarde: str) -> str | None:
        """ISO ``2024-03-01``; also ``1-3-2024`` (how Dutch Excel saves dates)."""
        if not waarde:
            return None
        nl = _DATUM_NL.match(waarde)
        if nl is None:
            return waarde  # the payload model checks (and explains) the ISO form
        dag, maand, jaar = (int(d) for d in nl.groups())
        try:
            return date(jaar, maand, dag).isoformat()
        except ValueError:
            self.fout(rij, kolom, f"'{waarde}' is geen bestaande datum.")
            return waarde

    def uuid(self, rij: int, kolom: str, waarde: str) -> str | None:
        if not waarde:
            self.fout(rij, kolom, f"'{kolom}' is leeg; neem het over uit het gedownloade bestand.")
            return None
        try:
            return str(uuid.UUID(waarde)).lower()
        except ValueError:
            self.fout(rij, kolom, f"'{waarde}' is geen geldig {kolom} (een UUID zoals in de download).")
            return None


def blok(velden: dict[str, object]) -> dict[str, object] | None:
    """A nested payload block from its cells, or None when all are empty."""
    gevuld = {k: v for k, v in velden.items() if v not in (None, "")}
    return gevuld or None


def typenaam(code: str, module: str = SR, versie: str | None = None) -> str:
    """A type's name as the errors say it ("een saldoverzoek"): in its module and version."""
    naam = berichttype_naam(code, module, versie)
    return naam.lower() if naam != code else code
