"""The example payloads as one particular creditor writes or receives them, for the demos (``knooppunt
demo`` and both portal demos).

The examples (``voorbeelden``) tell one story about one energy company: its klantnummer
``EN-778812``, its contact at ``energie.example.nl``, its IBAN "ten name van Energie Voorbeeld
B.V.", its invoice ``F-2023-55101``. A demo whose Belastingdienst answered with them would answer
with the energy company's data. `eigen_gegevens` puts a creditor's own in their place, and in an
answer echoes what the question gave — the client numbers, the creditor's number and the invoice
numbers as the debt counsellor knows them (art. 6.1) — and nothing the question left empty.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

VOORBEELD_NAAM = "Energie Voorbeeld B.V."
"""The creditor of the examples, as they name it (in a betaalvoorstel's list of creditors too)."""

VOORBEELD_OMSCHRIJVING = "Jaarafrekening energie 2023"
"""The examples' description of the creditor's main vordering."""


@dataclass(frozen=True)
class Voorbeeldschuldeiser:
    """A demo creditor's own data, put in the examples in place of the energy company's."""

    naam: str
    """As on its bank account (``betaalgegevens.tenNaamVan``) and in a betaalvoorstel's list."""
    afkorting: str
    """The prefix of its client and invoice numbers (``BD`` → ``BD-123456``, ``BD-2023-40817``)."""
    email: str
    iban: str
    omschrijving: str
    """Of its main vordering (the examples' "Jaarafrekening energie 2023")."""
    contact: str = "Team Bijzonder Beheer"

    def klantnummer(self, klant: str) -> str:
        """Its own number for the client the debt counsellor knows as ``klant`` (always the same)."""
        return f"{self.afkorting}-{_cijfers(6, self.afkorting, klant)}"

    def factuurnummer(self, voorbeeld: str) -> str:
        """Its own invoice in place of the examples' ``voorbeeld`` (``F-2023-55101``): the year kept."""
        delen = voorbeeld.split("-")
        jaar = delen[1] if len(delen) == 3 and delen[1].isdigit() else "2023"
        return f"{self.afkorting}-{jaar}-{_cijfers(5, self.afkorting, voorbeeld)}"


def _cijfers(aantal: int, *delen: str) -> str:
    """A fixed number of ``aantal`` digits for these parts (no leading zero)."""
    waarde = int.from_bytes(hashlib.sha256("|".join(delen).encode()).digest()[:8], "big")
    return str(10 ** (aantal - 1) + waarde % (9 * 10 ** (aantal - 1)))


def eigen_gegevens(
    payload: Mapping[str, Any], schuldeiser: Voorbeeldschuldeiser, *, vraag: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A copy of the example ``payload`` of a message from or to ``schuldeiser``, with its own
    klantnummer, contact, IBAN (and name on it), invoice numbers and description of its vordering.
    ``vraag``: the payload of the question this one answers, whose client numbers, klantnummerSE
    and invoice numbers the answer echoes; invoice numbers "volgens SHV" the question did not give
    are left out of the answer."""
    uit = copy.deepcopy(dict(payload))
    for veld in ("klantnummerSHV", "klantnummerBW"):
        if veld in uit and vraag and vraag.get(veld):
            uit[veld] = vraag[veld]
    klant = str(uit.get("klantnummerSHV") or uit.get("klantnummerBW") or "")
    gegeven = [
        str(vraag[veld])
        for veld in ("klantnummerSE", "klantnummerSEVolgensSHV", "klantnummerSEVolgensBW")
        if vraag and vraag.get(veld)
    ]
    klantnummer = gegeven[0] if gegeven else schuldeiser.klantnummer(klant)
    for veld in ("klantnummerSE", "klantnummerSEVolgensSHV", "klantnummerSEVolgensBW"):
        if veld in uit:
            uit[veld] = klantnummer
    if isinstance(uit.get("contactpersoonSE"), dict):
        uit["contactpersoonSE"] = {"naam": schuldeiser.contact, "email": schuldeiser.email}
    betaalgegevens = uit.get("betaalgegevens")
    if isinstance(betaalgegevens, dict):
        betaalgegevens["iban"] = schuldeiser.iban
        if "tenNaamVan" in betaalgegevens:
            betaalgegevens["tenNaamVan"] = schuldeiser.naam
        if "betalingskenmerk" in betaalgegevens:
            betaalgegevens["betalingskenmerk"] = klantnummer
    if isinstance(uit.get("factuurnummers"), list):
        uit["factuurnummers"] = [schuldeiser.factuurnummer(str(f)) for f in uit["factuurnummers"]]
    genoemd = None
    if vraag is not None:
        genoemd = [
            str(v["factuurnummerSEVolgensSHV"])
            for v in vraag.get("vorderingen") or []
            if isinstance(v, Mapping) and v.get("factuurnummerSEVolgensSHV")
        ]
    _vorderingen(uit.get("vorderingen"), schuldeiser, genoemd)
    _vorderingen(uit.get("openstaandeSchulden"), schuldeiser, None if genoemd is None else [])
    if isinstance(uit.get("herzienVoorstel"), dict):
        _vorderingen(uit["herzienVoorstel"].get("vorderingen"), schuldeiser, genoemd)
    return uit


def _vorderingen(lijst: Any, schuldeiser: Voorbeeldschuldeiser, genoemd: list[str] | None) -> None:
    """The vorderingen of a payload, in place. ``genoemd``: None in a message to the creditor (its
    invoice numbers as the debt counsellor knows them become its own); in an answer, the invoice
    numbers the question gave, echoed in order (the creditor recognised them), the rest left out."""
    if not isinstance(lijst, list):
        return
    vorderingen = [v for v in lijst if isinstance(v, dict)]
    echo = genoemd is not None and any("factuurnummerSEVolgensSHV" in v for v in vorderingen)
    for index, vordering in enumerate(vorderingen):
        if vordering.get("eigenVordering") is True:
            vordering["schuldeiser"] = schuldeiser.naam
        elif vordering.get("schuldeiser") == schuldeiser.naam:
            # The example's other creditor is this one: the example's own creditor takes its place.
            vordering["schuldeiser"] = VOORBEELD_NAAM
        if "factuurnummerSE" in vordering:
            vordering["factuurnummerSE"] = schuldeiser.factuurnummer(str(vordering["factuurnummerSE"]))
        if vordering.get("omschrijving") == VOORBEELD_OMSCHRIJVING:
            vordering["omschrijving"] = schuldeiser.omschrijving
        if genoemd is None:
            if "factuurnummerSEVolgensSHV" in vordering:
                vordering["factuurnummerSEVolgensSHV"] = schuldeiser.factuurnummer(
                    str(vordering["factuurnummerSEVolgensSHV"])
                )
            continue
        vordering.pop("factuurnummerSEVolgensSHV", None)
        if echo and index < len(genoemd):
            vordering["factuurnummerSEVolgensSHV"] = genoemd[index]
            if "factuurnummerSE" in vordering:
                vordering["factuurnummerSE"] = genoemd[index]
