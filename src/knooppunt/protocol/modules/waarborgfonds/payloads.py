# ruff: noqa: N815  -- field names are the standard's lowerCamelCase wire names (DESIGN §3)
"""Payloads of module ``waarborgfonds``, version 2.0 (DESIGN §3b, the ``waarborgfonds`` table).

Sourced from SBN's public documentation (github.com/sbnnl/documentatie): the field lists of its
data dictionary (``docs/data-dictionary``) and the rules of its ``.feature`` files; the file each
rule comes from is named in the docstring (``SBN: <file>``). What neither DESIGN nor SBN states is
our own design and says so ("Our design choice"); the docstrings end up as descriptions in the
published JSON Schemas.

A kredietbank (role ``SHV`` in this module) asks, the fund (``WF``, SBN) decides. The key of a case is
``kenmerk``, the kredietbank's own number of the saneringskrediet; one conversation per case.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, ConfigDict, Field, Strict, WithJsonSchema, model_validator
from pydantic_core import InitErrorDetails

from knooppunt.protocol.identificatie import UUID_LENGTE, UUID_PATROON, is_uuid
from knooppunt.protocol.modules.schuldregeling.payloads import VerledenDatum
from knooppunt.protocol.payloads.velden import (
    GEHEEL,
    Bedrag,
    Code50,
    Contactpersoon,
    Payload,
    Tekst2000,
    afwezig,
    als,
    meld,
    niet_leeg,
    veldfout,
)

# --- field types ----------------------------------------------------------------------------------------

Kenmerk = Code50
"""The kredietbank's unique number of the saneringskrediet (SBN: ``types/kenmerk_aanvrager.yml``)."""

SoortLening = Literal["PL", "SK", "SL"]
"""SBN: ``types/soort_lening.yml`` (enum PL, SK, SL; SBN gives no meanings)."""

BorgstellingCategorie = Literal["100", "200", "300", "400"]
"""DESIGN §3b: 100 regulier, 200 herfinanciering, 300 jongeren, 400 ondernemers."""

StatistiekCode = Literal["Betalende instantie", "Leeftijdsgroep", "Bevolkingsgroep", "Kredietdoel"]
"""SBN: ``types/statistiek_code.yml``, written exactly as SBN writes them."""

RedenUitbetaling = Literal[
    "overleden", "verhuisd_onbekend_adres", "nieuwe_schulden", "herberekening", "anders"
]
"""SBN: ``types/reden_oninbaar.yml`` (overleden, verhuisd naar onbekend adres, nieuwe schulden gemaakt,
herberekening, anders), as codes."""

Gebeurteniscode = Literal[
    "pro_forma_afgegeven",
    "pro_forma_afgewezen",
    "borgstelling_afgegeven",
    "aanvraag_afgewezen",
    "aanvraag_in_behandeling",
    "beeindigd",
    "ingetrokken",
    "uitbetaald",
    "uitbetaalverzoek_afgewezen",
]
"""DESIGN §3b; SBN: the events of ``docs/800_adapters/300_schuldenknooppunt/index.md``."""

AFWIJZINGEN: tuple[str, ...] = (
    "pro_forma_afgewezen",
    "aanvraag_afgewezen",
    "ingetrokken",
    "uitbetaalverzoek_afgewezen",
)
"""Gebeurtenissen that refuse or withdraw something: they need a ``toelichting``."""

MAX_LOOPTIJD = 60
"""DESIGN §3b: 1–60 months (SBN's ``types/looptijd_in_maanden.yml`` allows up to 100 and asks itself
what the limits are; DESIGN's 60 is the stricter)."""


def _postcodegebied(waarde: str) -> str:
    if len(waarde) != 4 or not waarde.isascii() or not waarde.isdigit() or waarde[0] == "0":
        raise ValueError(
            f"postcodeGebied {waarde!r} moet de vier cijfers van een Nederlandse postcode zijn, "
            "zonder letters (bijv. 3511)"
        )
    return waarde


PostcodeGebied = Annotated[
    str,
    Strict(),
    AfterValidator(_postcodegebied),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": "^[1-9][0-9]{3}(?![\\s\\S])",
            "description": "De vier cijfers van een Nederlandse postcode, zonder letters",
        }
    ),
]
"""SBN: ``types/postcode_gebied.yml`` (pattern ``^[0-9]{4}$``; Dutch postcodes start at 1000)."""


def _uuid(waarde: str) -> str:
    if not is_uuid(waarde):
        raise ValueError(
            f"{waarde!r} is geen UUID in de vorm 7d9f0e3a-1c2b-4d5e-8f90-a1b2c3d4e5f6 (kleine letters)"
        )
    return waarde


Uuid = Annotated[
    str,
    Strict(),
    AfterValidator(_uuid),
    WithJsonSchema(
        {"type": "string", "pattern": UUID_PATROON, "minLength": UUID_LENGTE, "maxLength": UUID_LENGTE}
    ),
]

Looptijd = Annotated[int, Strict(), Field(ge=1, le=MAX_LOOPTIJD), GEHEEL]
PositiefBedrag = Annotated[int, Strict(), Field(gt=0), GEHEEL]
"""An amount in euro cents, more than 0."""


# --- voorbeoordeling and aanvragen ------------------------------------------------------------------------


class Statistiek(Payload):
    """One statistic about the loan (SBN: ``models/statistiek.yml``); SBN derives the borgstelling
    categorie from them and reports on them."""

    code: StatistiekCode
    waarde: Code50 | None = None
    """The value in the kredietbank's code list (SBN: ``types/statistiek_waarde.yml``, nullable):
    absent or null when the kredietbank has none, so a sender that leaves nulls out still sends a
    valid payload."""


class Voorbeoordeling(Payload):
    """Voorbeoordeling: a pro forma aanvraag, before the saneringskrediet is offered; the fund says
    whether it would guarantee it (SBN: ``100_borgstelling/005_pro-forma-aanvragen-borgstelling``).
    As an aanvraag borgstelling, without statistieken. Answered with a gebeurtenis
    ``pro_forma_afgegeven`` or ``pro_forma_afgewezen`` (first ``aanvraag_in_behandeling`` when it
    is assessed by hand) within 5 working days."""

    kenmerk: Kenmerk
    """The kredietbank's own number of this saneringskrediet, unique for the kredietbank; the key of
    the case, the same in every message of its conversation. SBN uses it to make aanvragen
    idempotent (``types/kenmerk_aanvrager.yml``)."""
    soortLening: SoortLening
    """The kind of loan the borgstelling is for: PL, SK or SL (SBN: ``types/soort_lening.yml``)."""
    borgstellingCategorie: BorgstellingCategorie
    """100 regulier, 200 herfinanciering, 300 jongeren, 400 ondernemers (DESIGN §3b). SBN keeps its
    categories as data with their own acceptance limits (``models/borgstelling_categorie.yml``)."""
    postcodeGebied: PostcodeGebied
    """The four digits of the client's postcode (SBN: ``types/postcode_gebied.yml``); SBN checks it
    against the gemeenten the kredietbank serves."""
    brutoKredietsom: PositiefBedrag
    """The gross credit amount in euro cents (SBN: ``types/bruto_kredietsom.yml``); the amount the
    acceptance limits apply to."""
    nettoKredietsom: Bedrag | None = None
    """The net credit amount in euro cents (SBN: ``models/kredietsom.yml``), at most the gross."""
    maandaflossing: Bedrag | None = None
    """The monthly repayment in euro cents (SBN: ``types/maandaflossing.yml``)."""
    looptijdMaanden: Looptijd
    """The term in months, 1 to 60 (DESIGN §3b; SBN: ``types/looptijd_in_maanden.yml``)."""
    contact: Contactpersoon
    """Whom the fund contacts about this case at the kredietbank (SBN: ``contact``, an e-mail
    address; our design choice: the shared contactpersoon block)."""

    @model_validator(mode="after")
    def _bedragen(self) -> Self:
        meld(self, self._fouten())
        return self

    def _fouten(self) -> list[InitErrorDetails]:
        fouten: list[InitErrorDetails] = []
        if self.nettoKredietsom is not None and self.nettoKredietsom > self.brutoKredietsom:
            fouten.append(
                veldfout(
                    ("nettoKredietsom",),
                    f"nettoKredietsom ({self.nettoKredietsom}) mag niet hoger zijn dan brutoKredietsom "
                    f"({self.brutoKredietsom}); bedragen in eurocenten",
                    self.nettoKredietsom,
                )
            )
        if self.maandaflossing is not None and self.maandaflossing > self.brutoKredietsom:
            fouten.append(
                veldfout(
                    ("maandaflossing",),
                    f"maandaflossing ({self.maandaflossing}) mag niet hoger zijn dan brutoKredietsom "
                    f"({self.brutoKredietsom}); bedragen in eurocenten",
                    self.maandaflossing,
                )
            )
        return fouten


class AanvraagBorgstelling(Voorbeoordeling):
    """Aanvraag borgstelling: asks the fund to guarantee a saneringskrediet the kredietbank is about
    to give (SBN: ``data-dictionary/commands/registreer_borgstelling_aanvraag.yml``). Answered with a
    gebeurtenis ``borgstelling_afgegeven`` or ``aanvraag_afgewezen`` (first
    ``aanvraag_in_behandeling`` when assessed by hand) within 5 working days."""

    statistieken: list[Statistiek] = Field(min_length=1, max_length=50)
    """Statistics about the loan (SBN: ``models/statistieken.yml``; no item twice). Our design
    choice: at least one."""
    proFormaBorgstelling: Uuid | None = None
    """The pro forma borgstelling this aanvraag builds on: the ``proFormaBorgstelling`` of the
    gebeurtenis ``pro_forma_afgegeven`` (SBN: ``types/pro_forma_borgstelling_id.yml``)."""

    def _fouten(self) -> list[InitErrorDetails]:
        fouten = super()._fouten()
        gezien: set[tuple[str, str | None]] = set()
        for i, statistiek in enumerate(self.statistieken):
            sleutel = (statistiek.code, statistiek.waarde)
            if sleutel in gezien:
                fouten.append(
                    veldfout(
                        ("statistieken", i),
                        f"statistiek {statistiek.code!r} met waarde {statistiek.waarde!r} staat er "
                        "meer dan eens in",
                        statistiek.model_dump(),
                    )
                )
            gezien.add(sleutel)
        return fouten


class AanvraagOvername(AanvraagBorgstelling):
    """Aanvraag overname: asks a borgstelling for a saneringskrediet that is already running, e.g.
    when a kredietbank takes over a portfolio (SBN: ``commands/registreer_borgstelling_overname.yml``;
    SBN accepts it only when the credit has run less than 36 months,
    ``010_aanvragen-borgstelling/accepteer-automatisch.feature``)."""

    uitstaandSaldo: Bedrag
    """What the client still owes on the credit, in euro cents (SBN:
    ``types/saneringskrediet_uitstaand_saldo.yml``); at most the brutoKredietsom."""
    datumUitbetaald: VerledenDatum
    """When the credit was paid out (SBN: ``types/saneringskrediet_uitbetaaldatum.yml``); not in the
    future."""

    def _fouten(self) -> list[InitErrorDetails]:
        fouten = super()._fouten()
        if self.uitstaandSaldo > self.brutoKredietsom:
            fouten.append(
                veldfout(
                    ("uitstaandSaldo",),
                    f"uitstaandSaldo ({self.uitstaandSaldo}) mag niet hoger zijn dan brutoKredietsom "
                    f"({self.brutoKredietsom}); bedragen in eurocenten",
                    self.uitstaandSaldo,
                )
            )
        return fouten


class BeeindigingBorgstelling(Payload):
    """Beëindiging borgstelling: the saneringskrediet has been repaid or written off, so the
    borgstelling ends (SBN: ``100_borgstelling/030_beeindigen-borgstelling``). Answered with a
    gebeurtenis ``beeindigd`` within 5 working days."""

    kenmerk: Kenmerk
    datumBeeindigd: VerledenDatum
    """When the credit ended (SBN: ``types/saneringskrediet_datum_beeindigd.yml``); not in the future."""
    reden: Literal["afgelost", "afgeboekt"] | None = None
    """Why: repaid or written off (SBN: ``types/saneringskrediet_reden_beeindigd.yml``, nullable)."""


class VerzoekUitbetaling(Payload):
    """Verzoek uitbetaling: the kredietbank cannot collect the credit and asks the fund to pay out the
    borgstelling (SBN: ``100_borgstelling/050_uitbetalen-borgstelling``). Answered with a gebeurtenis
    ``uitbetaald`` or ``uitbetaalverzoek_afgewezen`` within 5 working days."""

    model_config = ConfigDict(
        json_schema_extra={"allOf": [als("reden", "anders", niet_leeg("toelichting", "string"))]}
    )

    kenmerk: Kenmerk
    reden: RedenUitbetaling
    """Why the credit cannot be collected (SBN: ``types/reden_oninbaar.yml``)."""
    toelichting: Tekst2000 | None = None
    """The reason explained; required with reden ``anders`` (our design choice)."""

    @model_validator(mode="after")
    def _toelichting_bij_anders(self) -> Self:
        if self.reden == "anders" and self.toelichting is None:
            meld(self, [veldfout(("toelichting",), "toelichting is verplicht bij reden 'anders'", None)])
        return self


# --- the fund's answers ---------------------------------------------------------------------------------


class Gebeurtenis(Payload):
    """Gebeurtenis: a decision or event in a case, sent by the fund. It answers one of the five
    requests, or (without ``crossReferentienummer``) reports a later event in the case's
    conversation (SBN: ``docs/800_adapters/300_schuldenknooppunt/index.md``, "Berichten versturen")."""

    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                als("gebeurtenis", AFWIJZINGEN, niet_leeg("toelichting", "string")),
                als(
                    "gebeurtenis",
                    "pro_forma_afgegeven",
                    niet_leeg("proFormaBorgstelling", "string"),
                    anders=afwezig("proFormaBorgstelling"),
                ),
            ]
        }
    )

    kenmerk: Kenmerk
    """The case's kenmerk, as the kredietbank gave it."""
    gebeurtenis: Gebeurteniscode
    """What happened."""
    toelichting: Tekst2000 | None = None
    """Explanation for the kredietbank. Our design choice: required when the gebeurtenis refuses or
    withdraws something (``pro_forma_afgewezen``, ``aanvraag_afgewezen``, ``ingetrokken``,
    ``uitbetaalverzoek_afgewezen``), as SBN's afwijzing letters give a reason
    (``types/afwijs_reden.yml``)."""
    proFormaBorgstelling: Uuid | None = None
    """The id of the pro forma borgstelling, to quote in the aanvraag borgstelling
    (SBN: ``types/pro_forma_borgstelling_id.yml``). Our design choice: required with
    ``pro_forma_afgegeven``, and only there."""

    @model_validator(mode="after")
    def _regels(self) -> Self:
        fouten: list[InitErrorDetails] = []
        if self.gebeurtenis in AFWIJZINGEN and self.toelichting is None:
            fouten.append(
                veldfout(
                    ("toelichting",),
                    f"toelichting is verplicht bij gebeurtenis {self.gebeurtenis!r}: zeg waarom",
                    None,
                )
            )
        if self.gebeurtenis == "pro_forma_afgegeven" and self.proFormaBorgstelling is None:
            fouten.append(
                veldfout(
                    ("proFormaBorgstelling",),
                    "proFormaBorgstelling is verplicht bij gebeurtenis 'pro_forma_afgegeven'",
                    None,
                )
            )
        if self.gebeurtenis != "pro_forma_afgegeven" and self.proFormaBorgstelling is not None:
            fouten.append(
                veldfout(
                    ("proFormaBorgstelling",),
                    "proFormaBorgstelling hoort alleen bij gebeurtenis 'pro_forma_afgegeven'",
                    self.proFormaBorgstelling,
                )
            )
        meld(self, fouten)
        return self


# --- kredietinformatie ----------------------------------------------------------------------------------


class VerzoekKredietinformatie(Payload):
    """Verzoek kredietinformatie: the fund asks the kredietbank the state of its guaranteed credits
    on ``peildatum``; answered with kredietinformatie within 10 working days. SBN sends it
    periodically, for the credits active since the last delivery
    (``docs/800_adapters/300_schuldenknooppunt/index.md``, "Periodiek berichten versturen")."""

    peildatum: VerledenDatum
    """The date the figures are asked for; not in the future."""
    laatsteAanlevering: VerledenDatum | None = None
    """Credits active since this date are asked for (SBN: ``types/laatste_aanlevering_op.yml``);
    without it, all guaranteed credits. Not after the peildatum."""

    @model_validator(mode="after")
    def _volgorde(self) -> Self:
        if self.laatsteAanlevering is not None and self.laatsteAanlevering > self.peildatum:
            meld(
                self,
                [
                    veldfout(
                        ("laatsteAanlevering",),
                        f"laatsteAanlevering ({self.laatsteAanlevering.isoformat()}) ligt na de "
                        f"peildatum ({self.peildatum.isoformat()})",
                        self.laatsteAanlevering.isoformat(),
                    )
                ],
            )
        return self


class Kredietsom(Payload):
    """Gross and net credit amount in euro cents (SBN: ``models/kredietsom.yml``)."""

    bruto: PositiefBedrag
    """The gross credit amount (bruto kredietsom) in euro cents; more than 0."""
    netto: Bedrag
    """The net credit amount (netto kredietsom) in euro cents; at most the bruto."""

    @model_validator(mode="after")
    def _netto_niet_hoger(self) -> Self:
        if self.netto > self.bruto:
            meld(
                self,
                [
                    veldfout(
                        ("netto",),
                        f"netto ({self.netto}) mag niet hoger zijn dan bruto ({self.bruto}); "
                        "bedragen in eurocenten",
                        self.netto,
                    )
                ],
            )
        return self


class Betalingen(Payload):
    """What the client has paid so far, in euro cents (SBN: ``models/betalingen.yml``)."""

    laatsteAflosdatum: VerledenDatum | None = None
    """The date of the last repayment; absent when nothing has been paid yet."""
    aflossing: Bedrag
    """Repaid on the credit sum (aflossing), in euro cents."""
    kredietvergoeding: Bedrag
    """Paid credit fee (kredietvergoeding, the interest of the loan), in euro cents."""
    vertragingsrente: Bedrag
    """Paid late-payment interest (vertragingsrente), in euro cents."""


class Achterstanden(Payload):
    """What the client is behind on, in euro cents (SBN: ``models/achterstanden.yml``)."""

    aflossing: Bedrag
    """Repayment in arrears (aflossing), in euro cents."""
    kredietvergoeding: Bedrag
    """Credit fee in arrears (kredietvergoeding), in euro cents."""
    vertragingsrente: Bedrag
    """Late-payment interest owed (vertragingsrente), in euro cents."""
    boeterente: Bedrag
    """Penalty interest owed (boeterente), in euro cents."""


class Krediet(Payload):
    """The state of one guaranteed saneringskrediet on the peildatum (SBN:
    ``models/saneringskrediet.yml``)."""

    kenmerk: Kenmerk
    uitbetaaldatum: VerledenDatum
    """When the credit was paid out; not in the future, not after the peildatum."""
    kredietsom: Kredietsom
    """The credit's gross and net amount (``bruto``, ``netto``)."""
    betalingen: Betalingen
    """What the client has paid on the credit up to the peildatum."""
    achterstanden: Achterstanden
    """What the client is behind on at the peildatum."""
    betalingsregeling: Annotated[bool, Strict()]
    """Is a payment arrangement active for the arrears? (SBN:
    ``types/saneringskrediet_betalingsregeling.yml``)"""
    dubieus: Annotated[bool, Strict()]
    """Has the credit been marked doubtful? (SBN: ``types/saneringskrediet_dubieus.yml``)"""


class Kredietinformatie(Payload):
    """Kredietinformatie: the kredietbank's answer to a verzoek kredietinformatie, one entry per
    credit (SBN: ``commands/verwerk_saneringskredieten_informatie.yml``, at least one)."""

    peildatum: VerledenDatum
    """Repeated from the verzoek: the date the figures are for."""
    kredieten: list[Krediet] = Field(min_length=1, max_length=10000)
    """One entry per credit; each kenmerk once."""

    @model_validator(mode="after")
    def _regels(self) -> Self:
        fouten: list[InitErrorDetails] = []
        gezien: set[str] = set()
        for i, krediet in enumerate(self.kredieten):
            if krediet.kenmerk in gezien:
                fouten.append(
                    veldfout(
                        ("kredieten", i, "kenmerk"),
                        f"kenmerk {krediet.kenmerk!r} staat meer dan eens in kredieten",
                        krediet.kenmerk,
                    )
                )
            gezien.add(krediet.kenmerk)
            fouten += _datums(krediet, i, self.peildatum)
        meld(self, fouten)
        return self


def _datums(krediet: Krediet, i: int, peildatum: date) -> list[InitErrorDetails]:
    fouten: list[InitErrorDetails] = []
    if krediet.uitbetaaldatum > peildatum:
        fouten.append(
            veldfout(
                ("kredieten", i, "uitbetaaldatum"),
                f"uitbetaaldatum ({krediet.uitbetaaldatum.isoformat()}) ligt na de peildatum "
                f"({peildatum.isoformat()})",
                krediet.uitbetaaldatum.isoformat(),
            )
        )
    laatste = krediet.betalingen.laatsteAflosdatum
    if laatste is not None and not krediet.uitbetaaldatum <= laatste <= peildatum:
        fouten.append(
            veldfout(
                ("kredieten", i, "betalingen", "laatsteAflosdatum"),
                f"laatsteAflosdatum ({laatste.isoformat()}) moet tussen de uitbetaaldatum "
                f"({krediet.uitbetaaldatum.isoformat()}) en de peildatum ({peildatum.isoformat()}) liggen",
                laatste.isoformat(),
            )
        )
    return fouten


MODELLEN: dict[str, type[Payload]] = {
    "voorbeoordeling": Voorbeoordeling,
    "aanvraag_borgstelling": AanvraagBorgstelling,
    "aanvraag_overname": AanvraagOvername,
    "beeindiging_borgstelling": BeeindigingBorgstelling,
    "verzoek_uitbetaling": VerzoekUitbetaling,
    "gebeurtenis": Gebeurtenis,
    "verzoek_kredietinformatie": VerzoekKredietinformatie,
    "kredietinformatie": Kredietinformatie,
}
"""The payload model of every message type of module waarborgfonds, version 2.0."""
