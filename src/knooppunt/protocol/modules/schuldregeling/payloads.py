# ruff: noqa: N815  -- field names are the standard's lowerCamelCase wire names (DESIGN §3)
"""Payloads of module ``schuldregeling``, version 1.0 (Procesafspraken articles 3–15, DESIGN §3).

Field names are those of the live Schuldenknooppunt standard where DESIGN §3 lists them. Everything
the public handbook does not specify is our own design and says so in its docstring ("Our design
choice"); the docstrings end up as descriptions in the published JSON Schemas.

Who writes what:

- SHV → SE questions and notices carry the client block (``klantnummerSHV``, ``klant``, ``adres``,
  ``contactpersoonSHV``, ...). Later SHV messages (betaalvoorstel, akkoord, beëindigd, status) carry
  the shorter ``klantnummerSHV``/``klantnummerSE``/``klant``/``contactpersoonSHV``.
- SE → SHV answers repeat ``klantnummerSHV`` (our design choice: the SHV's back office files the
  answer without a lookup), add ``klantnummerSE`` and the SE's contact person.
- The hub-authored ``foutbericht`` and ``ontvangstbevestiging`` carry a plain ``melding`` and have
  no payload model.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar, Literal, Self

from pydantic import AfterValidator, ConfigDict, Field, Strict, model_validator
from pydantic_core import InitErrorDetails

from knooppunt.protocol.payloads.velden import (
    GEHEEL,
    Aantal,
    Adres,
    Bedrag,
    Betaalgegevens,
    Code35,
    Contactpersoon,
    Datum,
    Factuurnummer,
    Klantnummer,
    PartnerMetBsn,
    Payload,
    Percentage,
    Persoon,
    PersoonMetBsn,
    Reden,
    Tekst200,
    Tekst2000,
    Tekst10000,
    TypeSchuldregeling,
    TypeSchuldregeling10,
    afwezig,
    als,
    controleer_opbouw,
    dubbele,
    meld,
    niet_hoger_dan,
    niet_leeg,
    vandaag,
    veldfout,
)


def _niet_in_de_toekomst(waarde: date) -> date:
    if waarde > vandaag():
        raise ValueError(f"datum {waarde.isoformat()} ligt in de toekomst")
    return waarde


VerledenDatum = Annotated[Datum, AfterValidator(_niet_in_de_toekomst)]


# --- kennisgeving (art. 3, 4) ---------------------------------------------------------------------------


class _Klantnummers(Payload):
    klantnummerSHV: Klantnummer
    """The SHV's number for this client."""
    klantnummerSEVolgensSHV: Klantnummer | None = None
    """The creditor's number for this client, as far as the SHV knows it."""


class Kennisgeving(_Klantnummers):
    """Klant gemeld voor SHV (3.1): the client has applied for schuldhulpverlening. Starts
    stabilisatie under the NVVK convenants (3.3); it is not a VISH melding (3.4). No BSN: this goes
    to creditors that do not identify clients by BSN."""

    klant: Persoon
    partner: Persoon | None = None
    adres: Adres
    contactpersoonSHV: Contactpersoon


class KennisgevingBsn(_Klantnummers):
    """Klant (BSN) gemeld voor SHV (3.2): as ``kennisgeving``, with the client's BSN, for creditors
    that identify clients by BSN."""

    klant: PersoonMetBsn
    partner: PartnerMetBsn | None = None
    adres: Adres
    contactpersoonSHV: Contactpersoon


class KennisgevingAntwoord(Payload):
    """Klant gemeld voor SHV antwoord (4.1): the creditor's client number and/or invoice numbers. No
    deadline (4.2). Our design choice: at least one of ``klantnummerSE`` and ``factuurnummers``,
    since an answer with neither says nothing the ontvangstbevestiging did not."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                niet_leeg("klantnummerSE", "string"),
                {"required": ["factuurnummers"], "properties": {"factuurnummers": {"minItems": 1}}},
            ]
        }
    )

    klantnummerSHV: Klantnummer
    """Repeated from the kennisgeving."""
    klantnummerSE: Klantnummer | None = None
    """The creditor's own number for this client."""
    factuurnummers: list[Factuurnummer] = Field(default_factory=list, max_length=1000)
    """The creditor's invoice numbers of this client's debts."""
    contactpersoonSE: Contactpersoon | None = None

    @model_validator(mode="after")
    def _iets_te_melden(self) -> Self:
        fouten: list[InitErrorDetails] = []
        if self.klantnummerSE is None and not self.factuurnummers:
            fouten.append(
                veldfout(
                    ("klantnummerSE",), "klantnummerSE of minstens één factuurnummer is verplicht (4.1)", None
                )
            )
        fouten += dubbele(self.factuurnummers, "factuurnummers")
        meld(self, fouten)
        return self


# --- saldoverzoek (art. 5) ------------------------------------------------------------------------------


class GevraagdeVordering(Payload):
    """A debt the SHV knows of and asks the balance of."""

    factuurnummerSEVolgensSHV: Factuurnummer
    """The creditor's invoice number, as far as the SHV knows it."""


class _SaldoverzoekBasis(Kennisgeving):
    """The saldoverzoek's fields; each module and version narrows ``typeSchuldregeling`` to its own
    values (shared with version 2.0 and module betalingsregeling)."""

    typeSchuldregeling: TypeSchuldregeling
    vorderingen: list[GevraagdeVordering] = Field(default_factory=list, max_length=1000)
    """The debts the SHV knows of (may be empty: the creditor reports all it has)."""


class Saldoverzoek(_SaldoverzoekBasis):
    """Saldoverzoek (5.1): asks the creditor for a current overview of the client's debts. To be
    answered within 5 working days (2.1)."""

    typeSchuldregeling: TypeSchuldregeling10
    """SB schuldbemiddeling or SK saneringskrediet (SA exists from version 2.0 on)."""


class SaldoverzoekNuts(Saldoverzoek):
    """Saldoverzoek nuts (5.2), to utility creditors."""

    slimmeMeterAkkoord: Annotated[bool, Strict()]
    """The client agrees that the smart meter is read; the creditor may then not ask for the meter
    readings in another way later (5.3)."""


class _SaldoverzoekPubliekBasis(KennisgevingBsn):
    """The fields of saldoverzoek publiek; each module and version narrows ``typeSchuldregeling``."""

    typeSchuldregeling: TypeSchuldregeling
    vorderingen: list[GevraagdeVordering] = Field(default_factory=list, max_length=1000)
    """The debts the SHV knows of (may be empty: the creditor reports all it has)."""


class SaldoverzoekPubliek(_SaldoverzoekPubliekBasis):
    """Saldoverzoek publiek (5.4), to public creditors, who identify the client by BSN. Otherwise
    as saldoverzoek."""

    typeSchuldregeling: TypeSchuldregeling10
    """SB schuldbemiddeling or SK saneringskrediet (SA exists from version 2.0 on)."""


class SaldoverzoekZorg(Saldoverzoek):
    """Saldoverzoek zorg (5.5), to healthcare creditors."""


# --- saldoverzoek antwoord (art. 6, 7) --------------------------------------------------------------------


class Vordering(Payload):
    """One debt as the creditor reports it (6.2, "per afzonderlijke vordering")."""

    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [als("schuldtype", "overgedragen", None, anders=afwezig("overgedragenAan"))]
        }
    )

    factuurnummerSE: Factuurnummer
    factuurnummerSEVolgensSHV: Factuurnummer | None = None
    """Our design choice: the number from the saldoverzoek this line answers, if any."""
    schuldtype: Literal["openstaand", "overgedragen", "onbekend"]
    """openstaand: still with this creditor; overgedragen: transferred (e.g. to a collection agency
    or a buyer of debts); onbekend."""
    overgedragenAan: Tekst200 | None = None
    """Our design choice: to whom the debt was transferred; only with schuldtype overgedragen."""
    ontstaansdatum: VerledenDatum | None = None
    oorspronkelijkBedrag: Bedrag | None = None
    """The original amount, in euro cents."""
    hoofdsom: Bedrag | None = None
    rente: Bedrag | None = None
    kosten: Bedrag | None = None
    incassokosten: Bedrag | None = None
    actueelBedrag: Bedrag
    """The current balance in euro cents: hoofdsom + rente + kosten + incassokosten when all four
    are given."""
    omschrijving: Tekst2000 | None = None

    def _onderdelen(self) -> dict[str, int | None]:
        return {
            "hoofdsom": self.hoofdsom,
            "rente": self.rente,
            "kosten": self.kosten,
            "incassokosten": self.incassokosten,
        }

    @model_validator(mode="after")
    def _samenhang(self) -> Self:
        fouten = controleer_opbouw(self.actueelBedrag, self._onderdelen())
        if self.overgedragenAan is not None and self.schuldtype != "overgedragen":
            fouten.append(
                veldfout(
                    ("overgedragenAan",),
                    "overgedragenAan mag alleen bij schuldtype 'overgedragen'",
                    self.overgedragenAan,
                )
            )
        meld(self, fouten)
        return self


class Totaalvordering(Payload):
    """All of the client's debts at this creditor as one total (6.2), with the standaard akkoord
    flag (6.3)."""

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
    standaardAkkoord: Annotated[bool, Strict()]
    """The creditor agrees in advance to the betaalvoorstel (6.3, 7.2). True exactly in
    ``saldoverzoek_antwoord_standaard_akkoord``."""
    omschrijving: Tekst2000 | None = None

    def _onderdelen(self) -> dict[str, int | None]:
        return {
            "hoofdsom": self.hoofdsom,
            "rente": self.rente,
            "kosten": self.kosten,
            "incassokosten": self.incassokosten,
        }

    @model_validator(mode="after")
    def _samenhang(self) -> Self:
        meld(self, controleer_opbouw(self.actueelBedrag, self._onderdelen()))
        return self


class SaldoverzoekAntwoord(Payload):
    """Saldoverzoek antwoord (6.1): the client's debts, per debt (``vorderingen``) or as one
    ``totaalvordering`` (6.2) — exactly one of the two. An empty ``vorderingen`` list means the
    client owes nothing (our design choice)."""

    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [niet_leeg("vorderingen", "array"), niet_leeg("totaalvordering", "object")]
        }
    )

    STANDAARD_AKKOORD: ClassVar[bool] = False

    klantnummerSHV: Klantnummer
    """Repeated from the saldoverzoek."""
    klantnummerSE: Klantnummer
    """The creditor's own number for this client."""
    contactpersoonSE: Contactpersoon
    peildatum: VerledenDatum
    """Our design choice: the date the balances are as of."""
    vorderingen: list[Vordering] | None = Field(default=None, max_length=1000)
    totaalvordering: Totaalvordering | None = None
    betaalgegevens: Betaalgegevens | None = None
    """Where the creditor wants to be paid."""

    @model_validator(mode="after")
    def _vorm(self) -> Self:
        fouten: list[InitErrorDetails] = []
        if (self.vorderingen is None) == (self.totaalvordering is None):
            fouten.append(
                veldfout(
                    ("vorderingen",),
                    "geef óf vorderingen (per vordering) óf een totaalvordering, niet beide en niet "
                    "geen van beide (6.2)",
                    None,
                )
            )
        if self.vorderingen:
            fouten += dubbele([v.factuurnummerSE for v in self.vorderingen], "vorderingen")
        if (
            self.totaalvordering is not None
            and self.totaalvordering.standaardAkkoord != self.STANDAARD_AKKOORD
        ):
            fouten.append(
                veldfout(
                    ("totaalvordering", "standaardAkkoord"),
                    "standaardAkkoord moet true zijn in saldoverzoek_antwoord_standaard_akkoord (7.1) "
                    "en false in saldoverzoek_antwoord (7.3)",
                    self.totaalvordering.standaardAkkoord,
                )
            )
        meld(self, fouten)
        return self


class SaldoverzoekAntwoordStandaardAkkoord(SaldoverzoekAntwoord):
    """Saldoverzoek antwoord – standaard akkoord (7.1): the same schema as saldoverzoek_antwoord
    ("op dezelfde wijze"); the creditor agrees in advance to the betaalvoorstel (7.2), so a
    ``totaalvordering`` has ``standaardAkkoord`` true."""

    STANDAARD_AKKOORD: ClassVar[bool] = True


# --- klant onbekend (art. 8) ------------------------------------------------------------------------------


class KlantOnbekend(Payload):
    """Klant onbekend (8.1): the creditor does not know the client from the data given."""

    klantnummerSHV: Klantnummer
    """Repeated from the question."""
    reden: Reden | None = None
    """Optional reason (the 2.0 "geen medewerking" codes of the live standard)."""


# --- betaalvoorstel (art. 9, 10) ---------------------------------------------------------------------------


class _VervolgSHV(Payload):
    """The client block of the SHV's later messages: the creditor already knows the client."""

    klantnummerSHV: Klantnummer
    klantnummerSE: Klantnummer | None = None
    """The creditor's number for this client, from its answers."""
    klant: Persoon
    contactpersoonSHV: Contactpersoon


class VoorgesteldeVordering(Payload):
    """One debt in the betaalvoorstel. Our design choice: the proposal lists every debt of the
    regeling (9.2: the onderbouwing is in the message, there are no attachments), with the
    recipient's own debts marked ``eigenVordering``, so the creditor can check equal treatment."""

    eigenVordering: Annotated[bool, Strict()]
    """True for the recipient's own debts."""
    schuldeiser: Tekst200 | None = None
    """Name of the creditor (may be left out for other creditors' debts)."""
    factuurnummerSE: Factuurnummer | None = None
    preferent: Annotated[bool, Strict()]
    """Preferent (e.g. a tax debt) or concurrent."""
    bedrag: Bedrag
    """The debt as included in the proposal, in euro cents."""
    aangebodenBedrag: Bedrag
    """The amount offered for this debt, in euro cents; at most ``bedrag``."""

    @model_validator(mode="after")
    def _niet_meer_dan_de_vordering(self) -> Self:
        niet_hoger_dan(self, "aangebodenBedrag", "bedrag")
        return self


TOTAALVELDEN = ("aantalPreferent", "bedragPreferent", "aantalConcurrent", "bedragConcurrent")


def totalen(voorstel: Payload) -> dict[str, int]:
    """The four totals of a betaalvoorstel (of any module or version), by field name."""
    return {veld: getattr(voorstel, veld) for veld in TOTAALVELDEN}


def totalen_fouten(
    vorderingen: list[VoorgesteldeVordering], gegeven: dict[str, int]
) -> list[InitErrorDetails]:
    """The betaalvoorstel's counts and sums (``aantalPreferent``, ``bedragPreferent``,
    ``aantalConcurrent``, ``bedragConcurrent``) equal those of ``vorderingen``, and at least one
    debt is the recipient's own (our design choice)."""
    preferent = [v for v in vorderingen if v.preferent]
    concurrent = [v for v in vorderingen if not v.preferent]
    fouten: list[InitErrorDetails] = []
    for veld, verwacht in (
        ("aantalPreferent", len(preferent)),
        ("bedragPreferent", sum(v.bedrag for v in preferent)),
        ("aantalConcurrent", len(concurrent)),
        ("bedragConcurrent", sum(v.bedrag for v in concurrent)),
    ):
        waarde = gegeven[veld]
        if waarde != verwacht:
            soort = "preferente" if "Preferent" in veld else "concurrente"
            wat = "het aantal" if veld.startswith("aantal") else "de som van de bedragen van de"
            fouten.append(
                veldfout(
                    (veld,),
                    f"{veld} ({waarde}) moet gelijk zijn aan {wat} {soort} vorderingen ({verwacht})",
                    waarde,
                )
            )
    if not any(v.eigenVordering for v in vorderingen):
        fouten.append(
            veldfout(
                ("vorderingen",),
                "minstens één vordering moet eigenVordering zijn: het voorstel gaat over de "
                "vorderingen van de ontvanger",
                None,
            )
        )
    return fouten


class _Betaalvoorstel(_VervolgSHV):
    """The betaalvoorstel's fields and rules; each version narrows ``typeSchuldregeling``."""

    typeSchuldregeling: TypeSchuldregeling
    aantalPreferent: Aantal
    """Number of preferent debts in ``vorderingen``."""
    bedragPreferent: Bedrag
    """Sum of the preferent debts, in euro cents."""
    aantalConcurrent: Aantal
    """Number of concurrent debts in ``vorderingen``."""
    bedragConcurrent: Bedrag
    """Sum of the concurrent debts, in euro cents."""
    afloscapaciteitPerMaand: Bedrag
    """The client's monthly repayment capacity, in euro cents."""
    looptijdMaanden: Annotated[int, Strict(), Field(ge=1, le=120), GEHEEL]
    aanbodPercentage: Percentage
    """The percentage offered to concurrent creditors."""
    vorderingen: list[VoorgesteldeVordering] = Field(min_length=1, max_length=10000)
    onderbouwing: Tekst10000
    """The grounds of the proposal (9.2); attachments are not possible."""

    @model_validator(mode="after")
    def _totalen(self) -> Self:
        meld(self, totalen_fouten(self.vorderingen, totalen(self)))
        return self


class Betaalvoorstel(_Betaalvoorstel):
    """Betaalvoorstel (9.1): the proposal the SHV drew up from the creditors' balances, with its
    onderbouwing (9.2). Not sent to creditors that answered standaard akkoord (9.3). Totals must
    equal the sums over ``vorderingen``."""

    typeSchuldregeling: TypeSchuldregeling10
    """SB schuldbemiddeling or SK saneringskrediet (SA exists from version 2.0 on)."""


class _AntwoordSE(Payload):
    klantnummerSHV: Klantnummer
    """Repeated from the question."""
    klantnummerSE: Klantnummer | None = None
    contactpersoonSE: Contactpersoon | None = None


class BetaalvoorstelAkkoord(_AntwoordSE):
    """Betaalvoorstel antwoord, akkoord (10.1)."""

    betaalgegevens: Betaalgegevens | None = None
    """Where the creditor wants to be paid, if not given before or changed."""
    toelichting: Tekst2000 | None = None


class BetaalvoorstelNietAkkoord(_AntwoordSE):
    """Betaalvoorstel antwoord, niet akkoord (10.1): with a mandatory reason (10.2)."""

    reden: Reden
    """Why the creditor does not agree (10.2); mandatory."""


# --- schuldregeling geaccordeerd, beëindigd (art. 11, 12) -----------------------------------------------


class GeaccordeerdeVordering(Payload):
    """A debt in the agreed schuldregeling and what the creditor will receive for it."""

    factuurnummerSE: Factuurnummer | None = None
    """Left out when the creditor answered with a totaalvordering (our design choice)."""
    afkooppercentage: Percentage
    prognoseEindbedrag: Bedrag
    """The amount the creditor is expected to receive in total, in euro cents."""
    actueelVorderingsbedrag: Bedrag
    """The debt as included in the regeling, in euro cents."""
    betaalreferentie: Code35
    """The reference the SHV will put on payments for this debt."""

    @model_validator(mode="after")
    def _niet_meer_dan_de_vordering(self) -> Self:
        niet_hoger_dan(self, "prognoseEindbedrag", "actueelVorderingsbedrag")
        return self


class Termijn(Payload):
    """One (planned) payment to the creditor."""

    datum: Datum
    bedrag: Annotated[int, Strict(), Field(gt=0), GEHEEL]
    """In euro cents; more than 0."""


class SchuldregelingGeaccordeerd(_VervolgSHV):
    """Schuldregeling geaccordeerd (11.1), with the payment information for this creditor (11.2).
    Our design choice for the payment schedule: ``betaalschema`` lists the planned payments in date
    order, and together they add up to the sum of ``prognoseEindbedrag``. ``klantnummerSHV`` is
    optional here: DESIGN §3a has version 2.0 gain it (required there)."""

    klantnummerSHV: Klantnummer | None = None  # type: ignore[assignment]
    klantnummerSE: Klantnummer
    datumAkkoord: Datum
    typeSchuldregeling: TypeSchuldregeling10
    vorderingen: list[GeaccordeerdeVordering] = Field(min_length=1, max_length=1000)
    betaalschema: list[Termijn] = Field(min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _schema(self) -> Self:
        fouten: list[InitErrorDetails] = []
        for i in range(1, len(self.betaalschema)):
            if self.betaalschema[i].datum <= self.betaalschema[i - 1].datum:
                fouten.append(
                    veldfout(
                        ("betaalschema", i, "datum"),
                        "de termijnen van betaalschema moeten op datum oplopen, zonder dubbele datums",
                        self.betaalschema[i].datum.isoformat(),
                    )
                )
        totaal = sum(t.bedrag for t in self.betaalschema)
        prognose = sum(v.prognoseEindbedrag for v in self.vorderingen)
        if totaal != prognose:
            fouten.append(
                veldfout(
                    ("betaalschema",),
                    f"de termijnen van betaalschema ({totaal}) moeten samen gelijk zijn aan de som van "
                    f"prognoseEindbedrag van de vorderingen ({prognose})",
                    None,
                )
            )
        fouten += dubbele([v.betaalreferentie for v in self.vorderingen], "vorderingen")
        meld(self, fouten)
        return self


class SchuldregelingBeeindigd(_VervolgSHV):
    """Schuldregeling beëindigd (12.1): the traject ended early, with a mandatory reason (12.2)."""

    reden: Reden
    """Why the traject ended (12.2); mandatory."""
    datumBeeindiging: VerledenDatum
    """Our design choice: the date the traject ended."""


# --- statusbericht, statusverzoek, reminder (art. 13–15) --------------------------------------------------

Status = Literal[
    "lopend",
    "dwangakkoord_aangevraagd",
    "moratorium_aangevraagd",
    "uitstel",
    "opschorting",
    "wsnp_aangevraagd",
    "afgerond",
    "overig",
]
MELDPLICHTIGE_STATUSSEN: tuple[str, ...] = ("dwangakkoord_aangevraagd", "uitstel", "opschorting")
"""The events of 13.2: a statusbericht is always sent, within 5 working days of the event (13.3)."""


class Statusbericht(_VervolgSHV):
    """Statusbericht (13.1), also the answer to a statusverzoek (14.2); never answered (13.4).
    ``datumGebeurtenis`` is mandatory for the events of 13.2 (dwangakkoord aangevraagd, uitstel,
    opschorting): the 5 working days of 13.3 count from it. Statuses beyond those of 13.2 and
    ``lopend`` are our design choice; ``overig`` needs a ``toelichting``."""

    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                als("status", MELDPLICHTIGE_STATUSSEN, niet_leeg("datumGebeurtenis", "string")),
                als("status", "overig", niet_leeg("toelichting", "string")),
            ]
        }
    )

    status: Status
    toelichting: Tekst2000 | None = None
    datumGebeurtenis: VerledenDatum | None = None
    """The date the reported event happened (13.3)."""

    @model_validator(mode="after")
    def _verplichtingen(self) -> Self:
        fouten: list[InitErrorDetails] = []
        if self.status in MELDPLICHTIGE_STATUSSEN and self.datumGebeurtenis is None:
            fouten.append(
                veldfout(
                    ("datumGebeurtenis",),
                    f"datumGebeurtenis is verplicht bij status {self.status!r} (13.2, 13.3)",
                    None,
                )
            )
        if self.status == "overig" and self.toelichting is None:
            fouten.append(veldfout(("toelichting",), "toelichting is verplicht bij status 'overig'", None))
        meld(self, fouten)
        return self


class Statusverzoek(_AntwoordSE):
    """Statusverzoek (14.1): the creditor asks the current status of the traject; answered by a
    statusbericht within 5 working days (14.2, 2.1)."""

    toelichting: Tekst2000 | None = None


class Reminder(Payload):
    """Reminderbericht (15.1): reminds the creditor to answer the saldoverzoek or betaalvoorstel
    the envelope's ``crossReferentienummer`` names."""

    klantnummerSHV: Klantnummer
    klantnummerSE: Klantnummer | None = None
    toelichting: Tekst2000 | None = None


MODELLEN: dict[str, type[Payload]] = {
    "kennisgeving": Kennisgeving,
    "kennisgeving_bsn": KennisgevingBsn,
    "kennisgeving_antwoord": KennisgevingAntwoord,
    "saldoverzoek": Saldoverzoek,
    "saldoverzoek_nuts": SaldoverzoekNuts,
    "saldoverzoek_publiek": SaldoverzoekPubliek,
    "saldoverzoek_zorg": SaldoverzoekZorg,
    "saldoverzoek_antwoord": SaldoverzoekAntwoord,
    "saldoverzoek_antwoord_standaard_akkoord": SaldoverzoekAntwoordStandaardAkkoord,
    "klant_onbekend": KlantOnbekend,
    "betaalvoorstel": Betaalvoorstel,
    "betaalvoorstel_akkoord": BetaalvoorstelAkkoord,
    "betaalvoorstel_niet_akkoord": BetaalvoorstelNietAkkoord,
    "schuldregeling_geaccordeerd": SchuldregelingGeaccordeerd,
    "schuldregeling_beeindigd": SchuldregelingBeeindigd,
    "statusbericht": Statusbericht,
    "statusverzoek": Statusverzoek,
    "reminder": Reminder,
}
"""The payload model of every participant-authored message type of module schuldregeling, 1.0."""
