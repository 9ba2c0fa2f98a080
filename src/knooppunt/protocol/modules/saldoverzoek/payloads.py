# ruff: noqa: N815  -- field names are the standard's lowerCamelCase wire names (DESIGN §3)
"""Payloads of module ``saldoverzoek`` — Schuldinventarisatie, fase 1 (DESIGN §3b), version 2.0.

Sourced: the live Schuldenknooppunt's module page. The saldoverzoeken are those of module
schuldregeling (articles 5.1–5.5; the client block, ``vorderingen`` and, for nuts,
``slimmeMeterAkkoord`` are the schuldregeling 1.0 blocks, imported so they stay identical) without
``typeSchuldregeling`` — there is no regeling yet in fase 1 — and with the ``grondslag`` on which
the sender may ask: the Wgs, the client's signed toestemmingsverklaring, or the court's beschikking.

Senders are debt counsellors (``SHV``) and bewindvoerders (``BW``). The field names stay those of
the live standard (``klantnummerSHV``, ``contactpersoonSHV``) whoever sends: a bewindvoerder fills
them with its own number and contact (the envelope names the sender and its role).

Who must give which grondslag depends on the sender's role, which the payload cannot know: a
hulpverlener under the Wgs gives ``wgs``, one outside the Wgs a ``toestemmingsverklaring``, a
bewindvoerder the ``beschikking``. That is for the SDK and the portal, which know the sender's role
(``grondslag_past_bij_rol``). The signed document may come along as a PDF of at most 1 MiB
(``grondslagDocument``), optional with every grondslag, as DESIGN §3b says ("with the signed
document as an optional PDF of at most 1 MiB inside the payload").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal, Self

from pydantic import ConfigDict, Field, Strict, model_validator
from pydantic_core import InitErrorDetails

from knooppunt.protocol.modules.schuldregeling.payloads import (
    GevraagdeVordering,
    Kennisgeving,
    KennisgevingBsn,
    Reminder,
    VerledenDatum,
    Vordering,
)
from knooppunt.protocol.payloads.velden import (
    GEHEEL,
    Bedrag,
    Betaalgegevens,
    Contactpersoon,
    Factuurnummer,
    Klantnummer,
    Payload,
    PdfDocument,
    RedenGeenMedewerking,
    Tekst2000,
    controleer_opbouw,
    dubbele,
    meld,
    niet_leeg,
    veldfout,
)
from knooppunt.protocol.soorten import Rol

Grondslag = Literal["wgs", "toestemmingsverklaring", "beschikking"]


def grondslag_past_bij_rol(rol: Rol, grondslag: str) -> str | None:
    """None when a sender in ``rol`` may ask on ``grondslag``, else the Dutch reason (DESIGN §3b):
    a bewindvoerder asks on the beschikking; a debt counsellor on the Wgs or, outside the Wgs, on a
    toestemmingsverklaring — never on a beschikking, which appoints a bewindvoerder. Whether a
    counsellor works under the Wgs is not in the adresboek: that choice stays the sender's."""
    if rol == Rol.BW and grondslag != "beschikking":
        return (
            f"een bewindvoerder vraagt saldo's op grond van de beschikking, niet op grond van "
            f"{grondslag!r}: kies grondslag 'beschikking' (de beschikking zelf kan als PDF mee in "
            "grondslagDocument)"
        )
    if rol == Rol.SHV and grondslag == "beschikking":
        return (
            "grondslag 'beschikking' is voor bewindvoerders: een schuldhulpverlener kiest 'wgs' of, "
            "buiten de Wgs, 'toestemmingsverklaring' (de ondertekende verklaring kan als PDF mee in "
            "grondslagDocument)"
        )
    return None


# --- saldoverzoeken (5.1–5.5) -----------------------------------------------------------------------


class _MetGrondslag(Payload):
    """The grondslag of a fase-1 saldoverzoek and, optionally, its signed document."""

    vorderingen: list[GevraagdeVordering] = Field(default_factory=list, max_length=1000)
    """The debts the sender knows of (may be empty: the creditor reports all it has)."""
    grondslag: Grondslag
    """On what ground the sender asks: ``wgs`` (a hulpverlener under the Wet gemeentelijke
    schuldhulpverlening), ``toestemmingsverklaring`` (the client's signed consent, for a hulpverlener
    outside the Wgs) or ``beschikking`` (the court's decision appointing a bewindvoerder). Which one
    fits the sender's role is for the SDK and the portal to check, not the payload."""
    grondslagDocument: PdfDocument | None = None
    """The signed toestemmingsverklaring or the beschikking as a PDF of at most 1 MiB; optional with
    every grondslag (DESIGN §3b: "the signed document as an optional PDF")."""


class Saldoverzoek(_MetGrondslag, Kennisgeving):
    """Saldoverzoek (5.1): asks the creditor for a current overview of the client's debts, to take
    stock in fase 1 (intake and stabilisation). To be answered within 10 working days (2.0). No BSN:
    only saldoverzoek_publiek carries it (5.4)."""


class SaldoverzoekNuts(Saldoverzoek):
    """Saldoverzoek nuts (5.2), to utility creditors."""

    slimmeMeterAkkoord: Annotated[bool, Strict()]
    """The client agrees that the smart meter is read; the creditor may then not ask for the meter
    readings in another way later (5.3)."""


class SaldoverzoekPubliek(_MetGrondslag, KennisgevingBsn):
    """Saldoverzoek publiek (5.4), to public creditors, who identify the client by BSN. Otherwise as
    saldoverzoek."""


class SaldoverzoekZorg(Saldoverzoek):
    """Saldoverzoek zorg (5.5), to healthcare creditors."""


# --- saldoverzoek antwoord (6.1, 6.2) ---------------------------------------------------------------


class Totaalvordering(Payload):
    """All of the client's debts at this creditor as one total, not matched to invoices (6.2). No
    ``standaardAkkoord`` flag: this module has no betaalvoorstel (DESIGN §3b)."""

    aantalVorderingen: Annotated[int, Strict(), Field(ge=1), GEHEEL] | None = None
    """Our design choice: how many debts the total covers."""
    oorspronkelijkBedrag: Bedrag | None = None
    hoofdsom: Bedrag | None = None
    rente: Bedrag | None = None
    kosten: Bedrag | None = None
    incassokosten: Bedrag | None = None
    actueelBedrag: Bedrag
    """The current total in euro cents: hoofdsom + rente + kosten + incassokosten when all four are
    given."""
    omschrijving: Tekst2000 | None = None

    @model_validator(mode="after")
    def _samenhang(self) -> Self:
        onderdelen = {
            "hoofdsom": self.hoofdsom,
            "rente": self.rente,
            "kosten": self.kosten,
            "incassokosten": self.incassokosten,
        }
        meld(self, controleer_opbouw(self.actueelBedrag, onderdelen))
        return self


class OpenstaandeSchuld(Payload):
    """One open debt the creditor could not match to an invoice of the saldoverzoek (an
    *ongematchte schuld*, sourced). Our design choice for its fields: an amount, and what the
    creditor knows to tell it apart."""

    kenmerk: Factuurnummer | None = None
    """The creditor's reference of the debt, if it has one (an invoice or dossier number)."""
    ontstaansdatum: VerledenDatum | None = None
    actueelBedrag: Bedrag
    """The current balance in euro cents."""
    omschrijving: Tekst2000 | None = None


class SaldoverzoekAntwoord(Payload):
    """Saldoverzoek antwoord (6.1): the client's debts, either matched (``vorderingen``, per
    invoice) or, sourced for this module, as *ongematchte schulden*: one ``totaalvordering`` or a
    list of ``openstaandeSchulden`` — exactly one of the three. An empty ``vorderingen`` list means
    the client owes nothing (our design choice, as in schuldregeling)."""

    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                niet_leeg("vorderingen", "array"),
                niet_leeg("totaalvordering", "object"),
                niet_leeg("openstaandeSchulden", "array"),
            ]
        }
    )

    klantnummerSHV: Klantnummer
    """Repeated from the saldoverzoek (the sender's client number, also when a bewindvoerder asked)."""
    klantnummerSE: Klantnummer
    """The creditor's own number for this client."""
    contactpersoonSE: Contactpersoon
    peildatum: VerledenDatum
    """Our design choice: the date the balances are as of."""
    vorderingen: list[Vordering] | None = Field(default=None, max_length=1000)
    """Matched debts, one per invoice (6.2)."""
    totaalvordering: Totaalvordering | None = None
    """Unmatched: all debts as one total."""
    openstaandeSchulden: list[OpenstaandeSchuld] | None = Field(default=None, min_length=1, max_length=1000)
    """Unmatched: the open debts one by one, without invoice matching."""
    betaalgegevens: Betaalgegevens | None = None
    """Where the creditor wants to be paid."""

    @model_validator(mode="after")
    def _vorm(self) -> Self:
        fouten: list[InitErrorDetails] = []
        gegeven = [
            v for v in (self.vorderingen, self.totaalvordering, self.openstaandeSchulden) if v is not None
        ]
        if len(gegeven) != 1:
            fouten.append(
                veldfout(
                    ("vorderingen",),
                    "geef precies één van vorderingen (gematcht, per factuur), totaalvordering of "
                    f"openstaandeSchulden (ongematchte schulden); nu {len(gegeven)} gegeven",
                    None,
                )
            )
        if self.vorderingen:
            fouten += dubbele([v.factuurnummerSE for v in self.vorderingen], "vorderingen")
        meld(self, fouten)
        return self


# --- geen medewerking, reminder -------------------------------------------------------------------------


class GeenMedewerking(Payload):
    """Geen medewerking (afsprakenstelsel 2.0, replacing 1.0's klant onbekend, 8.1): the creditor
    does not answer the saldoverzoek, for one of four reasons."""

    klantnummerSHV: Klantnummer
    """Repeated from the saldoverzoek."""
    reden: RedenGeenMedewerking
    """Mandatory."""


class SaldoverzoekReminder(Reminder):
    """Reminderbericht (15.1): reminds the creditor to answer the saldoverzoek the envelope's
    ``crossReferentienummer`` names (open and not expired, checked by the hub)."""


MODELLEN: dict[str, type[Payload]] = {
    "saldoverzoek": Saldoverzoek,
    "saldoverzoek_nuts": SaldoverzoekNuts,
    "saldoverzoek_publiek": SaldoverzoekPubliek,
    "saldoverzoek_zorg": SaldoverzoekZorg,
    "saldoverzoek_antwoord": SaldoverzoekAntwoord,
    "geen_medewerking": GeenMedewerking,
    "reminder": SaldoverzoekReminder,
}
"""The payload model of every participant-authored message type of module saldoverzoek, 2.0."""


def _grondslag_van_afzender(rol: str, payload: Mapping[str, Any]) -> tuple[str, str] | None:
    grondslag = payload.get("grondslag")
    if not isinstance(grondslag, str) or rol not in (Rol.SHV, Rol.BW):
        return None
    reden = grondslag_past_bij_rol(Rol(rol), grondslag)
    return None if reden is None else ("grondslag", reden)


AFZENDERREGELS = dict.fromkeys(
    ("saldoverzoek", "saldoverzoek_nuts", "saldoverzoek_publiek", "saldoverzoek_zorg"),
    _grondslag_van_afzender,
)
"""DESIGN §3b: a bewindvoerder asks on the beschikking, a debt counsellor never does (the SDK and the
portal check it before sealing)."""
