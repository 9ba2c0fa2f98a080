"""How the fund decides an aanvraag, as SBN publishes it — for the demo's simulated fund.

SBN's acceptance rules (github.com/sbnnl/documentatie):

- ``docs/100_producten/100_borgstelling/010_aanvragen-borgstelling/accepteer-automatisch.feature``:
  the bruto kredietsom against three limits of the borgstelling categorie ("geaccepteerd vanaf",
  "maatwerk vanaf", "afgewezen vanaf"; ``data-dictionary/models/borgstelling_categorie.yml``
  "beslissingstabel", e.g. 0 / € 5.000 / € 10.000):
  below "maatwerk vanaf" with a looptijd of at most 36 months → *geaccepteerd*; otherwise from
  "afgewezen vanaf" → *afgewezen*; otherwise → *maatwerk* (assessed by hand). The checks run in that
  order: with "afgewezen vanaf" 0 (SBN's pilot JPF) everything from "maatwerk vanaf" is refused.
  A gemeente the kredietbank does not serve → *maatwerk*. With a pro forma borgstelling: an aanvraag
  whose kredietsom differs less than 5 % from the pro forma (and whose looptijd is the same, or at
  most 36 months) gets the pro forma's outcome. An overname of a credit that has run 36 months or
  more → *afgewezen*.
- ``docs/100_producten/100_borgstelling/005_pro-forma-aanvragen-borgstelling/index.md``: a pro forma
  aanvraag is only *geaccepteerd* or *maatwerk* — never refused automatically; requirements 5–7: up to
  € 5.000 and 36 months automatic, above that by hand, fiatted by the Sbf.

What SBN leaves to a person — the maatwerk assessment — the simulated fund decides by a fixed rule
(our design choice): a maatwerk aanvraag is granted (``Drempels.maatwerk_toekennen``); a maatwerk
voorbeoordeling is granted below ``afwijzen_vanaf`` and refused from it, since the aanvraag that
follows would be refused automatically.

The limits are per kredietbank (SBN keeps them per borgstelling categorie, and the gemeenten per
kredietbank), so they are passed in as ``Drempels``; amounts in euro cents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from knooppunt.protocol.modules.waarborgfonds.payloads import (
    MAX_LOOPTIJD,
    AanvraagOvername,
    Gebeurteniscode,
    Voorbeoordeling,
)

Uitkomst = Literal["geaccepteerd", "maatwerk", "afgewezen"]
"""The outcomes of SBN's decision model (``accepteer-automatisch.feature``)."""

PRO_FORMA_MARGE_PROCENT = 5
"""SBN: an aanvraag follows its pro forma when its kredietsom differs less than 5 %."""


@dataclass(frozen=True, slots=True)
class Drempels:
    """A kredietbank's acceptance limits at the fund, in euro cents and months."""

    direct_tot: int = 500_000
    """Below this bruto kredietsom (and within ``direct_max_looptijd``) the borgstelling is given at
    once (SBN: "maatwerk vanaf", € 5.000)."""
    direct_max_looptijd: int = 36
    """The longest looptijd given at once (SBN: 36 months)."""
    afwijzen_vanaf: int = 1_000_000
    """From this bruto kredietsom the aanvraag is refused (SBN: "afgewezen vanaf", € 10.000)."""
    direct_vanaf: int = 0
    """From this bruto kredietsom an aanvraag may be given at once (SBN: "geaccepteerd vanaf", 0)."""
    overname_max_maanden: int = 36
    """An overname of a credit that has run this many months or more is refused (SBN: 36)."""
    postcodegebieden: frozenset[str] | None = None
    """The kredietbank's werkgebied as postcodeGebied values; an aanvraag from elsewhere is assessed
    by hand. ``None``: no check. (SBN checks the gemeente against the kredietbank's gemeenten; the
    payload carries the postcode area, so we approximate.)"""
    maatwerk_toekennen: bool = True
    """How the simulated fund decides a maatwerk aanvraag (SBN: by hand)."""

    def __post_init__(self) -> None:
        if min(self.direct_tot, self.afwijzen_vanaf, self.direct_vanaf) < 0:
            raise ValueError("drempelbedragen mogen niet negatief zijn")
        if not 1 <= self.direct_max_looptijd <= MAX_LOOPTIJD:
            raise ValueError(f"direct_max_looptijd moet tussen 1 en {MAX_LOOPTIJD} maanden liggen")
        if self.overname_max_maanden < 1:
            raise ValueError("overname_max_maanden moet minstens 1 zijn")


STANDAARD = Drempels()
"""SBN's example limits (regulier): at once below € 5.000 and 36 months, refused from € 10.000."""


@dataclass(frozen=True, slots=True)
class ProForma:
    """The pro forma borgstelling an aanvraag refers to, as the fund recorded it."""

    bruto_kredietsom: int
    looptijd_maanden: int
    afgegeven: bool


def maanden_gelopen(uitbetaald: date, nu: date) -> int:
    """Whole months from ``uitbetaald`` to ``nu`` (0 when ``nu`` is earlier)."""
    maanden = (nu.year - uitbetaald.year) * 12 + nu.month - uitbetaald.month
    if nu.day < uitbetaald.day:
        maanden -= 1
    return max(maanden, 0)


def _binnen_marge(kredietsom: int, pro_forma: int) -> bool:
    """The two amounts differ less than 5 % (of the smaller: SBN's examples hold both ways round)."""
    return abs(kredietsom - pro_forma) * 100 < PRO_FORMA_MARGE_PROCENT * min(kredietsom, pro_forma)


def uitkomst(
    aanvraag: Voorbeoordeling,
    *,
    nu: date,
    drempels: Drempels = STANDAARD,
    pro_forma: ProForma | None = None,
) -> Uitkomst:
    """SBN's automatic assessment (``accepteer-automatisch.feature``) of a voorbeoordeling, aanvraag
    borgstelling or aanvraag overname. A voorbeoordeling is never ``afgewezen`` (SBN's pro forma
    decision model knows only geaccepteerd and maatwerk)."""
    som = aanvraag.brutoKredietsom
    looptijd = aanvraag.looptijdMaanden
    voorbeoordeling = type(aanvraag) is Voorbeoordeling
    if isinstance(aanvraag, AanvraagOvername) and (
        maanden_gelopen(aanvraag.datumUitbetaald, nu) >= drempels.overname_max_maanden
    ):
        return "afgewezen"
    in_werkgebied = drempels.postcodegebieden is None or aanvraag.postcodeGebied in drempels.postcodegebieden
    if (
        in_werkgebied
        and drempels.direct_vanaf <= som < drempels.direct_tot
        and looptijd <= drempels.direct_max_looptijd
    ):
        return "geaccepteerd"
    if (
        in_werkgebied
        and pro_forma is not None
        and _binnen_marge(som, pro_forma.bruto_kredietsom)
        and (looptijd == pro_forma.looptijd_maanden or looptijd <= drempels.direct_max_looptijd)
    ):
        return "geaccepteerd" if pro_forma.afgegeven else "afgewezen"
    if not voorbeoordeling and som >= drempels.afwijzen_vanaf:
        return "afgewezen"
    return "maatwerk"


def gebeurtenissen(
    aanvraag: Voorbeoordeling,
    *,
    nu: date,
    drempels: Drempels = STANDAARD,
    pro_forma: ProForma | None = None,
) -> tuple[Gebeurteniscode, ...]:
    """The gebeurtenissen the simulated fund sends, in order, in answer to a voorbeoordeling,
    aanvraag borgstelling or aanvraag overname: one decision at once, or ``aanvraag_in_behandeling``
    followed by the decision of the (simulated) assessment by hand."""
    besluit = uitkomst(aanvraag, nu=nu, drempels=drempels, pro_forma=pro_forma)
    if type(aanvraag) is Voorbeoordeling:
        if besluit == "geaccepteerd":
            return ("pro_forma_afgegeven",)
        if besluit == "afgewezen":
            return ("pro_forma_afgewezen",)
        toekennen = aanvraag.brutoKredietsom < drempels.afwijzen_vanaf
        return ("aanvraag_in_behandeling", "pro_forma_afgegeven" if toekennen else "pro_forma_afgewezen")
    if besluit == "geaccepteerd":
        return ("borgstelling_afgegeven",)
    if besluit == "afgewezen":
        return ("aanvraag_afgewezen",)
    return (
        "aanvraag_in_behandeling",
        "borgstelling_afgegeven" if drempels.maatwerk_toekennen else "aanvraag_afgewezen",
    )
