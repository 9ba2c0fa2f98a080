# ruff: noqa: N815  -- field names are the standard's lowerCamelCase wire names (DESIGN §3)
"""Payloads of module ``betalingsregeling`` — betalingsregeling and herfinanciering, version 2.0
(DESIGN §3b; sourced: "gelijk aan de module schuldregeling; alleen de betaalvoorstellen betreffen
100% betalingsregelingen of herfinanciering").

The types and payloads are those of schuldregeling 2.0 (``schuldregeling.versie_2_0``), except:

- ``typeSchuldregeling`` is ``BR`` (betalingsregeling: 100 % in termijnen) or ``HF``
  (herfinanciering: 100 % ineens, paid by a kredietbank that lends the client the money);
- the ``betaalvoorstel`` offers every debt in full, with ``termijnbedrag``, ``aantalTermijnen`` and
  ``eersteBetaaldatum`` for BR, or ``uitbetaaldatum`` and ``financier`` for HF, in place of
  schuldregeling's afloscapaciteit, looptijd and aanbodPercentage;
- ``schuldregeling_geaccordeerd`` pays every debt in full (afkooppercentage 100), with one
  uitbetaalmoment for HF;
- a ``heroverweging`` may carry revised BR/HF terms.

Which fields a BR and an HF carry, and the rules tying them together, are our design choice.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Annotated, Any, Self

from pydantic import ConfigDict, Field, Strict, model_validator
from pydantic_core import InitErrorDetails

from knooppunt.protocol.modules.schuldregeling import payloads as v1
from knooppunt.protocol.modules.schuldregeling import versie_2_0 as v2
from knooppunt.protocol.payloads.velden import (
    GEHEEL,
    Aantal,
    Bedrag,
    Datum,
    Payload,
    Tekst200,
    Tekst10000,
    TypeBetalingsregeling,
    afwezig,
    als,
    meld,
    niet_leeg,
    veldfout,
)

# --- saldoverzoek: typeSchuldregeling BR or HF -----------------------------------------------------------


class Saldoverzoek(v1._SaldoverzoekBasis):
    """Saldoverzoek (5.1): asks the creditor for a current overview of the client's debts, for a
    betalingsregeling or herfinanciering. To be answered within 10 working days (afsprakenstelsel
    2.0)."""

    typeSchuldregeling: TypeBetalingsregeling
    """BR betalingsregeling (100 % in termijnen) or HF herfinanciering (100 % ineens)."""


class SaldoverzoekNuts(Saldoverzoek):
    """Saldoverzoek nuts (5.2), to utility creditors."""

    slimmeMeterAkkoord: Annotated[bool, Strict()]
    """The client agrees that the smart meter is read; the creditor may then not ask for the meter
    readings in another way later (5.3)."""


class SaldoverzoekPubliek(v1._SaldoverzoekPubliekBasis):
    """Saldoverzoek publiek (5.4), to public creditors, who identify the client by BSN. Otherwise
    as saldoverzoek: answered within 10 working days (afsprakenstelsel 2.0)."""

    typeSchuldregeling: TypeBetalingsregeling
    """BR betalingsregeling (100 % in termijnen) or HF herfinanciering (100 % ineens)."""


class SaldoverzoekZorg(Saldoverzoek):
    """Saldoverzoek zorg (5.5), to healthcare creditors."""


# --- the terms of a BR or an HF -------------------------------------------------------------------------

_BR_VELDEN = ("termijnbedrag", "aantalTermijnen", "eersteBetaaldatum")
_HF_VELDEN = ("uitbetaaldatum", "financier")
_SOORT = {"BR": "betalingsregeling in termijnen", "HF": "herfinanciering ineens"}

VOORWAARDEN_SCHEMA: dict[str, Any] = {
    "allOf": [
        als(
            "typeSchuldregeling",
            "BR",
            {
                "allOf": [
                    niet_leeg("termijnbedrag", "integer"),
                    niet_leeg("aantalTermijnen", "integer"),
                    niet_leeg("eersteBetaaldatum", "string"),
                    afwezig(*_HF_VELDEN),
                ]
            },
        ),
        als(
            "typeSchuldregeling",
            "HF",
            {
                "allOf": [
                    niet_leeg("uitbetaaldatum", "string"),
                    niet_leeg("financier", "string"),
                    afwezig(*_BR_VELDEN),
                ]
            },
        ),
    ]
}
"""The JSON Schema form of ``voorwaarden_fouten``."""


def voorwaarden_fouten(voorstel: Payload, type_: str) -> list[InitErrorDetails]:
    """A BR carries termijnbedrag, aantalTermijnen and eersteBetaaldatum and no HF fields; an HF
    carries uitbetaaldatum and financier and no BR fields (DESIGN §3b)."""
    verplicht, verboden = (_BR_VELDEN, _HF_VELDEN) if type_ == "BR" else (_HF_VELDEN, _BR_VELDEN)
    anders = "HF" if type_ == "BR" else "BR"
    fouten: list[InitErrorDetails] = []
    for veld in verplicht:
        if getattr(voorstel, veld) is None:
            fouten.append(
                veldfout(
                    (veld,), f"{veld} is verplicht bij typeSchuldregeling {type_!r} ({_SOORT[type_]})", None
                )
            )
    for veld in verboden:
        waarde = getattr(voorstel, veld)
        if waarde is not None:
            fouten.append(
                veldfout(
                    (veld,),
                    f"{veld} hoort bij typeSchuldregeling {anders!r} ({_SOORT[anders]}), niet bij {type_!r}; "
                    "laat het weg",
                    waarde.isoformat() if isinstance(waarde, date) else waarde,
                )
            )
    return fouten


Termijnbedrag = Annotated[int, Strict(), Field(gt=0), GEHEEL]
AantalTermijnen = Annotated[int, Strict(), Field(ge=1, le=120), GEHEEL]


# --- betaalvoorstel: 100 %, BR or HF ---------------------------------------------------------------------


class Betaalvoorstel(v1._VervolgSHV):
    """Betaalvoorstel (9.1) for a betalingsregeling or herfinanciering: every debt is offered in
    full (``aangebodenBedrag`` equals ``bedrag``). A BR pays the recipient's own debts in
    ``aantalTermijnen`` terms of ``termijnbedrag`` from ``eersteBetaaldatum``, the last term being
    the rest; an HF pays them at once on ``uitbetaaldatum`` with a loan of ``financier``. Totals
    must equal the sums over ``vorderingen`` (as in schuldregeling). Not sent to creditors that
    answered standaard akkoord (9.3). To be answered within 10 working days (afsprakenstelsel
    2.0)."""

    model_config = ConfigDict(json_schema_extra=VOORWAARDEN_SCHEMA)

    typeSchuldregeling: TypeBetalingsregeling
    """BR betalingsregeling (100 % in termijnen) or HF herfinanciering (100 % ineens)."""
    aantalPreferent: Aantal
    """Number of preferent debts in ``vorderingen``."""
    bedragPreferent: Bedrag
    """Sum of the preferent debts, in euro cents."""
    aantalConcurrent: Aantal
    """Number of concurrent debts in ``vorderingen``."""
    bedragConcurrent: Bedrag
    """Sum of the concurrent debts, in euro cents."""
    termijnbedrag: Termijnbedrag | None = None
    """BR only: the amount per monthly term for the recipient's own debts, in euro cents."""
    aantalTermijnen: AantalTermijnen | None = None
    """BR only: the number of monthly terms (1 to 120); the last term pays the rest."""
    eersteBetaaldatum: Datum | None = None
    """BR only: the date of the first term."""
    uitbetaaldatum: Datum | None = None
    """HF only: the date the debts are paid at once."""
    financier: Tekst200 | None = None
    """HF only: the kredietbank (or other lender) that lends the client the money."""
    vorderingen: list[v1.VoorgesteldeVordering] = Field(min_length=1, max_length=10000)
    """Every debt of the regeling, the recipient's own marked ``eigenVordering``; each one offered
    in full."""
    onderbouwing: Tekst10000
    """The grounds of the proposal (9.2); attachments are not possible."""

    @model_validator(mode="after")
    def _volledig(self) -> Self:
        fouten = v1.totalen_fouten(self.vorderingen, v1.totalen(self))
        for i, vordering in enumerate(self.vorderingen):
            if vordering.aangebodenBedrag != vordering.bedrag:
                fouten.append(
                    veldfout(
                        ("vorderingen", i, "aangebodenBedrag"),
                        f"aangebodenBedrag ({vordering.aangebodenBedrag}) moet gelijk zijn aan bedrag "
                        f"({vordering.bedrag}): een betalingsregeling of herfinanciering betaalt elke "
                        "vordering voor 100 %",
                        vordering.aangebodenBedrag,
                    )
                )
        fouten += voorwaarden_fouten(self, self.typeSchuldregeling)
        if (
            self.typeSchuldregeling == "BR"
            and self.termijnbedrag is not None
            and self.aantalTermijnen is not None
        ):
            eigen = sum(v.bedrag for v in self.vorderingen if v.eigenVordering)
            nodig = max(1, math.ceil(eigen / self.termijnbedrag))
            if self.aantalTermijnen != nodig:
                fouten.append(
                    veldfout(
                        ("aantalTermijnen",),
                        f"aantalTermijnen ({self.aantalTermijnen}) moet {nodig} zijn: zoveel termijnen van "
                        f"{self.termijnbedrag} eurocent zijn nodig om uw vorderingen ({eigen} eurocent) voor "
                        "100 % te betalen, de laatste termijn voor het restant",
                        self.aantalTermijnen,
                    )
                )
        meld(self, fouten)
        return self


# --- heroverweging: revised BR/HF terms ------------------------------------------------------------------


class HerzienVoorstel(Payload):
    """Revised terms of the betalingsregeling or herfinanciering (our design choice): the same
    fields and rules as in the betaalvoorstel; the debts stay offered in full."""

    model_config = ConfigDict(json_schema_extra=VOORWAARDEN_SCHEMA)

    typeSchuldregeling: TypeBetalingsregeling
    """BR betalingsregeling (100 % in termijnen) or HF herfinanciering (100 % ineens)."""
    termijnbedrag: Termijnbedrag | None = None
    """BR only: the amount per monthly term, in euro cents."""
    aantalTermijnen: AantalTermijnen | None = None
    """BR only: the number of monthly terms (1 to 120)."""
    eersteBetaaldatum: Datum | None = None
    """BR only: the date of the first term."""
    uitbetaaldatum: Datum | None = None
    """HF only: the date the debts are paid at once."""
    financier: Tekst200 | None = None
    """HF only: the kredietbank (or other lender) that lends the client the money."""

    @model_validator(mode="after")
    def _voorwaarden(self) -> Self:
        meld(self, voorwaarden_fouten(self, self.typeSchuldregeling))
        return self


class Heroverweging(v2._Heroverweging):
    """Heroverweging (afsprakenstelsel 2.0): the SHV asks the creditor to reconsider the niet-akkoord
    that the envelope's ``crossReferentienummer`` names (it refers to it without answering it). The
    creditor answers with betaalvoorstel_akkoord or betaalvoorstel_niet_akkoord, within 10 working
    days. The fields beside ``onderbouwing`` and the optional revised terms are our design choice."""

    herzienVoorstel: HerzienVoorstel | None = None
    """Revised BR/HF terms, if the SHV offers them (our design choice); without them the SHV asks the
    creditor to reconsider the same betaalvoorstel."""


# --- schuldregeling geaccordeerd: 100 % ------------------------------------------------------------------


class SchuldregelingGeaccordeerd(v2._Geaccordeerd):
    """Schuldregeling geaccordeerd (11.1) for a betalingsregeling or herfinanciering: every debt is
    paid in full (``afkooppercentage`` 100, ``prognoseEindbedrag`` equal to
    ``actueelVorderingsbedrag``); an HF has exactly one uitbetaalmoment (our design choice)."""

    typeSchuldregeling: TypeBetalingsregeling
    """BR betalingsregeling (100 % in termijnen) or HF herfinanciering (100 % ineens)."""

    @model_validator(mode="after")
    def _volledig(self) -> Self:
        fouten: list[InitErrorDetails] = []
        for i, vordering in enumerate(self.vorderingen):
            if vordering.afkooppercentage != 100:
                fouten.append(
                    veldfout(
                        ("vorderingen", i, "afkooppercentage"),
                        f"afkooppercentage moet 100 zijn, niet {vordering.afkooppercentage}: een "
                        "betalingsregeling of herfinanciering betaalt elke vordering voor 100 %",
                        vordering.afkooppercentage,
                    )
                )
            if vordering.prognoseEindbedrag != vordering.actueelVorderingsbedrag:
                fouten.append(
                    veldfout(
                        ("vorderingen", i, "prognoseEindbedrag"),
                        f"prognoseEindbedrag ({vordering.prognoseEindbedrag}) moet gelijk zijn aan "
                        f"actueelVorderingsbedrag ({vordering.actueelVorderingsbedrag}): elke vordering "
                        "wordt voor 100 % betaald",
                        vordering.prognoseEindbedrag,
                    )
                )
        if self.typeSchuldregeling == "HF" and len(self.uitbetaalmomenten) != 1:
            fouten.append(
                veldfout(
                    ("uitbetaalmomenten",),
                    f"een herfinanciering (HF) wordt ineens betaald: geef precies één uitbetaalmoment, "
                    f"niet {len(self.uitbetaalmomenten)}",
                    None,
                )
            )
        meld(self, fouten)
        return self


MODELLEN: dict[str, type[Payload]] = {
    **v2.MODELLEN,
    "saldoverzoek": Saldoverzoek,
    "saldoverzoek_nuts": SaldoverzoekNuts,
    "saldoverzoek_publiek": SaldoverzoekPubliek,
    "saldoverzoek_zorg": SaldoverzoekZorg,
    "betaalvoorstel": Betaalvoorstel,
    "heroverweging": Heroverweging,
    "schuldregeling_geaccordeerd": SchuldregelingGeaccordeerd,
}
"""The payload model of every participant-authored message type of module betalingsregeling: those
of schuldregeling 2.0, with the types above in place of theirs."""
