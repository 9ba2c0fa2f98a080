# ruff: noqa: N815  -- field names are lowerCamelCase wire names (DESIGN §3)
"""Payloads of module ``bewind`` — Meldingen bewindvoering (DESIGN §3b), version 2.0.

Sourced: "bewindvoerders kunnen aan schuldeisers doorgeven dat hun klant onder bewind is gesteld of
is toegelaten tot de Wsnp; de beschikking wordt meegestuurd". Every field here is our own design:
there is no public specification of this module's messages. The reused blocks (``klant``,
``adres``, contact persons, ``reden``) are the shared ones of ``payloads.velden``; the bewindvoerder's
own client number is ``klantnummerBW``, as the counsellor's is ``klantnummerSHV``.

No BSN (our design choice, following DESIGN §3 "bsn only in ``*_bsn``/publiek variants"): a
melding goes to every creditor of the client, also to those that may not process a BSN, and there
is one message type, so the hub cannot route a BSN only to creditors with ``gebruiktBsn`` as it
does for ``kennisgeving_bsn``. The creditor matches on name, date of birth, address and its own
numbers.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, model_validator

from knooppunt.protocol.payloads.velden import (
    Adres,
    Bedrag,
    Code50,
    Contactpersoon,
    Datum,
    Factuurnummer,
    Iban,
    Klantnummer,
    Payload,
    PdfDocument,
    Persoon,
    Reden,
    RedenGeenMedewerking,
    Tekst2000,
    dubbele,
    meld,
    vandaag,
)

Rechtbank = Literal[
    "Amsterdam",
    "Den Haag",
    "Gelderland",
    "Limburg",
    "Midden-Nederland",
    "Noord-Holland",
    "Noord-Nederland",
    "Oost-Brabant",
    "Overijssel",
    "Rotterdam",
    "Zeeland-West-Brabant",
]
"""The eleven district courts (rechtbanken) since the 2013 reform; they decide on beschermingsbewind
(kantonrechter) and on the Wsnp."""


def _niet_in_de_toekomst(waarde: date) -> date:
    if waarde > vandaag():
        raise ValueError(f"datum {waarde.isoformat()} ligt in de toekomst: een beschikking is al gegeven")
    return waarde


class Beschikking(Payload):
    """The court's decision placing the client under beschermingsbewind or admitting them to the
    Wsnp ("de beschikking wordt meegestuurd", sourced). Our design choice: its fields."""

    datum: Annotated[Datum, AfterValidator(_niet_in_de_toekomst)]
    """The date of the beschikking."""
    rechtbank: Rechtbank
    zaaknummer: Code50
    """The court's case number as on the beschikking, e.g. ``C/16/571234 / BR RK 24-1234``."""
    document: PdfDocument | None = None
    """The beschikking itself as a PDF of at most 1 MiB."""


class MeldingBewind(Payload):
    """Melding bewind: the bewindvoerder tells a creditor that the client is under
    beschermingsbewind or admitted to the Wsnp, with the beschikking (sourced). Our design choice: the
    fields — the beschikking's details, the bewindvoerder to contact from now on, the account the
    client's money is managed on — and no BSN (DESIGN §3: only in ``*_bsn``/publiek variants).
    Answered within 10 working days (2.0) by melding_bewind_antwoord or geen_medewerking."""

    klantnummerBW: Klantnummer
    """The bewindvoerder's number for this client."""
    klantnummerSEVolgensBW: Klantnummer | None = None
    """The creditor's number for this client, as far as the bewindvoerder knows it."""
    soort: Literal["beschermingsbewind", "wsnp"]
    """beschermingsbewind (Burgerlijk Wetboek boek 1, titel 19) or wsnp (Wet schuldsanering
    natuurlijke personen)."""
    ingangsdatum: Datum
    """From when the bewind or the Wsnp applies."""
    beschikking: Beschikking
    klant: Persoon
    adres: Adres
    """The client's address, to match the client (no BSN in this message)."""
    bewindvoerder: Contactpersoon
    """The person at the bewindvoerder's office to contact from now on."""
    beheerrekening: Iban
    """The account the bewindvoerder manages the client's money on (with Wsnp: the boedelrekening)."""
    toelichting: Tekst2000 | None = None


class BekendeVordering(Payload):
    """A debt of the client the creditor knows of."""

    factuurnummerSE: Factuurnummer
    actueelBedrag: Bedrag | None = None
    """The current balance in euro cents, if the creditor gives it."""
    omschrijving: Tekst2000 | None = None


class MeldingBewindAntwoord(Payload):
    """Melding bewind antwoord: the creditor's number for the client and the invoice numbers of the
    client's debts, so the bewindvoerder can file and check later letters, and who to contact. Our
    design choice, as every field of this module; an empty ``vorderingen`` list means the client owes
    this creditor nothing."""

    klantnummerBW: Klantnummer
    """Repeated from the melding."""
    klantnummerSE: Klantnummer
    """The creditor's own number for this client."""
    vorderingen: list[BekendeVordering] = Field(max_length=1000)
    contactpersoonSE: Contactpersoon

    @model_validator(mode="after")
    def _geen_dubbele(self) -> Self:
        meld(self, dubbele([v.factuurnummerSE for v in self.vorderingen], "vorderingen"))
        return self


class GeenMedewerking(Payload):
    """Geen medewerking (afsprakenstelsel 2.0): the creditor does not act on the melding, for one of
    the four reasons of the live standard (the same codes as in the other modules)."""

    klantnummerBW: Klantnummer
    """Repeated from the melding."""
    reden: RedenGeenMedewerking
    """Mandatory."""


class EindeBewind(Payload):
    """Einde bewind: the beschermingsbewind or the Wsnp has ended; sent only to a creditor this
    bewindvoerder already exchanged messages with in this conversation (hub condition). Not answered.
    Our design choice, as every field of this module.
    ``reden`` is required; its codes are free, e.g. ``OPGEHEVEN``, ``OVERLEDEN``,
    ``ANDERE_BEWINDVOERDER``, ``SCHONE_LEI``, ``WSNP_TUSSENTIJDS_BEEINDIGD``."""

    klantnummerBW: Klantnummer
    """The bewindvoerder's number for this client, as in the melding."""
    klantnummerSE: Klantnummer | None = None
    """The creditor's number for this client, from its answer."""
    einddatum: Datum
    """The date the bewind or the Wsnp ended."""
    reden: Reden
    """Why it ended; mandatory."""


MODELLEN: dict[str, type[Payload]] = {
    "melding_bewind": MeldingBewind,
    "melding_bewind_antwoord": MeldingBewindAntwoord,
    "geen_medewerking": GeenMedewerking,
    "einde_bewind": EindeBewind,
}
"""The payload model of every participant-authored message type of module bewind, 2.0."""
