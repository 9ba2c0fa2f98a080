# ruff: noqa: N815  -- field names are the standard's lowerCamelCase wire names (DESIGN §3)
"""Payloads of module ``schuldregeling``, version 2.0 (the afsprakenstelsel 2.0 of the live
Schuldenknooppunt, DESIGN §3a).

What changes against version 1.0 (``payloads``); every other type reuses its 1.0 model:

- ``kennisgeving`` ("Kennisgeving") and ``kennisgeving_bsn`` ("Kennisgeving publiek") gain
  ``adreskeuze``: the address the creditor should write to (with ``postadres`` when that is the one).
- ``kennisgeving_antwoord`` gains ``antwoord`` and requires ``contactpersoonSE``.
- ``geen_medewerking`` replaces 1.0's ``klant_onbekend``, with a required reason from a fixed list.
- ``heroverweging`` (new): the SHV asks the creditor to reconsider its niet-akkoord.
- ``typeSchuldregeling`` gains ``SA`` (schuldregeling zonder afloscapaciteit).
- ``schuldregeling_geaccordeerd`` gains ``uitbetaalmomenten`` (in place of 1.0's ``betaalschema``)
  and per vordering ``vorderingstype``; it keeps ``klantnummerSHV``, which our 1.0 schema already had.
- Questions are answered within 10 working days instead of 5 (the catalogue holds the term).

Module ``betalingsregeling`` builds on these models with typeSchuldregeling BR or HF (DESIGN §3b).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

from pydantic import ConfigDict, Field, Strict, model_validator
from pydantic_core import InitErrorDetails

from knooppunt.protocol.modules.schuldregeling import payloads as v1
from knooppunt.protocol.modules.schuldregeling import voorbeelden as v1_voorbeelden
from knooppunt.protocol.payloads.velden import (
    GEHEEL,
    Adres,
    Bedrag,
    Contactpersoon,
    Datum,
    Factuurnummer,
    Klantnummer,
    Payload,
    Percentage,
    Tekst2000,
    Tekst10000,
    TypeMinnelijkeRegeling,
    TypeSchuldregeling,
    afwezig,
    als,
    dubbele,
    meld,
    niet_hoger_dan,
    niet_leeg,
    veldfout,
)

# --- kennisgeving, kennisgeving publiek (art. 3; 2.0: adreskeuze) ----------------------------------------

Adreskeuze = Literal["woonadres", "postadres", "adres_shv"]
"""Our design choice (the standard names the field, not its values): ``woonadres`` the client's
``adres``; ``postadres`` another postal address, given in ``postadres``; ``adres_shv`` all
correspondence about the client goes to the SHV (``contactpersoonSHV``), none to the client."""

ADRESKEUZE_SCHEMA: dict[str, Any] = als(
    "adreskeuze", "postadres", niet_leeg("postadres", "object"), anders=afwezig("postadres")
)
"""The JSON Schema form of ``adreskeuze_fouten``."""


def adreskeuze_fouten(adreskeuze: str, postadres: Adres | None) -> list[InitErrorDetails]:
    """``postadres`` is given exactly when ``adreskeuze`` is ``postadres`` (our design choice)."""
    if adreskeuze == "postadres" and postadres is None:
        return [veldfout(("postadres",), "postadres is verplicht bij adreskeuze 'postadres'", None)]
    if adreskeuze != "postadres" and postadres is not None:
        return [
            veldfout(
                ("postadres",),
                f"postadres hoort alleen bij adreskeuze 'postadres', niet bij {adreskeuze!r}; "
                "laat het weg of kies adreskeuze 'postadres'",
                postadres.model_dump(mode="json"),
            )
        ]
    return []


class Kennisgeving(v1.Kennisgeving):
    """Kennisgeving (3.1; afsprakenstelsel 2.0): the client has applied for schuldhulpverlening.
    Starts stabilisatie under the NVVK convenants (3.3); it is not a VISH melding (3.4). No BSN:
    this goes to creditors that do not identify clients by BSN. Version 2.0 adds ``adreskeuze``."""

    model_config = ConfigDict(json_schema_extra={"allOf": [ADRESKEUZE_SCHEMA]})

    adreskeuze: Adreskeuze
    """Which address the creditor should use for the client (afsprakenstelsel 2.0); its values are
    our design choice: woonadres, postadres (then ``postadres`` is required) or adres_shv."""
    postadres: Adres | None = None
    """Only with adreskeuze ``postadres``. Our design choice: a postbus is written as straatnaam
    "Postbus" with its number as huisnummer."""

    @model_validator(mode="after")
    def _adreskeuze(self) -> Self:
        meld(self, adreskeuze_fouten(self.adreskeuze, self.postadres))
        return self


class KennisgevingBsn(v1.KennisgevingBsn):
    """Kennisgeving publiek (3.2; afsprakenstelsel 2.0): as ``kennisgeving``, with the client's BSN,
    for creditors that identify clients by BSN. Version 2.0 adds ``adreskeuze``."""

    model_config = ConfigDict(json_schema_extra={"allOf": [ADRESKEUZE_SCHEMA]})

    adreskeuze: Adreskeuze
    """Which address the creditor should use for the client (afsprakenstelsel 2.0); its values are
    our design choice: woonadres, postadres (then ``postadres`` is required) or adres_shv."""
    postadres: Adres | None = None
    """Only with adreskeuze ``postadres``. Our design choice: a postbus is written as straatnaam
    "Postbus" with its number as huisnummer."""

    @model_validator(mode="after")
    def _adreskeuze(self) -> Self:
        meld(self, adreskeuze_fouten(self.adreskeuze, self.postadres))
        return self


AntwoordKennisgeving = Literal["openstaande_vorderingen", "geen_openstaande_vorderingen"]
"""Our design choice (the standard names the field, not its values): ``openstaande_vorderingen``
the creditor knows the client and has open debts (it names them); ``geen_openstaande_vorderingen``
it knows the client, who owes it nothing. A creditor that does not know the client, or will not
cooperate, answers ``geen_medewerking`` instead."""


class KennisgevingAntwoord(Payload):
    """Kennisgeving antwoord (4.1; afsprakenstelsel 2.0): the creditor's answer to a kennisgeving,
    with its contact person. No deadline (4.2). With ``antwoord`` openstaande_vorderingen at least
    one of ``klantnummerSE`` and ``factuurnummers`` is required (4.1); with
    geen_openstaande_vorderingen ``factuurnummers`` stays empty (our design choice)."""

    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                als(
                    "antwoord",
                    "openstaande_vorderingen",
                    {
                        "anyOf": [
                            niet_leeg("klantnummerSE", "string"),
                            {
                                "required": ["factuurnummers"],
                                "properties": {"factuurnummers": {"minItems": 1}},
                            },
                        ]
                    },
                ),
                als(
                    "antwoord",
                    "geen_openstaande_vorderingen",
                    {"properties": {"factuurnummers": {"maxItems": 0}}},
                ),
            ]
        }
    )

    klantnummerSHV: Klantnummer
    """Repeated from the kennisgeving."""
    klantnummerSE: Klantnummer | None = None
    """The creditor's own number for this client."""
    antwoord: AntwoordKennisgeving
    """Whether the client has open debts at this creditor (afsprakenstelsel 2.0; values our design
    choice)."""
    factuurnummers: list[Factuurnummer] = Field(default_factory=list, max_length=1000)
    """The creditor's invoice numbers of this client's open debts."""
    contactpersoonSE: Contactpersoon
    """Required from version 2.0 on."""
    toelichting: Tekst2000 | None = None
    """Our design choice: free text for the debt counsellor."""

    @model_validator(mode="after")
    def _samenhang(self) -> Self:
        fouten: list[InitErrorDetails] = []
        if (
            self.antwoord == "openstaande_vorderingen"
            and self.klantnummerSE is None
            and not self.factuurnummers
        ):
            fouten.append(
                veldfout(
                    ("klantnummerSE",),
                    "klantnummerSE of minstens één factuurnummer is verplicht bij antwoord "
                    "'openstaande_vorderingen' (4.1)",
                    None,
                )
            )
        if self.antwoord == "geen_openstaande_vorderingen" and self.factuurnummers:
            fouten.append(
                veldfout(
                    ("factuurnummers",),
                    "factuurnummers moet leeg zijn bij antwoord 'geen_openstaande_vorderingen'; "
                    "zijn er wel openstaande vorderingen, antwoord dan 'openstaande_vorderingen'",
                    self.factuurnummers,
                )
            )
        fouten += dubbele(self.factuurnummers, "factuurnummers")
        meld(self, fouten)
        return self


# --- saldoverzoek (art. 5; 2.0: SA, 10 working days) -------------------------------------------------


class Saldoverzoek(v1._SaldoverzoekBasis):
    """Saldoverzoek (5.1): asks the creditor for a current overview of the client's debts. To be
    answered within 10 working days (afsprakenstelsel 2.0)."""

    typeSchuldregeling: TypeMinnelijkeRegeling
    """SB schuldbemiddeling, SK saneringskrediet or SA schuldregeling zonder afloscapaciteit."""


class SaldoverzoekNuts(Saldoverzoek):
    """Saldoverzoek nuts (5.2), to utility creditors."""

    slimmeMeterAkkoord: Annotated[bool, Strict()]
    """The client agrees that the smart meter is read; the creditor may then not ask for the meter
    readings in another way later (5.3)."""


class SaldoverzoekPubliek(v1._SaldoverzoekPubliekBasis):
    """Saldoverzoek publiek (5.4), to public creditors, who identify the client by BSN. Otherwise
    as saldoverzoek: answered within 10 working days (afsprakenstelsel 2.0)."""

    typeSchuldregeling: TypeMinnelijkeRegeling
    """SB schuldbemiddeling, SK saneringskrediet or SA schuldregeling zonder afloscapaciteit."""


class SaldoverzoekZorg(Saldoverzoek):
    """Saldoverzoek zorg (5.5), to healthcare creditors."""


# --- geen medewerking (2.0, in place of klant onbekend) ---------------------------------------------------

GeenMedewerkingCode = Literal[
    "klant_onbekend",
    "recente_finale_kwijting",
    "recente_poging_tot_stabilisatie",
    "geen_samenwerking_met_shv",
]
"""The reasons of DESIGN §3a, as the catalogue lists them (``typen.GEEN_MEDEWERKING_REDENEN``)."""


class RedenGeenMedewerking(Payload):
    """Why the creditor does not cooperate (afsprakenstelsel 2.0): one of four codes, explained."""

    code: GeenMedewerkingCode
    """klant_onbekend: the creditor does not know the client from the data given;
    recente_finale_kwijting: the client recently had a final discharge (finale kwijting) of this
    creditor; recente_poging_tot_stabilisatie: a recent attempt at stabilisation for this client
    failed; geen_samenwerking_met_shv: the creditor does not work with this debt counsellor."""
    tekst: Tekst2000
    """The reason, explained for a person."""


class GeenMedewerking(Payload):
    """Geen medewerking (afsprakenstelsel 2.0, in place of 1.0's klant onbekend, 8.1): the creditor
    answers a kennisgeving or saldoverzoek that it does not cooperate, with a mandatory reason."""

    klantnummerSHV: Klantnummer
    """Repeated from the question."""
    klantnummerSE: Klantnummer | None = None
    """The creditor's number for this client, when it knows the client."""
    contactpersoonSE: Contactpersoon | None = None
    reden: RedenGeenMedewerking
    """Why the creditor does not cooperate; mandatory."""


# --- betaalvoorstel (art. 9; 2.0: SA) ------------------------------------------------------------------


class Betaalvoorstel(v1._Betaalvoorstel):
    """Betaalvoorstel (9.1): the proposal the SHV drew up from the creditors' balances, with its
    onderbouwing (9.2). Not sent to creditors that answered standaard akkoord (9.3). Totals must
    equal the sums over ``vorderingen``. To be answered within 10 working days (afsprakenstelsel
    2.0). With typeSchuldregeling SA (zonder afloscapaciteit) ``afloscapaciteitPerMaand`` is 0 (our
    design choice, from the type's name)."""

    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                als("typeSchuldregeling", "SA", {"properties": {"afloscapaciteitPerMaand": {"const": 0}}})
            ]
        }
    )

    typeSchuldregeling: TypeMinnelijkeRegeling
    """SB schuldbemiddeling, SK saneringskrediet or SA schuldregeling zonder afloscapaciteit."""

    @model_validator(mode="after")
    def _zonder_afloscapaciteit(self) -> Self:
        if self.typeSchuldregeling == "SA" and self.afloscapaciteitPerMaand != 0:
            meld(
                self,
                [
                    veldfout(
                        ("afloscapaciteitPerMaand",),
                        f"afloscapaciteitPerMaand moet 0 zijn bij typeSchuldregeling 'SA' (schuldregeling "
                        f"zonder afloscapaciteit), niet {self.afloscapaciteitPerMaand}; is er wel "
                        "afloscapaciteit, kies dan 'SB' of 'SK'",
                        self.afloscapaciteitPerMaand,
                    )
                ],
            )
        return self


# --- heroverweging (2.0) -------------------------------------------------------------------------------


class HerzieneVordering(Payload):
    """One of the recipient's debts in a revised offer (our design choice)."""

    factuurnummerSE: Factuurnummer | None = None
    bedrag: Bedrag
    """The debt as included in the proposal, in euro cents."""
    aangebodenBedrag: Bedrag
    """The amount now offered for this debt, in euro cents; at most ``bedrag``."""

    @model_validator(mode="after")
    def _niet_meer_dan_de_vordering(self) -> Self:
        niet_hoger_dan(self, "aangebodenBedrag", "bedrag")
        return self


class HerzienVoorstel(Payload):
    """A revised offer for the recipient's debts (our design choice): the new percentage and,
    when they changed, repayment capacity and term, with the amount now offered per debt."""

    aanbodPercentage: Percentage
    """The percentage now offered to concurrent creditors."""
    afloscapaciteitPerMaand: Bedrag | None = None
    """The client's monthly repayment capacity, in euro cents, when it changed."""
    looptijdMaanden: Annotated[int, Strict(), Field(ge=1, le=120), GEHEEL] | None = None
    """The term in months, when it changed."""
    vorderingen: list[HerzieneVordering] = Field(min_length=1, max_length=1000)


class _Heroverweging(Payload):
    """The heroverweging's fields without the revised offer, which differs per module."""

    klantnummerSHV: Klantnummer
    klantnummerSE: Klantnummer | None = None
    """The creditor's number for this client, from its answers."""
    contactpersoonSHV: Contactpersoon | None = None
    onderbouwing: Tekst10000
    """Why the creditor should reconsider (e.g. new facts about the client's income); mandatory.
    Attachments are not possible (9.2)."""


class Heroverweging(_Heroverweging):
    """Heroverweging (afsprakenstelsel 2.0): the SHV asks the creditor to reconsider the niet-akkoord
    that the envelope's ``crossReferentienummer`` names (it refers to it without answering it). The
    creditor answers with betaalvoorstel_akkoord or betaalvoorstel_niet_akkoord, within 10 working
    days. The fields beside ``onderbouwing`` and the optional revised offer are our design choice."""

    herzienVoorstel: HerzienVoorstel | None = None
    """A revised offer, if the SHV makes one (our design choice); without it the SHV asks the
    creditor to reconsider the same betaalvoorstel."""


# --- schuldregeling geaccordeerd (art. 11; 2.0: uitbetaalmomenten, vorderingstype) --------------------

Vorderingstype = Literal["preferent", "concurrent"]
"""Our design choice for the values of the standard's ``vorderingstype``: the rank of the debt in
the regeling, as ``preferent`` in the betaalvoorstel."""


class GeaccordeerdeVordering(v1.GeaccordeerdeVordering):
    """A debt in the agreed schuldregeling and what the creditor will receive for it; version 2.0
    adds ``vorderingstype``."""

    vorderingstype: Vorderingstype
    """preferent or concurrent (values our design choice)."""


class Uitbetaalmoment(v1.Termijn):
    """One planned payout to the creditor (afsprakenstelsel 2.0 "uitbetaalmomenten"; the shape, a
    date and an amount, is our design choice)."""


def uitbetaalmomenten_fouten(
    momenten: list[Uitbetaalmoment], vorderingen: list[GeaccordeerdeVordering]
) -> list[InitErrorDetails]:
    """The payouts are in date order without duplicate dates and add up to the sum of
    ``prognoseEindbedrag`` (our design choice, as 1.0's betaalschema)."""
    fouten: list[InitErrorDetails] = []
    for i in range(1, len(momenten)):
        if momenten[i].datum <= momenten[i - 1].datum:
            fouten.append(
                veldfout(
                    ("uitbetaalmomenten", i, "datum"),
                    "de uitbetaalmomenten moeten op datum oplopen, zonder dubbele datums",
                    momenten[i].datum.isoformat(),
                )
            )
    totaal = sum(m.bedrag for m in momenten)
    prognose = sum(v.prognoseEindbedrag for v in vorderingen)
    if totaal != prognose:
        fouten.append(
            veldfout(
                ("uitbetaalmomenten",),
                f"de uitbetaalmomenten ({totaal}) moeten samen gelijk zijn aan de som van "
                f"prognoseEindbedrag van de vorderingen ({prognose}); bedragen in eurocenten",
                None,
            )
        )
    return fouten


class _Geaccordeerd(v1._VervolgSHV):
    """The fields and rules of schuldregeling geaccordeerd from version 2.0 on; each module narrows
    ``typeSchuldregeling`` (shared with module betalingsregeling)."""

    klantnummerSE: Klantnummer
    datumAkkoord: Datum
    typeSchuldregeling: TypeSchuldregeling
    vorderingen: list[GeaccordeerdeVordering] = Field(min_length=1, max_length=1000)
    uitbetaalmomenten: list[Uitbetaalmoment] = Field(max_length=1000)
    """The planned payouts to this creditor in date order, together the sum of
    ``prognoseEindbedrag``; empty only when that sum is 0."""

    @model_validator(mode="after")
    def _uitbetaling(self) -> Self:
        fouten = uitbetaalmomenten_fouten(self.uitbetaalmomenten, self.vorderingen)
        fouten += dubbele([v.betaalreferentie for v in self.vorderingen], "vorderingen")
        meld(self, fouten)
        return self


class SchuldregelingGeaccordeerd(_Geaccordeerd):
    """Schuldregeling geaccordeerd (11.1; afsprakenstelsel 2.0), with the payment information for
    this creditor (11.2): per debt its ``vorderingstype``, and the ``uitbetaalmomenten``."""

    typeSchuldregeling: TypeMinnelijkeRegeling
    """SB schuldbemiddeling, SK saneringskrediet or SA schuldregeling zonder afloscapaciteit."""


# --- statusverzoek, reminder (art. 14, 15) ---------------------------------------------------------------


class Statusverzoek(v1.Statusverzoek):
    """Statusverzoek (14.1): the creditor asks the current status of the traject; answered by a
    statusbericht within 10 working days (14.2; afsprakenstelsel 2.0)."""


class Reminder(v1.Reminder):
    """Reminderbericht (15.1): reminds the creditor to answer the saldoverzoek, betaalvoorstel or
    heroverweging the envelope's ``crossReferentienummer`` names."""


MODELLEN: dict[str, type[Payload]] = {
    "kennisgeving": Kennisgeving,
    "kennisgeving_bsn": KennisgevingBsn,
    "kennisgeving_antwoord": KennisgevingAntwoord,
    "saldoverzoek": Saldoverzoek,
    "saldoverzoek_nuts": SaldoverzoekNuts,
    "saldoverzoek_publiek": SaldoverzoekPubliek,
    "saldoverzoek_zorg": SaldoverzoekZorg,
    "saldoverzoek_antwoord": v1.SaldoverzoekAntwoord,
    "saldoverzoek_antwoord_standaard_akkoord": v1.SaldoverzoekAntwoordStandaardAkkoord,
    "geen_medewerking": GeenMedewerking,
    "betaalvoorstel": Betaalvoorstel,
    "betaalvoorstel_akkoord": v1.BetaalvoorstelAkkoord,
    "betaalvoorstel_niet_akkoord": v1.BetaalvoorstelNietAkkoord,
    "heroverweging": Heroverweging,
    "schuldregeling_geaccordeerd": SchuldregelingGeaccordeerd,
    "schuldregeling_beeindigd": v1.SchuldregelingBeeindigd,
    "statusbericht": v1.Statusbericht,
    "statusverzoek": Statusverzoek,
    "reminder": Reminder,
}
"""The payload model of every participant-authored message type of module schuldregeling, 2.0."""


# --- examples ---------------------------------------------------------------------------------------------


def _v1(code: str) -> dict[str, Any]:
    return v1_voorbeelden.voorbeeld("schuldregeling", code, "1.0")


def _geaccordeerd() -> dict[str, Any]:
    data = _v1("schuldregeling_geaccordeerd")
    data["uitbetaalmomenten"] = data.pop("betaalschema")
    for vordering in data["vorderingen"]:
        vordering["vorderingstype"] = "concurrent"
    return data


_CONTACT_SE = _v1("kennisgeving_antwoord")["contactpersoonSE"]

VOORBEELDEN: dict[str, dict[str, Any]] = {
    "kennisgeving": {**_v1("kennisgeving"), "adreskeuze": "woonadres"},
    "kennisgeving_bsn": {
        **_v1("kennisgeving_bsn"),
        "adreskeuze": "postadres",
        "postadres": {
            "straatnaam": "Postbus",
            "huisnummer": 1234,
            "postcode": "3500 GA",
            "woonplaats": "Utrecht",
        },
    },
    "kennisgeving_antwoord": {
        "klantnummerSHV": "SHV-2024-0042",
        "klantnummerSE": "EN-778812",
        "antwoord": "openstaande_vorderingen",
        "factuurnummers": ["F-2023-55101", "F-2022-31877"],
        "contactpersoonSE": _CONTACT_SE,
    },
    "saldoverzoek": _v1("saldoverzoek"),
    "saldoverzoek_nuts": _v1("saldoverzoek_nuts"),
    "saldoverzoek_publiek": _v1("saldoverzoek_publiek"),
    "saldoverzoek_zorg": {**_v1("saldoverzoek_zorg"), "typeSchuldregeling": "SA"},
    "saldoverzoek_antwoord": _v1("saldoverzoek_antwoord"),
    "saldoverzoek_antwoord_standaard_akkoord": _v1("saldoverzoek_antwoord_standaard_akkoord"),
    "geen_medewerking": {
        "klantnummerSHV": "SHV-2024-0042",
        "klantnummerSE": "EN-778812",
        "contactpersoonSE": _CONTACT_SE,
        "reden": {
            "code": "recente_finale_kwijting",
            "tekst": "De klant kreeg in 2023 finale kwijting na een eerdere schuldregeling.",
        },
    },
    "betaalvoorstel": _v1("betaalvoorstel"),
    "betaalvoorstel_akkoord": _v1("betaalvoorstel_akkoord"),
    "betaalvoorstel_niet_akkoord": _v1("betaalvoorstel_niet_akkoord"),
    "heroverweging": {
        "klantnummerSHV": "SHV-2024-0042",
        "klantnummerSE": "EN-778812",
        "contactpersoonSHV": _v1("kennisgeving")["contactpersoonSHV"],
        "onderbouwing": (
            "De partner heeft sinds 1 april 2024 geen inkomen meer (ontslag, zie UWV-beschikking); de "
            "afloscapaciteit blijft 150,00 euro per maand. Wij vragen u het voorstel te heroverwegen."
        ),
        "herzienVoorstel": {
            "aanbodPercentage": 32.5,
            "vorderingen": [{"factuurnummerSE": "F-2023-55101", "bedrag": 125000, "aangebodenBedrag": 40625}],
        },
    },
    "schuldregeling_geaccordeerd": _geaccordeerd(),
    "schuldregeling_beeindigd": _v1("schuldregeling_beeindigd"),
    "statusbericht": _v1("statusbericht"),
    "statusverzoek": _v1("statusverzoek"),
    "reminder": _v1("reminder"),
}
"""One valid payload per message type of schuldregeling 2.0 (the story of the 1.0 examples)."""
